/**
 * IbkrDepth over the fake TWS (the real @stoqey/ib client): market depth rows (insert/update/delete) build the book,
 * tick-by-tick AllLast prints the tape (aggressor from the book), IB's depth-subscription limit is respected and
 * reported (bookAvailable, health events, IB's 309), and cancels free the slot.
 */
import { expect } from 'chai';
import { IbkrDepth } from '../../src/market/depth-ibkr.ts';
import type { BookState, TradePrint } from '../../src/market/depth.ts';
import { IbConnection } from '../../src/market/ib-connection.ts';
import { defaultContractFor } from '../../src/market/source-ibkr.ts';
import { FakeTws } from '../fakes/fake-tws.ts';
import { waitUntil } from '../support/wait.ts';

describe('IbkrDepth: market depth and tick-by-tick over the fake TWS', function () {
  this.timeout(15_000);
  let fake: FakeTws;
  let connection: IbConnection;
  let depth: IbkrDepth;
  const health: { ok: boolean; code?: number; message: string }[] = [];

  beforeEach(async () => {
    health.length = 0;
    fake = await FakeTws.start();
    connection = new IbConnection({ config: { host: '127.0.0.1', port: fake.port, clientId: 1 }, backoff: { initialMs: 20, maxMs: 200 } });
    depth = new IbkrDepth({ connection, symbols: ['AAPL', 'MSFT', 'GOOGL'], contractFor: (s) => defaultContractFor(s).contract, maxDepthSubscriptions: 2, rows: 5, onHealth: (e) => health.push(e) });
    depth.start();
    await connection.start();
    await waitUntil(() => connection.ready, 'the connection');
  });
  afterEach(async () => {
    depth.stop();
    await connection.stop();
    await fake.close();
  });

  it('builds the book from depth rows and the tape from tick-by-tick trades', async () => {
    const books: BookState[] = [];
    const trades: TradePrint[] = [];
    depth.watch('AAPL', { book: (b) => books.push(b), trade: (t) => trades.push(t) });
    const req = await fake.waitForRequest('reqMktDepth');
    expect(req.f).to.include({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', numRows: '5', isSmartDepth: '0' });
    const tbt = await fake.waitForRequest('reqTickByTickData');
    expect(tbt.f).to.include({ symbol: 'AAPL', tickType: 'AllLast' });
    const id = Number(req.f.reqId);
    fake.marketDepth(id, 0, 0, 1, 150.0, 300); // bid row 0
    fake.marketDepth(id, 1, 0, 1, 149.99, 500); // bid row 1
    fake.marketDepth(id, 0, 0, 0, 150.02, 200); // ask row 0
    fake.marketDepth(id, 0, 0, 1, 150.01, 100); // a better bid inserted on top
    fake.marketDepth(id, 1, 1, 1, 150.0, 250); // row 1 (150.00) updated
    fake.marketDepth(id, 2, 2, 1, 0, 0); // row 2 (149.99) deleted
    await waitUntil(() => books.length >= 6, 'six book changes');
    expect(depth.book('AAPL')).to.deep.include({ bids: [[150.01, 100], [150.0, 250]], asks: [[150.02, 200]] });
    fake.tickByTickLast(Number(tbt.f.reqId), 1_704_898_800, 150.02, 100);
    fake.tickByTickLast(Number(tbt.f.reqId), 1_704_898_801, 150.01, 50);
    await waitUntil(() => trades.length >= 2, 'two trades');
    expect(trades.map((t) => [t.id, t.price, t.size, t.side])).to.deep.equal([[1, 150.02, 100, 'buy'], [2, 150.01, 50, 'sell']]);
    expect(trades[0]!.time).to.equal(1_704_898_800_000);
    expect(depth.quote('AAPL')).to.include({ bid: 150.01, bid_size: 100, ask: 150.02, ask_size: 200, last: 150.01, last_size: 50 });
    expect(depth.recentTrades('AAPL').length).to.equal(2);
  });

  it("respects IB's depth-subscription limit, reports it, and frees the slot on cancel", async () => {
    const offA = depth.watch('AAPL', {});
    depth.watch('MSFT', {});
    await waitUntil(() => fake.requestsOf('reqMktDepth').length === 2, 'two depth requests');
    const refused = depth.bookAvailable('GOOGL');
    expect(refused.ok).to.equal(false);
    expect((refused as { message: string }).message).to.match(/allows 2 market-depth subscriptions.*AAPL, MSFT/);
    expect(depth.bookAvailable('AAPL')).to.deep.equal({ ok: true });
    depth.watch('GOOGL', {}); // anyway: trades only, and a report
    await waitUntil(() => fake.requestsOf('reqTickByTickData').length === 3, 'three tick-by-tick requests');
    expect(fake.requestsOf('reqMktDepth').length).to.equal(2);
    expect(health.some((h) => !h.ok && /GOOGL not requested/.test(h.message))).to.equal(true);
    offA();
    await fake.waitForRequest('cancelMktDepth');
    await fake.waitForRequest('cancelTickByTickData');
    expect(depth.bookAvailable('GOOGL')).to.deep.equal({ ok: true });
  });

  it('an IB refusal (309: depth limit reached upstream) marks the book unavailable and reports it', async () => {
    depth.watch('MSFT', {});
    const req = await fake.waitForRequest('reqMktDepth');
    fake.error(Number(req.f.reqId), 309, 'Max number (3) of market depth requests has been reached');
    await waitUntil(() => health.some((h) => h.code === 309), 'the 309 report');
    const state = depth.bookAvailable('MSFT');
    expect(state.ok).to.equal(false);
    expect((state as { message: string }).message).to.contain('309');
  });
});
