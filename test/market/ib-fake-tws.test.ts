/**
 * The fake TWS against the real, unmodified @stoqey/ib IBApi: every message the fake produces must decode
 * into the event and values the client documents, and no message may leave the client with error 505
 * (field layout mismatch / unprocessed data).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { EventName, IBApi, SecType, OrderAction, OrderType, type Contract } from '@stoqey/ib';
import { FakeTws, type TwsFixture } from '../fakes/fake-tws.ts';

const AAPL: Contract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

interface LooseEmitter {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
}

function nextEvent<T extends unknown[]>(api: IBApi, name: EventName, timeoutMs = 2000, where?: (...a: T) => boolean): Promise<T> {
  const ib = api as unknown as LooseEmitter;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ib.off(name, handler);
      reject(new Error(`no ${name} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (...args: unknown[]) => {
      if (where && !where(...(args as T))) return;
      clearTimeout(timer);
      ib.off(name, handler);
      resolve(args as T);
    };
    ib.on(name, handler);
  });
}

function loadFixture(name: string): TwsFixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/tws/${name}.json`, import.meta.url), 'utf8')) as TwsFixture;
}

describe('fake TWS drives the real IBApi client', () => {
  let fake: FakeTws;
  let ib: IBApi;
  let errors: { code: number; reqId: number; message: string }[];

  beforeEach(async () => {
    fake = await FakeTws.start({ nextValidId: 100 });
    ib = new IBApi({ host: '127.0.0.1', port: fake.port, clientId: 7 });
    errors = [];
    ib.on(EventName.error, (err: Error, code: number, reqId: number) => errors.push({ code, reqId, message: err.message }));
    const ready = nextEvent<[number]>(ib, EventName.nextValidId);
    const accounts = nextEvent<[string]>(ib, EventName.managedAccounts);
    ib.connect();
    const [orderId] = await ready;
    expect(orderId).to.equal(100);
    expect((await accounts)[0]).to.equal('DU1234567');
  });

  afterEach(async () => {
    ib.disconnect();
    await fake.close();
    expect(errors.filter((e) => e.code === 505), JSON.stringify(errors)).to.deep.equal([]);
  });

  it('completes the handshake at server version 193 and logs START_API with the client id', async () => {
    expect(ib.serverVersion).to.equal(193);
    const start = await fake.waitForRequest('startApi');
    expect(start.f.clientId).to.equal('7');
  });

  it('decodes reqRealTimeBars and delivers REAL_TIME_BARS', async () => {
    ib.reqRealTimeBars(11, AAPL, 5, 'TRADES' as never, false);
    const req = await fake.waitForRequest('reqRealTimeBars');
    expect(req.f).to.include({ reqId: '11', symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', barSize: '5', whatToShow: 'TRADES', useRTH: '0' });
    const bar = nextEvent<number[]>(ib, EventName.realtimeBar);
    fake.realtimeBar(11, { time: 1_700_000_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 300, wap: 1.4, count: 7 });
    expect(await bar).to.deep.equal([11, 1_700_000_000, 1, 2, 0.5, 1.5, 300, 1.4, 7]);
  });

  it('decodes reqHistoricalData and delivers HISTORICAL_DATA with the end marker', async () => {
    fake.historicalBars = () => [
      { time: 1_700_000_000, open: 1, high: 2, low: 1, close: 2, volume: 10 },
      { time: 1_700_000_060, open: 2, high: 3, low: 2, close: 3, volume: 20 },
    ];
    const rows: unknown[][] = [];
    const done = nextEvent<unknown[]>(ib, EventName.historicalData, 2000, (_id, date) => String(date).startsWith('finished'));
    ib.on(EventName.historicalData, (...a: unknown[]) => rows.push(a));
    ib.reqHistoricalData(12, AAPL, '20231114 22:13:20 UTC', '1800 S', '1 min' as never, 'TRADES' as never, 0, 2, false);
    const req = await fake.waitForRequest('reqHistoricalData');
    expect(req.f).to.include({ reqId: '12', symbol: 'AAPL', endDateTime: '20231114 22:13:20 UTC', barSize: '1 min', duration: '1800 S', useRTH: '0', whatToShow: 'TRADES', formatDate: '2', keepUpToDate: '0' });
    await done;
    expect(rows.length).to.equal(3);
    expect(rows[0].slice(0, 7)).to.deep.equal([12, '1700000000', 1, 2, 1, 2, 10]);
  });

  it('decodes reqMktData / reqMarketDataType and delivers ticks, 354 and 10167', async () => {
    fake.marketData.permission = 'none';
    fake.quotes.set('AAPL', { last: 190, close: 188 });
    const e354 = nextEvent<unknown[]>(ib, EventName.error, 2000, (_e, code) => code === 354);
    ib.reqMktData(13, AAPL, '', false, false);
    const req = await fake.waitForRequest('reqMktData');
    expect(req.f).to.include({ reqId: '13', symbol: 'AAPL', genericTickList: '', snapshot: '0' });
    expect((await e354)[2]).to.equal(13);
    const ticks: number[][] = [];
    ib.on(EventName.tickPrice, (id: number, type: number, price: number) => ticks.push([id, type, price]));
    const closeTick = nextEvent<unknown[]>(ib, EventName.tickPrice, 2000, (_i, type) => type === 75);
    ib.reqMarketDataType(3);
    expect((await fake.waitForRequest('reqMarketDataType')).f.marketDataType).to.equal('3');
    ib.reqMktData(14, AAPL, '', false, false);
    await closeTick;
    expect(ticks).to.deep.equal([
      [14, 68, 190],
      [14, 75, 188],
    ]);
    expect(errors.map((e) => e.code)).to.include(10167);
  });

  it('reports ERR_MSG without a request id as info (connectivity codes)', async () => {
    const info = nextEvent<[string, number]>(ib, EventName.info);
    fake.error(-1, 1100, 'Connectivity between IB and Trader Workstation has been lost.');
    expect((await info)[1]).to.equal(1100);
  });

  it('decodes placeOrder / cancelOrder and delivers ORDER_STATUS', async () => {
    const submitted = nextEvent<unknown[]>(ib, EventName.orderStatus);
    ib.placeOrder(100, AAPL, { action: OrderAction.BUY, totalQuantity: 5, orderType: OrderType.LMT, lmtPrice: 189.5, transmit: true });
    const req = await fake.waitForRequest('placeOrder');
    expect(req.f).to.include({ orderId: '100', symbol: 'AAPL', action: 'BUY', totalQuantity: '5', orderType: 'LMT', lmtPrice: '189.5' });
    expect((await submitted).slice(0, 5)).to.deep.equal([100, 'Submitted', 0, 5, 0]);
    const cancelled = nextEvent<unknown[]>(ib, EventName.orderStatus, 2000, (_id, st) => st === 'Cancelled');
    ib.cancelOrder(100, {} as never);
    expect((await fake.waitForRequest('cancelOrder')).f.orderId).to.equal('100');
    await cancelled;
  });

  it('delivers EXECUTION_DATA (solicited and unsolicited) and COMMISSION_REPORT', async () => {
    fake.executions.push({ exec: { orderId: 100, execId: '0001.01', symbol: 'AAPL', side: 'BOT', shares: 5, price: 189.4 }, commission: 1.0 });
    const execs: unknown[][] = [];
    const commissions: { execId?: string; commission?: number }[] = [];
    ib.on(EventName.execDetails, (...a: unknown[]) => execs.push(a));
    ib.on(EventName.commissionReport, (c: { execId?: string; commission?: number }) => commissions.push(c));
    const end = nextEvent<[number]>(ib, EventName.execDetailsEnd);
    ib.reqExecutions(21, {});
    expect((await fake.waitForRequest('reqExecutions')).f.reqId).to.equal('21');
    expect((await end)[0]).to.equal(21);
    const unsolicited = nextEvent<unknown[]>(ib, EventName.commissionReport, 2000, (c) => (c as { execId: string }).execId === '0002.01');
    fake.execution({ orderId: 0, execId: '0002.01', symbol: 'MSFT', side: 'SLD', shares: 3, price: 410.1 }, 0.5);
    await unsolicited;
    expect(execs.length).to.equal(2);
    const [reqId, contract, exec] = execs[0] as [number, Contract, Record<string, unknown>];
    expect(reqId).to.equal(21);
    expect(contract.symbol).to.equal('AAPL');
    expect(exec).to.include({ orderId: 100, execId: '0001.01', side: 'BOT', shares: 5, price: 189.4 });
    expect((execs[1] as unknown[])[0]).to.equal(-1);
    expect(commissions.map((c) => [c.execId, c.commission])).to.deep.equal([
      ['0001.01', 1],
      ['0002.01', 0.5],
    ]);
  });

  it('delivers POSITION / POSITION_END and PNL', async () => {
    fake.positions = [{ symbol: 'AAPL', position: 10, avgCost: 180.25 }];
    const pos = nextEvent<unknown[]>(ib, EventName.position);
    const end = nextEvent<unknown[]>(ib, EventName.positionEnd);
    ib.reqPositions();
    await fake.waitForRequest('reqPositions');
    const [account, contract, qty, avg] = await pos;
    expect([account, (contract as Contract).symbol, qty, avg]).to.deep.equal(['DU1234567', 'AAPL', 10, 180.25]);
    await end;
    fake.pnl = { daily: 12.5, unrealized: 40, realized: -3 };
    const pnl = nextEvent<unknown[]>(ib, EventName.pnl);
    ib.reqPnL(31, 'DU1234567', '');
    expect((await fake.waitForRequest('reqPnL')).f).to.include({ reqId: '31', account: 'DU1234567' });
    expect(await pnl).to.deep.equal([31, 12.5, 40, -3]);
  });

  it('replays recorded fixtures without layout errors', async () => {
    const execs: unknown[] = [];
    ib.on(EventName.execDetails, (...a: unknown[]) => execs.push(a));
    const last = nextEvent<unknown[]>(ib, EventName.commissionReport, 2000, (c) => (c as { execId: string }).execId === '0000e0d5.6571a1b2.01.02');
    fake.replay(loadFixture('executions-corrections'), { reqId: -1 });
    await last;
    expect(execs.length).to.equal(4);
    const done = nextEvent<unknown[]>(ib, EventName.historicalData, 2000, (_id, date) => String(date).startsWith('finished'));
    fake.replay(loadFixture('historical-aapl-5min'), { reqId: 44 });
    await done;
  });

  it('the 505 guard is live: a layout with one extra field is reported as 505', async () => {
    const e505 = nextEvent<unknown[]>(ib, EventName.error, 2000, (_e, code) => code === 505);
    fake.sendRaw([50, 3, 11, 1_700_000_000, 1, 2, 0.5, 1.5, 300, 1.4, 7, 'extra']);
    await e505;
    errors = errors.filter((e) => e.code !== 505);
  });

  it('drop() disconnects the client and accepts it again', async () => {
    const gone = nextEvent<unknown[]>(ib, EventName.disconnected);
    fake.drop();
    await gone;
    const again = nextEvent<[number]>(ib, EventName.nextValidId);
    ib.connect();
    await again;
    expect(fake.connectionCount).to.equal(2);
  });
});
