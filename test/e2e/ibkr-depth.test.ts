/**
 * End to end with MARKET_SOURCE=ibkr (the whole gateway built from config, the fake TWS on port 0): book and trades
 * topics come from IB market depth and tick-by-tick data; a book subscribe past IB's depth-subscription limit (3) is
 * refused with SUBSCRIPTION_LIMIT naming the limit, and unsubscribing frees a slot.
 */
import { expect } from 'chai';
import { buildApp, type App } from '../../src/app.ts';
import { FakeTws } from '../fakes/fake-tws.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { testConfig } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

describe('e2e: MARKET_SOURCE=ibkr book and trades topics over the fake TWS', function () {
  this.timeout(30_000);
  let fake: FakeTws;
  let app: App;
  let c: TestClient;
  const violations: string[] = [];
  const logs: string[] = [];
  const of = (type: string, topic: string) => (m: Msg) => m.type === type && m.topic === topic;

  before(async () => {
    fake = await FakeTws.start();
    app = buildApp(testConfig({ market: { source: 'ibkr', symbols: ['AAPL', 'MSFT', 'GOOGL', 'AMZN'] }, ibkr: { host: '127.0.0.1', port: fake.port, clientId: 1 } }), {
      log: (l) => logs.push(l),
      onContractViolation: (endpoint, message, problem) => violations.push(`${endpoint}: ${problem} in ${message.slice(0, 300)}`),
    });
    const { port } = await app.start();
    c = await TestClient.open(`ws://127.0.0.1:${port}/api/v1/ws`);
  });
  after(async () => {
    c?.close();
    await app?.stop();
    await fake?.close();
    expect(violations).to.deep.equal([]);
  });

  it('book:AAPL:5 from IB depth rows: snapshot, then updates with contiguous u; trades:AAPL from tick-by-tick', async () => {
    await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'AAPL', depth: '5' } });
    await c.request({ type: 'market.subscribe', payload: { channel: 'trades', symbol: 'AAPL' } });
    const depthReq = await fake.waitForRequest('reqMktDepth', { where: (r) => r.f.symbol === 'AAPL' });
    const tickReq = await fake.waitForRequest('reqTickByTickData', { where: (r) => r.f.symbol === 'AAPL' });
    const id = Number(depthReq.f.reqId);
    fake.marketDepth(id, 0, 0, 1, 190.0, 300);
    fake.marketDepth(id, 0, 0, 0, 190.02, 200);
    fake.marketDepth(id, 0, 1, 1, 190.01, 100);
    await waitUntil(() => c.count(of('book.update', 'book:AAPL:5')) >= 3, 'three book updates');
    const updates = c.messages.filter(of('book.update', 'book:AAPL:5')).map((m) => m.payload);
    expect(updates.map((u) => u.u)).to.deep.equal([1, 2, 3]);
    expect(updates[2]).to.deep.include({ bids: [[190.01, 100], [190, 0]], asks: [] });
    fake.tickByTickLast(Number(tickReq.f.reqId), Math.floor(Date.now() / 1000), 190.02, 100);
    const trade = await c.next(of('trades.update', 'trades:AAPL'));
    expect(trade.payload).to.deep.include({ id: 1, price: 190.02, size: 100, side: 'buy' });
  });

  it("a fourth book is refused with SUBSCRIPTION_LIMIT naming IB's limit (3 at once) and the open books; unsubscribing frees a slot", async () => {
    await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'MSFT' } });
    await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'GOOGL' } });
    await waitUntil(() => fake.requestsOf('reqMktDepth').length === 3, 'three depth requests');
    const refused = await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'AMZN' } });
    expect(refused.type).to.equal('error');
    expect(refused.payload.code).to.equal('SUBSCRIPTION_LIMIT');
    expect(refused.payload.message).to.match(/IB allows 3 market-depth subscriptions/);
    expect(fake.requestsOf('reqMktDepth').length).to.equal(3);
    await c.request({ type: 'market.unsubscribe', payload: { channel: 'book', symbol: 'GOOGL' } });
    await fake.waitForRequest('cancelMktDepth');
    const ok = await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'AMZN' } });
    expect(ok.type).to.equal('market.subscribe.response');
    await waitUntil(() => fake.requestsOf('reqMktDepth').some((r) => r.f.symbol === 'AMZN'), 'the AMZN depth request');
  });
});
