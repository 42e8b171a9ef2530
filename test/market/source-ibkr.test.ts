/**
 * IbkrSource over the fake TWS, driven through the real @stoqey/ib client: the MarketSource conformance
 * suite, then IB-specific behaviour (one upstream subscription per symbol, backfill, aggregation of 5-s bars,
 * delayed-data fallback, unknown symbols, reconnect). No test may see error 505 (layout mismatch).
 */
import { expect } from 'chai';
import { IbkrSource, formatIbDateTime } from '../../src/market/source-ibkr.ts';
import type { Bar, Resolution } from '../../src/market/source.ts';
import { US_EQUITY_SESSION, tradingDayAt, tradingDayOn, DAY_MS } from '../../src/market/session.ts';
import { LISTENER_ERROR_CODE, type IbHealthEvent } from '../../src/market/ib-connection.ts';
import { FakeTws, type FakeBar, type TwsRequest } from '../fakes/fake-tws.ts';
import { describeSourceConformance } from './source.conformance.ts';
import { waitUntil } from '../support/wait.ts';

/** Wednesday 2024-01-10 10:00 New York = 15:00 UTC: inside regular trading hours. */
const T0 = Date.UTC(2024, 0, 10, 15, 0, 0);

/** Deterministic price path used for live and historical bars. */
function price(t: number): number {
  return Math.round((100 + 5 * Math.sin(t / 3_600_000) + 0.5 * Math.sin(t / 97_000)) * 100) / 100;
}

function barAt(t: number, stepMs: number): Omit<FakeBar, 'time'> {
  const open = price(t);
  const close = price(t + stepMs);
  return { open, close, high: Math.max(open, close) + 0.05, low: Math.min(open, close) - 0.05, volume: 100 };
}

