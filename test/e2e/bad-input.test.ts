import { expect } from 'chai';
import WebSocket from 'ws';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';

const isUpdate = (topic: string) => (m: Msg) => m.type === 'bars.update' && m.topic === topic;

/** A second client that must keep receiving while the first one misbehaves. */
async function bystander(server: TestServer): Promise<{ client: TestClient; keepsReceiving: () => Promise<void> }> {
  const client = await TestClient.open(server.ws('/api/v1/ws'));
  await client.request({ type: 'bars.subscribe', payload: { symbol: 'MSFT' } });
  return {
    client,
    async keepsReceiving() {
      const from = client.messages.length;
      await client.next(isUpdate('bars:MSFT:1'), { from, what: 'a bystander update' });
      expect(client.ws.readyState).to.equal(WebSocket.OPEN);
    },
  };
}

describe('e2e: bad input gets a coded error and the connection stays open', function () {
  this.timeout(15_000);
  let server: TestServer;
  let c: TestClient;
  let other: Awaited<ReturnType<typeof bystander>>;

  beforeEach(async () => {
    server = await startServer();
    c = await TestClient.open(server.ws('/api/v1/ws'));
    other = await bystander(server);
  });
  afterEach(async () => {
    c.close();
    other.client.close();
    await server.stop();
  });

  const cases: { name: string; send: (c: TestClient) => void; code: string; field?: string; mentions?: string; id?: string }[] = [
    { name: 'invalid JSON', send: (c) => c.send('{"type": "bars.subscribe", '), code: 'INVALID_JSON' },
    { name: 'binary frame', send: (c) => c.ws.send(Buffer.from([1, 2, 3]), { binary: true }), code: 'BINARY_NOT_SUPPORTED' },
    { name: 'unknown type', send: (c) => c.send({ type: 'quotes.subscribe', id: 'q1', payload: {} }), code: 'UNKNOWN_TYPE', mentions: 'quotes.subscribe', id: 'q1' },
    { name: 'schema-invalid payload (bad resolution)', send: (c) => c.send({ type: 'bars.subscribe', id: 'b1', payload: { symbol: 'AAPL', resolution: '7' } }), code: 'INVALID_MESSAGE', field: '/payload/resolution', id: 'b1' },
    { name: 'schema-invalid payload (extra field)', send: (c) => c.send({ type: 'bars.subscribe', payload: { symbol: 'AAPL', depth: 1 } }), code: 'INVALID_MESSAGE', field: '/payload/depth' },
    { name: 'malformed symbol', send: (c) => c.send({ type: 'bars.subscribe', payload: { symbol: 'aapl' } }), code: 'INVALID_MESSAGE', field: '/payload/symbol' },
    { name: 'unknown symbol', send: (c) => c.send({ type: 'bars.subscribe', id: 'z', payload: { symbol: 'ZZZZ' } }), code: 'UNKNOWN_SYMBOL', mentions: 'ZZZZ', id: 'z' },
  ];

  for (const t of cases) {
    it(`${t.name} → error ${t.code}`, async () => {
      t.send(c);
      const err = await c.next((m) => m.type === 'error');
      expect(err.payload.code).to.equal(t.code);
      if (t.field) {
        expect(err.payload.field).to.equal(t.field);
        expect(err.payload.message).to.contain(t.field);
      }
      if (t.mentions) expect(err.payload.message).to.contain(t.mentions);
      if (t.id) expect(err.id).to.equal(t.id);
      // still open and still served
      const ok = await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
      expect(ok.payload.status).to.equal('ok');
      await other.keepsReceiving();
    });
  }

  it('pipelined requests are answered in the order received, decode errors included (INVALID_JSON has no id)', async () => {
    const isReply = (m: Msg) => m.type === 'error' || m.type.endsWith('.response');
    const from = c.messages.length;
    // Back to back, no await: the frames reach the server together.
    c.send({ type: 'bars.subscribe', id: 'a', payload: { symbol: 'AAPL' } });
    c.send('{"type": "bars.subscribe", ');
    c.send({ type: 'quotes.subscribe', id: 'b', payload: {} });
    c.send({ type: 'bars.subscribe', id: 'c', payload: { symbol: 'MSFT' } });
    c.send({ type: 'bars.subscribe', id: 'd', payload: { symbol: 'aapl' } });
    await c.next((m) => m.id === 'd', { from, what: 'the reply to d' });
    const replies = c.messages.slice(from).filter(isReply).map((m) => [m.id ?? null, m.type === 'error' ? m.payload.code : m.payload.status]);
    expect(replies).to.deep.equal([['a', 'ok'], [null, 'INVALID_JSON'], ['b', 'UNKNOWN_TYPE'], ['c', 'ok'], ['d', 'INVALID_MESSAGE']]);
  });

  it('{"type":"ping"} is answered with pong on /api/v1/ws and /ws (heartbeat for browsers)', async () => {
    c.send({ type: 'ping' });
    const pong = await c.next((m) => m.type === 'pong');
    expect(pong.data).to.deep.equal({});
    expect(pong.timestamp).to.match(/Z$/);
    const d = await TestClient.open(server.ws('/ws'));
    d.send({ type: 'ping', timestamp: new Date().toISOString() });
    await d.next((m) => m.type === 'pong');
    d.close();
  });

  it('an error on the dashboard endpoint uses its root-level shape', async () => {
    const d = await TestClient.open(server.ws('/ws'));
    d.send({ type: 'subscribe', id: 'd1', streams: ['news'] });
    const err = await d.next((m) => m.type === 'error');
    expect(err).to.include({ type: 'error', id: 'd1', code: 'UNKNOWN_STREAM' });
    d.send('nope');
    const err2 = await d.next((m) => m.type === 'error' && m.code === 'INVALID_JSON');
    expect(err2.message).to.be.a('string');
    d.close();
  });
});
