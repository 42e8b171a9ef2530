import { seedView } from '../support/positions.ts';
import { expect } from 'chai';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';

const isUpdate = (topic: string) => (m: Msg) => m.type === 'bars.update' && m.topic === topic;

describe('e2e: /api/v1/ws bars operations (seed 004)', function () {
  this.timeout(15_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  const open = async () => {
    const c = await TestClient.open(server.ws('/api/v1/ws'));
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop();
  });

  it('connects', async () => {
    const c = await open();
    expect(c.ws.readyState).to.equal(1);
  });

  it('subscribe replies with the topic and echoes the id, then the current bar, then live updates', async () => {
    const c = await open();
    const reply = await c.request({ type: 'bars.subscribe', id: 'req-1', payload: { symbol: 'AAPL', resolution: '1' } });
    expect(reply.payload.recovered).to.equal(false);
    expect(reply.payload.asOf.offset).to.be.a('number');
    expect(seedView(reply)).to.deep.equal({ type: 'bars.subscribe.response', id: 'req-1', payload: { status: 'ok', message: 'Subscribed to bars:AAPL:1', topic: 'bars:AAPL:1' } });
    const replyAt = c.messages.indexOf(reply);
    const first = await c.next(isUpdate('bars:AAPL:1'), { from: replyAt });
    expect(first.payload).to.have.all.keys('time', 'open', 'high', 'low', 'close', 'volume');
    const firstAt = c.messages.indexOf(first);
    const second = await c.next(isUpdate('bars:AAPL:1'), { from: firstAt + 1 });
    expect(second.payload.time).to.be.at.least(first.payload.time);
    expect(second.payload.time % 60_000).to.equal(0);
  });

  it('a seed-004 client without id or resolution gets resolution "1" and no id', async () => {
    const c = await open();
    c.send({ type: 'bars.subscribe', payload: { symbol: 'MSFT' } });
    const reply = await c.next((m) => m.type === 'bars.subscribe.response');
    expect(reply).to.not.have.property('id');
    expect(seedView(reply).payload).to.deep.equal({ status: 'ok', message: 'Subscribed to bars:MSFT:1', topic: 'bars:MSFT:1' });
    await c.next(isUpdate('bars:MSFT:1'));
  });

  it('several symbols and several resolutions on one connection, each push names its topic', async () => {
    const c = await open();
    const topics = ['bars:AAPL:1', 'bars:AAPL:5', 'bars:BRK.B:D', 'bars:BTC-USD:60'];
    for (const t of topics) {
      const [, symbol, resolution] = t.split(':');
      const reply = await c.request({ type: 'bars.subscribe', payload: { symbol, resolution } });
      expect(reply.payload.topic).to.equal(t);
    }
    for (const t of topics) await c.next(isUpdate(t));
    const seen = new Set(c.messages.filter((m) => m.type === 'bars.update').map((m) => m.topic));
    expect([...seen].sort()).to.deep.equal([...topics].sort());
  });

  it('subscribe is idempotent and unsubscribe stops the topic while others continue', async () => {
    const c = await open();
    await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    const again = await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    expect(again.payload.status).to.equal('ok');
    await c.request({ type: 'bars.subscribe', payload: { symbol: 'MSFT' } });
    expect(server.app.hub.topicsOf([...(server.app.hub as any).subscriptions.keys()][0]).size).to.equal(2);
    const reply = await c.request({ type: 'bars.unsubscribe', id: 'u1', payload: { symbol: 'AAPL' } });
    expect(reply).to.deep.equal({ type: 'bars.unsubscribe.response', id: 'u1', payload: { status: 'ok', message: 'Unsubscribed from bars:AAPL:1', topic: 'bars:AAPL:1' } });
    const at = c.messages.indexOf(reply);
    // Fence: three more ticks of MSFT arrive after the reply; AAPL ticks at the same time and must not.
    let from = at + 1;
    for (let i = 0; i < 3; i++) from = c.messages.indexOf(await c.next(isUpdate('bars:MSFT:1'), { from })) + 1;
    expect(c.count(isUpdate('bars:AAPL:1'), at + 1)).to.equal(0);
    const twice = await c.request({ type: 'bars.unsubscribe', payload: { symbol: 'AAPL' } });
    expect(twice.payload.status).to.equal('ok');
    expect(server.app.hub.subscriberCount('bars:AAPL:1')).to.equal(0);
  });

  it('broadcasts only to subscribers of the topic', async () => {
    const a = await open();
    const b = await open();
    await a.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    await b.request({ type: 'bars.subscribe', payload: { symbol: 'TSLA' } });
    let from = 0;
    for (let i = 0; i < 3; i++) from = b.messages.indexOf(await b.next(isUpdate('bars:TSLA:1'), { from })) + 1;
    await a.next(isUpdate('bars:AAPL:1'));
    expect(b.count((m) => m.type === 'bars.update' && m.topic !== 'bars:TSLA:1')).to.equal(0);
    expect(a.count((m) => m.type === 'bars.update' && m.topic !== 'bars:AAPL:1')).to.equal(0);
  });

  it('a disconnect removes the client from every topic', async () => {
    const c = await open();
    await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    await c.request({ type: 'bars.subscribe', payload: { symbol: 'MSFT', resolution: '5' } });
    expect(server.app.hub.subscriberCount('bars:AAPL:1')).to.equal(1);
    c.ws.close();
    await c.closed();
    await waitFor(() => server.app.gateway.connectionCount === 0);
    expect(server.app.hub.activeTopics().filter((t) => t.startsWith('bars:'))).to.deep.equal([]);
  });

  it('updates follow the datafeed convention: same time replaces, later time starts a new bar', async () => {
    const c = await open();
    await c.request({ type: 'bars.subscribe', payload: { symbol: 'BTC-USD', resolution: '1' } });
    await c.next(isUpdate('bars:BTC-USD:1'));
    const updates = () => c.messages.filter(isUpdate('bars:BTC-USD:1')).map((m) => m.payload);
    await waitFor(() => updates().length >= 5);
    const list = updates();
    for (let i = 1; i < list.length; i++) {
      expect(list[i].time).to.be.at.least(list[i - 1].time);
      if (list[i].time === list[i - 1].time) {
        expect(list[i].open).to.equal(list[i - 1].open);
        expect(list[i].high).to.be.at.least(list[i - 1].high);
        expect(list[i].low).to.be.at.most(list[i - 1].low);
        expect(list[i].volume).to.be.at.least(list[i - 1].volume);
      }
    }
  });

  it('right after a successful subscribe the client gets the current bar (and nothing when there is none yet)', async () => {
    await server.stop();
    const source = new SimulatedSource({ tickIntervalMs: 3_600_000 });
    server = await startServer({}, { source });
    const c = await open();
    const empty = await c.request({ type: 'bars.subscribe', payload: { symbol: 'GOOGL' } });
    const fence = await c.request({ type: 'bars.unsubscribe', payload: { symbol: 'GOOGL' } });
    expect(c.messages.indexOf(fence)).to.equal(c.messages.indexOf(empty) + 1);
    source.step(3);
    const reply = await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL', resolution: '5' } });
    const at = c.messages.indexOf(reply);
    const current = await c.next(isUpdate('bars:AAPL:5'), { from: at });
    expect(c.messages.indexOf(current)).to.equal(at + 1);
    expect(current.payload).to.deep.equal({ ...source.currentBar('AAPL', '5') });
  });
});