function parseEnd(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) throw new Error(`unexpected endDateTime ${s}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/**
 * What TWS would answer to reqHistoricalData (RTH, formatDate 2): clock-aligned bars inside 09:30–16:00 New
 * York; daily bars dated yyyyMMdd.
 */
function synthHistory(req: TwsRequest): (FakeBar & { date?: string })[] {
  const end = parseEnd(req.f.endDateTime);
  const [n, unit] = req.f.duration.split(' ');
  const span = Number(n) * (unit === 'S' ? 1000 : unit === 'D' ? DAY_MS : 365 * DAY_MS);
  const start = end - span;
  const out: (FakeBar & { date?: string })[] = [];
  if (req.f.barSize === '1 day') {
    for (let d = Math.floor(start / DAY_MS); d * DAY_MS < end; d++) {
      const day = tradingDayOn(US_EQUITY_SESSION, d);
      if (!day) continue;
      const date = day.date.replaceAll('-', '');
      out.push({ time: 0, date, ...barAt(day.start, day.end - day.start) });
    }
    return out;
  }
  const step = { '1 min': 1, '5 mins': 5, '15 mins': 15, '30 mins': 30 }[req.f.barSize]! * 60_000;
  for (let t = Math.ceil(start / step) * step; t < end; t += step) {
    const day = tradingDayAt(US_EQUITY_SESSION, t);
    if (!day) continue;
    out.push({ time: t / 1000, ...barAt(t, Math.min(step, day.end - t)) });
  }
  return out;
}

interface Rig {
  fake: FakeTws;
  source: IbkrSource;
  health: IbHealthEvent[];
  clock: { t: number };
}

async function rig(opts: { symbols?: string[]; t0?: number; prepare?: (fake: FakeTws) => void; extra?: Partial<ConstructorParameters<typeof IbkrSource>[0]> } = {}): Promise<Rig> {
  const fake = await FakeTws.start();
  fake.historicalBars = synthHistory;
  fake.quotes.set('AAPL', { last: 190.5, close: 188 });
  fake.quotes.set('MSFT', { last: 410, close: 400 });
  opts.prepare?.(fake);
  const clock = { t: opts.t0 ?? T0 };
  const source = new IbkrSource({
    symbols: opts.symbols ?? ['AAPL', 'MSFT'],
    connection: { config: { host: '127.0.0.1', port: fake.port, clientId: 1 }, backoff: { initialMs: 20, maxMs: 200 } },
    now: () => clock.t,
    closeIntervalMs: 0,
    ...opts.extra,
  });
  const health: IbHealthEvent[] = [];
  source.onHealth((h) => health.push(h));
  await source.start();
  return { fake, source, health, clock };
}

async function teardown(r: Rig): Promise<void> {
  await r.source.stop();
  await r.fake.close();
  expect(r.health.filter((h) => h.code === 505), 'no 505 (layout mismatch)').to.deep.equal([]);
}

/** The request id of the live realtime-bar subscription for `symbol`. */
function rtbReqId(fake: FakeTws, symbol: string): number {
  const live = fake.requestsOf('reqRealTimeBars').filter((r) => r.f.symbol === symbol);
  return Number(live[live.length - 1]!.f.reqId);
}

describeSourceConformance('IbkrSource over the fake TWS', async () => {
  const r = await rig({ symbols: ['AAPL', 'MSFT'] });
  let pushed = 0;
  let seen = 0;
  // a probe listener: keeps the upstream subscription open and tells advance() when a bar was processed
  const offProbe = r.source.subscribeBars('AAPL', '1', () => seen++);
  await r.fake.waitForRequest('reqRealTimeBars');
  return {
    source: r.source,
    session: US_EQUITY_SESSION,
    symbol: 'AAPL',
    advance: async () => {
      const t = T0 + pushed * 5000;
      pushed++;
      r.clock.t = t + 5000;
      const before = seen;
      r.fake.realtimeBar(rtbReqId(r.fake, 'AAPL'), { time: t / 1000, ...barAt(t, 5000) });
      const mkt = r.fake.requestsOf('reqMktData').filter((q) => q.f.symbol === 'AAPL').at(-1)!;
      r.fake.tickPrice(Number(mkt.f.reqId), 4, price(t + 5000));
      await waitUntil(() => seen > before, 'the source to process a 5-s bar');
    },
    cleanup: async () => {
      offProbe();
      await teardown(r);
    },
  };
});

describe('IbkrSource (IB specifics over the fake TWS)', () => {
  let r: Rig;
  let barrierSeq = 0;
  afterEach(async () => {
    await teardown(r);
  });

  /** Waits until every request sent so far has reached the fake (a history round trip as a barrier). */
  async function barrier(): Promise<void> {
    // a distinct range each time, so the history cache never answers it
    await r.source.history('MSFT', '1', Date.UTC(2024, 0, 9, 15), Date.UTC(2024, 0, 9, 15, 1 + ++barrierSeq));
  }

  it('opens ONE realtime-bar subscription per symbol for all resolutions and listeners', async () => {
    r = await rig();
    const offs = (['1', '5', '15', '60', 'D', '1'] as Resolution[]).map((res) => r.source.subscribeBars('AAPL', res, () => undefined));
    await barrier();
    const rtb = r.fake.requestsOf('reqRealTimeBars');
    expect(rtb.length).to.equal(1);
    expect(rtb[0]!.f).to.include({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', barSize: '5', whatToShow: 'TRADES', useRTH: '0' });
    offs.slice(1).forEach((off) => off());
    await barrier();
    expect(r.fake.requestsOf('cancelRealTimeBars').length, 'still one listener').to.equal(0);
    offs[0]!();
    const cancel = await r.fake.waitForRequest('cancelRealTimeBars');
    expect(cancel.f.reqId).to.equal(rtb[0]!.f.reqId);
  });

  it('a backfill that throws while seeding becomes a health event, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      r = await rig({ t0: Date.UTC(2024, 0, 10, 15, 7, 30) });
      // a seeding bug, injected into the (private) aggregator of AAPL
      const feed = (r.source as unknown as { feeds: Map<string, { aggregator: { seed: () => void } }> }).feeds.get('AAPL')!;
      feed.aggregator.seed = () => {
        throw new Error('seed broke');
      };
      r.source.subscribeBars('AAPL', 'D', () => undefined);
      await waitUntil(() => unhandled.length > 0 || r.health.some((h) => /seed broke/.test(h.message)), 'the failed backfill to be reported');
      await new Promise((res) => setImmediate(res));
      expect(unhandled.map((e) => (e as Error).message), 'unhandled rejections').to.deep.equal([]);
      expect(r.health.find((h) => /seed broke/.test(h.message))).to.deep.include({ ok: false, code: LISTENER_ERROR_CODE });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('requests quotes for every symbol and computes change / change_pct from last and close', async () => {
    r = await rig();
    await waitUntil(() => r.source.quote('MSFT') !== undefined && r.source.quote('AAPL') !== undefined, 'quotes');
    expect(r.fake.requestsOf('reqMktData').map((q) => q.f.symbol).sort()).to.deep.equal(['AAPL', 'MSFT']);
    expect(r.source.quote('MSFT')).to.deep.include({ symbol: 'MSFT', price: 410, previous_close: 400, change: 10, change_pct: 2.5, delayed: false });
  });

  it('backfills the forming bars from 1-minute history on first subscribe, then merges live 5-s bars', async () => {
    const t0 = Date.UTC(2024, 0, 10, 15, 7, 30); // 10:07:30 New York
    r = await rig({ t0 });
    const updates: { bar: Bar; closed: boolean }[] = [];
    r.source.subscribeBars('AAPL', 'D', (bar, closed) => updates.push({ bar, closed }));
    const req = await r.fake.waitForRequest('reqHistoricalData', { where: (q) => q.f.symbol === 'AAPL' });
    const cutoff = Date.UTC(2024, 0, 10, 15, 7, 0);
    expect(req.f).to.include({ barSize: '1 min', endDateTime: formatIbDateTime(cutoff), duration: `${(cutoff - Date.UTC(2024, 0, 10, 14, 30)) / 1000} S`, useRTH: '1', whatToShow: 'TRADES', formatDate: '2' });
    const minutes = synthHistory(req);
    expect(minutes.length).to.equal(37);
    await waitUntil(() => updates.length > 0, 'the seeded daily bar');
    const seeded = r.source.currentBar('AAPL', 'D')!;
    expect(seeded).to.deep.equal({
      time: Date.UTC(2024, 0, 10),
      open: minutes[0]!.open,
      high: Math.max(...minutes.map((m) => m.high)),
      low: Math.min(...minutes.map((m) => m.low)),
      close: minutes.at(-1)!.close,
      volume: 37 * 100,
    });
    // the 5-minute bar forming at the cutoff (10:05) holds the two completed minutes 10:05 and 10:06
    expect(r.source.currentBar('AAPL', '5')).to.include({ time: Date.UTC(2024, 0, 10, 15, 5), volume: 200 });
    // a live bar after the cutoff merges into the seeded bars
    const live = { time: cutoff / 1000 + 35, open: 200, high: 201, low: 199, close: 200.5, volume: 7 };
    r.fake.realtimeBar(rtbReqId(r.fake, 'AAPL'), live);
    await waitUntil(() => r.source.currentBar('AAPL', 'D')!.volume === 3707, 'the live bar');
    expect(r.source.currentBar('AAPL', 'D')).to.include({ high: 201, close: 200.5, open: seeded.open });
  });

  it('aggregates 5-second bars into 5-minute bars and closes each exactly once', async () => {
    r = await rig();
    const five: { bar: Bar; closed: boolean }[] = [];
    r.source.subscribeBars('AAPL', '5', (bar, closed) => five.push({ bar, closed }));
    await r.fake.waitForRequest('reqRealTimeBars');
    const inputs: FakeBar[] = [];
    for (let i = 0; i < 61; i++) {
      const t = T0 + i * 5000;
      inputs.push({ time: t / 1000, ...barAt(t, 5000), volume: i + 1 });
    }
    for (const b of inputs) r.fake.realtimeBar(rtbReqId(r.fake, 'AAPL'), b);
    await waitUntil(() => five.some((u) => u.bar.time === T0 + 300_000), 'the next 5-minute bar');
    const first = inputs.slice(0, 60);
    const closed = five.filter((u) => u.closed);
    expect(closed.length).to.equal(1);
    expect(closed[0]!.bar).to.deep.equal({
      time: T0,
      open: first[0]!.open,
      high: Math.max(...first.map((b) => b.high)),
      low: Math.min(...first.map((b) => b.low)),
      close: first[59]!.close,
      volume: (60 * 61) / 2,
    });
    // closed as soon as the 5-s bar 10:04:55 (the last of the period) arrived, before the next bar opened
    const iClosed = five.findIndex((u) => u.closed);
    expect(five[iClosed + 1]!.bar.time).to.equal(T0 + 300_000);
    expect(five.filter((u) => u.bar.time === T0).length).to.equal(61);
  });

  it('falls back to delayed data (type 3) when live market data is not permitted (354 → 10167)', async () => {
    r = await rig({ symbols: ['AAPL'], prepare: (fake) => (fake.marketData.permission = 'none') });
    await waitUntil(() => r.source.quote('AAPL') !== undefined, 'a delayed quote');
    expect(r.fake.requests.filter((q) => q.type === 'reqMktData' || q.type === 'reqMarketDataType').map((q) => [q.type, q.f.marketDataType ?? q.f.symbol])).to.deep.equal([
      ['reqMktData', 'AAPL'],
      ['reqMarketDataType', '3'],
      ['reqMktData', 'AAPL'],
    ]);
    expect(r.source.quote('AAPL')).to.deep.include({ price: 190.5, previous_close: 188, delayed: true });
    expect(r.health.some((h) => h.code === 354 && h.ok)).to.equal(true);
  });

  it('marks quotes delayed on 10167 without a re-request', async () => {
    r = await rig({
      symbols: ['AAPL'],
      prepare: (fake) => {
        fake.responders.reqMktData = (req, f) => {
          const id = Number(req.f.reqId);
          f.error(id, 10167, 'Requested market data is not subscribed. Displaying delayed market data.');
          f.tickPrice(id, 68, 191);
          f.tickPrice(id, 75, 190);
        };
      },
    });
    await waitUntil(() => r.source.quote('AAPL') !== undefined, 'a delayed quote');
    expect(r.source.quote('AAPL')).to.deep.include({ price: 191, change: 1, change_pct: 0.53, delayed: true });
    expect(r.fake.requestsOf('reqMktData').length).to.equal(1);
    expect(r.fake.requestsOf('reqMarketDataType').length).to.equal(0);
  });

  it('a throwing health listener is reported to onHealthListenerError; the other health listeners still run', async () => {
    const reported: unknown[] = [];
    r = await rig({ extra: { onHealthListenerError: (e) => reported.push(e) } });
    r.source.onHealth(() => {
      throw new Error('health listener bug');
    });
    const after: IbHealthEvent[] = [];
    r.source.onHealth((h) => after.push(h));
    r.fake.error(-1, 2104, 'Market data farm connection is OK:usfarm');
    await waitUntil(() => after.some((h) => h.code === 2104), 'the 2104 health event');
    expect(reported.map((e) => (e as Error).message)).to.deep.equal(['health listener bug']);
  });

  it('error 200 (no security definition) → health event, symbol unknown, no crash, others unaffected', async () => {
    r = await rig({
      symbols: ['AAPL', 'NOPE'],
      prepare: (fake) => {
        const dflt = fake.responders.reqMktData;
        fake.responders.reqMktData = (req, f) => {
          if (req.f.symbol === 'NOPE') f.error(Number(req.f.reqId), 200, 'No security definition has been found for the request');
          else if (dflt) dflt(req, f);
          else f.quotes.get(req.f.symbol) && (f.tickPrice(Number(req.f.reqId), 4, 190.5), f.tickPrice(Number(req.f.reqId), 9, 188));
        };
      },
    });
    await waitUntil(() => r.health.some((h) => h.code === 200), 'the 200 health event');
    expect(r.health.find((h) => h.code === 200)).to.include({ ok: false });
    expect(r.source.hasSymbol('NOPE')).to.equal(false);
    expect(r.source.symbols()).to.deep.equal(['AAPL']);
    let err: unknown;
    await r.source.history('NOPE', '1', T0, T0 + 60_000).catch((e) => (err = e));
    expect((err as { code?: string }).code).to.equal('UNKNOWN_SYMBOL');
    await waitUntil(() => r.source.quote('AAPL') !== undefined, 'AAPL still quoted');
  });

  it('re-subscribes everything after a drop and bar updates resume', async () => {
    r = await rig();
    const ones: Bar[] = [];
    r.source.subscribeBars('AAPL', '1', (bar) => ones.push(bar));
    await r.fake.waitForRequest('reqRealTimeBars');
    r.fake.realtimeBar(rtbReqId(r.fake, 'AAPL'), { time: T0 / 1000, ...barAt(T0, 5000) });
    await waitUntil(() => ones.length === 1, 'first update');
    const before = r.fake.requests.length;
    r.fake.drop();
    const again = await r.fake.waitForRequest('reqRealTimeBars', { since: before, timeoutMs: 5000 });
    expect(again.connection).to.equal(2);
    expect(again.f.reqId).to.not.equal(r.fake.requestsOf('reqRealTimeBars')[0]!.f.reqId);
    await waitUntil(() => r.fake.requests.slice(before).filter((q) => q.type === 'reqMktData').length === 2, 'quotes re-requested');
    r.clock.t = T0 + 10_000;
    r.fake.realtimeBar(Number(again.f.reqId), { time: T0 / 1000 + 5, ...barAt(T0 + 5000, 5000) });
    await waitUntil(() => ones.length === 2, 'update after reconnect');
    expect(ones[1]!.time).to.equal(T0);
    expect(r.health.some((h) => h.code === 504 && !h.ok)).to.equal(true);
  });

  it('history() uses the pacing queue and serves identical requests within 15 s from one upstream request', async () => {
    r = await rig();
    const from = Date.UTC(2024, 0, 9, 14, 30);
    const to = Date.UTC(2024, 0, 9, 21);
    const [a, b] = await Promise.all([r.source.history('AAPL', '60', from, to), r.source.history('AAPL', '60', from, to)]);
    expect(a).to.deep.equal(b);
    expect(r.fake.requestsOf('reqHistoricalData').length).to.equal(1);
    // '60' is built from 30-minute bars, aligned to the 09:30 open (14:30 UTC), the last one cut by the close
    expect(a.map((x) => new Date(x.time).toISOString().slice(11, 16))).to.deep.equal(['14:30', '15:30', '16:30', '17:30', '18:30', '19:30', '20:30']);
    expect(r.fake.requestsOf('reqHistoricalData')[0]!.f).to.include({ barSize: '30 mins', duration: '23400 S', useRTH: '1' });
  });
});
