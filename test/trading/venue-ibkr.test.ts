/**
 * IbkrVenue over the fake TWS (real @stoqey/ib client): the OrderVenue conformance suite, then the
 * IB specifics: order fields on the wire, unsolicited fills, execution dedup and corrections, positions
 * from TWS, IB rejections, reconnect.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { IbkrVenue, splitExecId } from '../../src/trading/venue-ibkr.ts';
import type { Fill, Order } from '../../src/trading/venue.ts';
import type { IbHealthEvent } from '../../src/market/ib-connection.ts';
import { FakeTws, type TwsFixture } from '../fakes/fake-tws.ts';
import { describeVenueConformance } from './venue.conformance.ts';
import { waitUntil } from '../support/wait.ts';

function fixture(name: string): TwsFixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/tws/${name}.json`, import.meta.url), 'utf8')) as TwsFixture;
}

function makeVenue(fake: FakeTws, extra: Partial<ConstructorParameters<typeof IbkrVenue>[0]> = {}) {
  const health: IbHealthEvent[] = [];
  const venue = new IbkrVenue({
    connection: { config: { host: '127.0.0.1', port: fake.port, clientId: 2 }, backoff: { initialMs: 20, maxMs: 200 } },
    symbols: ['AAPL', 'MSFT'],
    ...extra,
  });
  venue.connection.onHealth((h) => health.push(h));
  return { venue, health };
}

describeVenueConformance('IbkrVenue over the fake TWS', async () => {
  const fake = await FakeTws.start({ nextValidId: 500 });
  const { venue, health } = makeVenue(fake);
  let execSeq = 0;
  return {
    venue,
    fillAt: (order: Order, p: number) => {
      const id = Number(order.order_id);
      fake.execution({ orderId: id, execId: `0000f00d.${(++execSeq).toString(16).padStart(8, '0')}.01.01`, symbol: order.symbol, side: order.side === 'BUY' ? 'BOT' : 'SLD', shares: order.quantity, price: p }, 0);
      fake.orderStatus({ orderId: id, status: 'Filled', filled: order.quantity, remaining: 0, avgFillPrice: p, lastFillPrice: p });
    },
    cleanup: async () => {
      await fake.close();
      expect(health.filter((h) => h.code === 505)).to.deep.equal([]);
    },
  };
});

describe('IbkrVenue (IB specifics over the fake TWS)', () => {
  let fake: FakeTws;
  let venue: IbkrVenue;
  let health: IbHealthEvent[];
  let fills: Fill[];
  let orders: Order[];
  let corrections: [Fill, Fill][];

  async function setup(prepare?: (fake: FakeTws) => void, extra = {}) {
    fake = await FakeTws.start({ nextValidId: 700 });
    prepare?.(fake);
    corrections = [];
    ({ venue, health } = makeVenue(fake, { onCorrection: (a: Fill, b: Fill) => corrections.push([a, b]), ...extra }));
    fills = [];
    orders = [];
    venue.onFill((f) => fills.push(f));
    venue.onOrder((o) => orders.push(o));
    await venue.start();
  }

  afterEach(async () => {
    await venue.stop();
    await fake.close();
    expect(health.filter((h) => h.code === 505), 'no 505').to.deep.equal([]);
  });

  it('places orders with the next valid id and the IB fields; cancels by id', async () => {
    await setup();
    const o = await venue.placeOrder({ symbol: 'AAPL', side: 'SELL', quantity: 7, type: 'LMT', limit_price: 191.25 });
    expect(o).to.include({ order_id: '700', status: 'submitted' });
    const req = await fake.waitForRequest('placeOrder');
    expect(req.f).to.include({ orderId: '700', symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', action: 'SELL', totalQuantity: '7', orderType: 'LMT', lmtPrice: '191.25', tif: 'DAY', account: 'DU1234567' });
    const o2 = await venue.placeOrder({ symbol: 'MSFT', side: 'BUY', quantity: 1, type: 'MKT' });
    expect(o2.order_id).to.equal('701');
    await venue.cancelOrder('700');
    expect((await fake.waitForRequest('cancelOrder')).f.orderId).to.equal('700');
    await waitUntil(() => orders.some((x) => x.order_id === '700' && x.status === 'cancelled'), 'cancelled');
  });

  it('reports unsolicited fills (TWS manual trades), dedups by execId and folds corrections (.01 → .02)', async () => {
    await setup();
    fake.replay(fixture('executions-corrections'), { reqId: -1 });
    await waitUntil(() => corrections.length === 1 && venue.positions().length === 2, 'the correction');
    // exactly one onFill per execution: the duplicate .01 is ignored, the .02 correction replaces
    expect(fills.map((f) => [f.execution_id, f.symbol, f.side, f.quantity, f.price, f.commission])).to.deep.equal([
      ['0000e0d5.6571a1b2.01', 'AAPL', 'BUY', 10, 100, 1],
      ['0000e0d5.6571a1b3.01', 'MSFT', 'SELL', 5, 410, 0.5],
    ]);
    expect(fills[0]).to.include({ order_id: 'tws-90001', timestamp: '2026-11-23T15:30:05.000Z' });
    expect(corrections[0]![0].price).to.equal(100);
    expect(corrections[0]![1]).to.include({ execution_id: '0000e0d5.6571a1b2.01', price: 100.05, quantity: 10 });
    // positions use the corrected execution, counted once
    expect(venue.positions()).to.deep.equal([
      { symbol: 'AAPL', quantity: 10, avg_price: 100.05 },
      { symbol: 'MSFT', quantity: -5, avg_price: 410 },
    ]);
  });

  it('a correction that arrives before the commission report is folded silently (one fill, corrected price)', async () => {
    await setup();
    const exec = { orderId: 0, symbol: 'AAPL', side: 'BOT' as const, shares: 4, permId: 77 };
    fake.execution({ ...exec, execId: 'aaaa.bbbb.01.01', price: 50 });
    fake.execution({ ...exec, execId: 'aaaa.bbbb.01.02', price: 50.5 });
    fake.execution({ ...exec, execId: 'aaaa.bbbb.01.01', price: 50 }); // stale duplicate of the old revision
    fake.commissionReport('aaaa.bbbb.01.02', 0.35);
    await waitUntil(() => fills.length === 1, 'the fill');
    fake.execution({ orderId: 0, symbol: 'MSFT', side: 'BOT', shares: 1, price: 1, execId: 'fence.01' }, 0);
    await waitUntil(() => fills.length === 2, 'the fence fill');
    expect(fills[0]).to.include({ execution_id: 'aaaa.bbbb.01', price: 50.5, quantity: 4, commission: 0.35 });
    expect(corrections).to.deep.equal([]);
    expect(venue.positions().find((p) => p.symbol === 'AAPL')).to.deep.equal({ symbol: 'AAPL', quantity: 4, avg_price: 50.5 });
  });

  it('reports a fill without commission after commissionWaitMs', async () => {
    await setup(undefined, { commissionWaitMs: 30 });
    fake.execution({ orderId: 0, symbol: 'AAPL', side: 'SLD', shares: 2, price: 10, execId: 'nocomm.01' });
    await waitUntil(() => fills.length === 1, 'the fill');
    expect(fills[0]).to.include({ commission: 0, side: 'SELL' });
  });

  it('loads positions from TWS at start (reqPositions) and applies later live fills on top', async () => {
    await setup((f) => {
      f.positions = [{ symbol: 'AAPL', position: 10, avgCost: 100 }];
      f.executions.push({ exec: { orderId: 3, execId: 'old.01', symbol: 'AAPL', side: 'BOT', shares: 10, price: 100 }, commission: 1 });
    });
    expect(fake.requestsOf('reqPositions').length).to.equal(1);
    expect(fake.requestsOf('reqExecutions').length).to.equal(1);
    // the replayed execution is reported once but not added to the TWS position (which already holds it)
    await waitUntil(() => fills.length === 1, 'the replayed fill');
    expect(venue.positions()).to.deep.equal([{ symbol: 'AAPL', quantity: 10, avg_price: 100 }]);
    fake.execution({ orderId: 0, execId: 'new.01', symbol: 'AAPL', side: 'BOT', shares: 10, price: 110 }, 1);
    await waitUntil(() => fills.length === 2, 'the live fill');
    expect(venue.positions()).to.deep.equal([{ symbol: 'AAPL', quantity: 20, avg_price: 105 }]);
    // a new TWS snapshot is authoritative again
    fake.position({ symbol: 'AAPL', position: 20, avgCost: 105.1 });
    await waitUntil(() => venue.positions()[0]!.avg_price === 105.1, 'the new snapshot');
    expect(venue.positions()).to.deep.equal([{ symbol: 'AAPL', quantity: 20, avg_price: 105.1 }]);
  });

  it('IB order errors reject the order with the IB reason; status updates are reported once per change', async () => {
    await setup((f) => {
      f.responders.placeOrder = (req, tws) => {
        const id = Number(req.f.orderId);
        if (req.f.symbol === 'MSFT') tws.error(id, 201, 'Order rejected - reason:No trading permissions');
        else {
          tws.orderStatus({ orderId: id, status: 'PreSubmitted', filled: 0, remaining: 3 });
          tws.orderStatus({ orderId: id, status: 'Submitted', filled: 1, remaining: 2, avgFillPrice: 10 });
          tws.orderStatus({ orderId: id, status: 'Submitted', filled: 1, remaining: 2, avgFillPrice: 10 });
          tws.orderStatus({ orderId: id, status: 'Filled', filled: 3, remaining: 0, avgFillPrice: 10.5 });
          tws.orderStatus({ orderId: id, status: 'Filled', filled: 3, remaining: 0, avgFillPrice: 10.5 });
        }
      };
    });
    const bad = await venue.placeOrder({ symbol: 'MSFT', side: 'BUY', quantity: 1, type: 'MKT' });
    const good = await venue.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 3, type: 'MKT' });
    await waitUntil(() => orders.some((o) => o.order_id === bad.order_id && o.status === 'rejected'), 'rejection');
    expect(orders.find((o) => o.order_id === bad.order_id && o.status === 'rejected')!.reason).to.match(/^IB 201: .*No trading permissions/);
    await waitUntil(() => orders.some((o) => o.order_id === good.order_id && o.status === 'filled'), 'filled');
    expect(orders.filter((o) => o.order_id === good.order_id).map((o) => [o.status, o.filled_quantity])).to.deep.equal([
      ['submitted', 0],
      ['partially_filled', 1],
      ['filled', 3],
    ]);
    expect(venue.orders().find((o) => o.order_id === good.order_id)).to.include({ avg_fill_price: 10.5 });
  });

  it('rejects locally when not connected (as a value) and resumes after reconnect with fresh order ids', async () => {
    await setup();
    fake.setAccepting(false);
    fake.drop();
    await waitUntil(() => !venue.connection.ready, 'the disconnect');
    const r = await venue.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT' });
    expect(r).to.include({ status: 'rejected', reason: 'NOT_CONNECTED' });
    const since = fake.requests.length;
    fake.setAccepting(true);
    await fake.waitForRequest('reqPositions', { since, timeoutMs: 5000 });
    await fake.waitForRequest('reqExecutions', { since });
    const o = await venue.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT' });
    expect(o.status).to.equal('submitted');
    expect((await fake.waitForRequest('placeOrder', { since })).f.orderId).to.equal(o.order_id);
  });

  it('keeps open orders and only the latest maxFinishedOrders finished ones', async () => {
    await setup(undefined, { maxFinishedOrders: 2 });
    const open = await venue.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT' });
    const rejected: Order[] = [];
    for (let i = 0; i < 4; i++) rejected.push(await venue.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 0, type: 'MKT' }));
    expect(venue.orders().map((o) => o.order_id)).to.have.members([open.order_id, rejected[2]!.order_id, rejected[3]!.order_id]);
    // an order finished by TWS counts as well: the oldest finished one goes
    await venue.cancelOrder(open.order_id);
    await waitUntil(() => orders.some((o) => o.order_id === open.order_id && o.status === 'cancelled'), 'the cancel');
    expect(venue.orders().map((o) => o.order_id)).to.have.members([open.order_id, rejected[3]!.order_id]);
    expect(venue.retained().orders).to.equal(2);
  });

  it('forgets reported executions after executionRetentionMs; a replay of a forgotten one is not reported again', async () => {
    const clock = { t: Date.UTC(2024, 0, 10, 15, 0, 0) };
    await setup(
      (f) => f.executions.push({ exec: { orderId: 3, execId: 'day.01', symbol: 'AAPL', side: 'BOT', shares: 10, price: 100, time: '20240110  15:00:00' }, commission: 1 }),
      { now: () => clock.t, executionRetentionMs: 60_000 },
    );
    await waitUntil(() => fills.length === 1, 'the replayed fill');
    expect(venue.retained().executions).to.equal(1);
    clock.t += 120_000;
    fake.execution({ orderId: 0, execId: 'later.01', symbol: 'MSFT', side: 'BOT', shares: 1, price: 400, time: '20240110  15:02:00' }, 0.5);
    await waitUntil(() => fills.length === 2, 'the later fill');
    expect(venue.retained().executions, 'the old execution is forgotten').to.equal(1);
    // a reconnect replays the day's executions (reqExecutions): the forgotten one must not come back as a new fill
    const since = fake.requests.length;
    fake.drop();
    await fake.waitForRequest('reqExecutions', { since, timeoutMs: 5000 });
    fake.execution({ orderId: 0, execId: 'fence.01', symbol: 'MSFT', side: 'BOT', shares: 1, price: 401, time: '20240110  15:02:01' }, 0.5);
    await waitUntil(() => fills.some((f) => f.execution_id === 'fence'), 'the fence fill');
    expect(fills.map((f) => f.execution_id)).to.deep.equal(['day', 'later', 'fence']);
  });

  it('folds commission reports into their executions; early ones wait, at most maxPendingCommissions', async () => {
    await setup(undefined, { maxPendingCommissions: 2 });
    fake.execution({ orderId: 0, execId: 'c0.01', symbol: 'AAPL', side: 'BOT', shares: 1, price: 10 }, 0.1);
    await waitUntil(() => fills.length === 1, 'the first fill');
    expect(venue.retained().pendingCommissions, 'a consumed report is not kept').to.equal(0);
    // three reports before their executions: only the latest two wait
    fake.commissionReport('c1.01', 0.1);
    fake.commissionReport('c2.01', 0.2);
    fake.commissionReport('c3.01', 0.3);
    fake.execution({ orderId: 0, execId: 'c3.01', symbol: 'AAPL', side: 'BOT', shares: 1, price: 10 });
    await waitUntil(() => fills.length === 2, 'the second fill');
    expect(fills[1]).to.include({ execution_id: 'c3', commission: 0.3 });
    expect(venue.retained().pendingCommissions).to.equal(1);
  });

  it('splits execIds into base and revision', () => {
    const cases = [
      { given: '0000e0d5.6571a1b2.01.01', want: { base: '0000e0d5.6571a1b2.01', revision: 1 } },
      { given: '0000e0d5.6571a1b2.01.02', want: { base: '0000e0d5.6571a1b2.01', revision: 2 } },
      { given: 'plain', want: { base: 'plain', revision: 1 } },
    ];
    for (const { given, want } of cases) expect(splitExecId(given), given).to.deep.equal(want);
  });
});
