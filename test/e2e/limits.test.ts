import { expect } from 'chai';
import WebSocket from 'ws';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type ConfigPatch, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const isUpdate = (topic: string) => (m: Msg) => m.type === 'bars.update' && m.topic === topic;

describe('e2e: abuse limits close with documented codes; others are unaffected', function () {
  this.timeout(20_000);
  let server: TestServer;
  let clients: TestClient[] = [];
  let other: TestClient;

  async function setup(ws: ConfigPatch['websocket']): Promise<void> {
    server = await startServer({ websocket: ws });
    other = await TestClient.open(server.ws('/api/v1/ws'));
    clients.push(other);
    await other.request({ type: 'bars.subscribe', payload: { symbol: 'MSFT' } });
  }
  async function open(path = '/api/v1/ws', options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const c = await TestClient.open(server.ws(path), options);
    clients.push(c);
    return c;
  }
  async function otherKeepsReceiving(): Promise<void> {
    await other.next(isUpdate('bars:MSFT:1'), { from: other.messages.length, what: 'bystander update' });
    expect(other.ws.readyState).to.equal(WebSocket.OPEN);
  }

  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await server.stop();
  });

  it('a frame over the max payload is closed with 1009', async () => {
    await setup({ maxPayloadBytes: 1024 });
    const c = await open();
    c.send({ type: 'bars.subscribe', payload: { symbol: 'A'.repeat(2000) } });
    expect((await c.closed()).code).to.equal(1009);
    await otherKeepsReceiving();
  });

  it('more than the inbound rate is closed with 4002 RATE_LIMITED', async () => {
    await setup({ rateLimitPerSec: 10, rateBurst: 20 });
    const c = await open();
    for (let i = 0; i < 30; i++) c.send({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    const closed = await c.closed();
    expect(closed).to.deep.equal({ code: 4002, reason: 'inbound message rate exceeded' });
    await otherKeepsReceiving();
  });

  it('the subscribe that passes the cap gets SUBSCRIPTION_LIMIT; existing subscriptions stay', async () => {
    await setup({ maxSubscriptions: 3 });
    const c = await open();
    for (const s of ['AAPL', 'GOOGL', 'AMZN']) expect((await c.request({ type: 'bars.subscribe', payload: { symbol: s } })).payload.status).to.equal('ok');
    const err = await c.request({ type: 'bars.subscribe', id: 'cap', payload: { symbol: 'TSLA' } });
    expect(err).to.deep.include({ type: 'error', id: 'cap' });
    expect(err.payload.code).to.equal('SUBSCRIPTION_LIMIT');
    const from = c.messages.length;
    for (const s of ['AAPL', 'GOOGL', 'AMZN']) await c.next(isUpdate(`bars:${s}:1`), { from });
    expect(c.ws.readyState).to.equal(WebSocket.OPEN);
    await otherKeepsReceiving();
  });

  it('connections past the max get close 4003 SERVER_FULL', async () => {
    await setup({ maxConnections: 2 });
    await open('/ws');
    const third = await open();
    expect(await third.closed()).to.deep.equal({ code: 4003, reason: 'server at max connections' });
    await otherKeepsReceiving();
  });

  it('a connection reaching its max lifespan is closed with 4000', async () => {
    await setup({ maxLifespanMs: 300 });
    const c = await open();
    expect((await c.closed()).code).to.equal(4000);
  });

  it('a client that does not answer pings is closed with 4004 HEARTBEAT_TIMEOUT', async () => {
    await setup({ pingIntervalMs: 100 });
    const c = await open('/api/v1/ws', { autoPong: false });
    expect((await c.closed()).code).to.equal(4004);
    expect(other.ws.readyState).to.equal(WebSocket.OPEN);
    await otherKeepsReceiving();
  });

  it('a slow consumer is closed with 4001 once its unsent bytes pass the bound; the server stops queueing for it', async () => {
    const bound = 64 * 1024;
    await setup({ maxBufferedBytes: bound });
    const slow = await open();
    await slow.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const bar = { time: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 };
    // Bounded flood: at most 2000 turns x 100 messages (~26 MB), stopping as soon as the server gives up on it.
    for (let turn = 0; turn < 2000 && !server.logs.some((l) => l.includes('4001')); turn++) {
      for (let i = 0; i < 100; i++) server.app.hub.publish('bars:AAPL:1', { type: 'bars.update', topic: 'bars:AAPL:1', payload: { ...bar, time: turn * 1000 + i } });
      await new Promise((r) => setImmediate(r));
    }
    expect(server.logs.some((l) => l.includes('4001 slow consumer'))).to.equal(true);
    await otherKeepsReceiving();
    socket.resume();
    expect((await slow.closed(10_000)).code).to.equal(4001);
  });

  it('an upgrade to an unknown path gets HTTP 404', async () => {
    await setup({});
    let error: Error | undefined;
    await TestClient.open(server.ws('/api/v2/ws')).catch((e: Error) => { error = e; });
    expect(error?.message).to.equal('HTTP 404');
    await otherKeepsReceiving();
  });

  it('past the per-address cap an upgrade gets HTTP 429 (X-Forwarded-For ignored without TRUST_PROXY); a closed one counts out', async () => {
    await setup({ maxConnectionsPerIp: 2 }); // `other` is the first from 127.0.0.1
    const second = await open('/api/v1/ws', { headers: { 'x-forwarded-for': '203.0.113.1' } });
    const refused = (headers: Record<string, string> = {}) => TestClient.open(server.ws('/api/v1/ws'), { headers }).then(() => 'open', (e: Error) => e.message);
    expect(await refused()).to.equal('HTTP 429');
    expect(await refused({ 'x-forwarded-for': '203.0.113.2' }), 'a header anyone can send').to.equal('HTTP 429');
    second.ws.close();
    await second.closed();
    await waitFor(() => server.app.gateway.connectionCount === 1);
    const again = await open();
    expect((await again.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } })).payload.status).to.equal('ok');
    await otherKeepsReceiving();
  });

  it('with TRUST_PROXY the per-address cap counts the X-Forwarded-For client, not the proxy', async () => {
    server = await startServer({ websocket: { maxConnectionsPerIp: 2 }, http: { trustProxy: true } });
    const from = (ip: string) => TestClient.open(server.ws('/api/v1/ws'), { headers: { 'x-forwarded-for': `${ip}, 10.0.0.1` } }).then((c) => {
      clients.push(c);
      return 'open';
    }, (e: Error) => e.message);
    expect(await from('203.0.113.1')).to.equal('open');
    expect(await from('203.0.113.1')).to.equal('open');
    expect(await from('203.0.113.1'), 'the third from one client').to.equal('HTTP 429');
    expect(await from('203.0.113.2'), 'another client behind the same proxy').to.equal('open');
    expect(server.app.gateway.connectionCount).to.equal(3);
  });

  it('max connections counts closed connections out again', async () => {
    await setup({ maxConnections: 2 });
    const second = await open();
    second.ws.close();
    await second.closed();
    await waitFor(() => server.app.gateway.connectionCount === 1);
    const again = await open();
    const reply = await again.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    expect(reply.payload.status).to.equal('ok');
  });
});
