/**
 * BarHistory on the IB source over the fake TWS (the real @stoqey/ib client): history requests go through the pacing
 * queue as reqHistoricalData, come back on the live topic's buckets, the forming bar (from live 5-s bars) last; an
 * upstream pacing violation is HISTORY_UNAVAILABLE.
 */
import { expect } from 'chai';
import { BarHistory, barMs } from '../../src/market/bar-history.ts';
import { IbkrSource } from '../../src/market/source-ibkr.ts';
import { DAY_MS, tradingDayAt, US_EQUITY_SESSION } from '../../src/market/session.ts';
import { FakeTws, type FakeBar, type TwsRequest } from '../fakes/fake-tws.ts';
import { waitUntil } from '../support/wait.ts';

const T0 = Date.UTC(2024, 0, 10, 15, 0, 0); // Wednesday 10:00 New York

function price(t: number): number {
  return Math.round((100 + 5 * Math.sin(t / 3_600_000)) * 100) / 100;
}

/** TWS's answer to reqHistoricalData (RTH, formatDate 2) for intraday bar sizes: clock-aligned bars within 09:30-16:00. */
function synthHistory(req: TwsRequest): FakeBar[] {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})$/.exec(req.f.endDateTime)!;
  const end = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const [n, unit] = req.f.duration.split(' ');
  const start = end - Number(n) * (unit === 'S' ? 1000 : unit === 'D' ? DAY_MS : unit === 'W' ? 7 * DAY_MS : 365 * DAY_MS);
  const step = ({ '1 min': 1, '5 mins': 5, '15 mins': 15, '30 mins': 30 } as Record<string, number>)[req.f.barSize]! * 60_000;
  const out: FakeBar[] = [];
  for (let t = Math.ceil(start / step) * step; t < end; t += step) {
    if (!tradingDayAt(US_EQUITY_SESSION, t)) continue;
    out.push({ time: t / 1000, open: price(t), close: price(t + step), high: Math.max(price(t), price(t + step)) + 0.05, low: Math.min(price(t), price(t + step)) - 0.05, volume: 100 });
  }
  return out;
}

describe('BarHistory on the IB source (fake TWS)', function () {
  this.timeout(15_000);
  let fake: FakeTws;
  let source: IbkrSource;
  const clock = { t: T0 };
  beforeEach(async () => {
    clock.t = T0;
    fake = await FakeTws.start();
    fake.historicalBars = synthHistory;
    source = new IbkrSource({
      symbols: ['AAPL'],
      connection: { config: { host: '127.0.0.1', port: fake.port, clientId: 1 }, backoff: { initialMs: 20, maxMs: 200 } },
      now: () => clock.t,
      closeIntervalMs: 0,
    });
    await source.start();
  });
  afterEach(async () => {
    await source.stop();
    await fake.close();
  });

  it('countBack through reqHistoricalData (paced), session-aligned buckets, oldest first', async () => {
    const history = new BarHistory({ source, now: () => clock.t, maxChunks: 3 });
    const out = await history.query({ symbol: 'AAPL', resolution: '5', to: T0, countBack: 20 });
    if (!out.ok) throw new Error(out.message);
    const bars = out.answer.bars;
    expect(bars.length).to.equal(20);
    expect(bars.at(-1)!.time).to.equal(T0 - 300_000);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.time).to.be.greaterThan(bars[i - 1]!.time);
    for (const b of bars) expect(tradingDayAt(US_EQUITY_SESSION, b.time), `${new Date(b.time).toISOString()} in session`).to.not.equal(undefined);
    const reqs = fake.requestsOf('reqHistoricalData');
    expect(reqs.length).to.be.within(1, 3);
    expect(reqs[0]!.f).to.include({ barSize: '5 mins', whatToShow: 'TRADES', useRTH: '1' });
    // the 60-minute topic's buckets start at the 09:30 open, not on clock hours
    const hourly = await history.query({ symbol: 'AAPL', resolution: '60', to: T0, countBack: 5 });
    if (!hourly.ok) throw new Error(hourly.message);
    for (const b of hourly.answer.bars) expect((b.time - Date.UTC(2024, 0, 1, 14, 30)) % barMs('60')).to.equal(0);
  });

  it('the forming bar from live 5-s bars comes last, after IB history for the closed buckets', async () => {
    const updates: number[] = [];
    source.subscribeBars('AAPL', '1', (bar) => updates.push(bar.time));
    await fake.waitForRequest('reqRealTimeBars');
    const rtb = Number(fake.requestsOf('reqRealTimeBars').at(-1)!.f.reqId);
    const t = T0 + 30_000;
    clock.t = t + 5000;
    fake.realtimeBar(rtb, { time: t / 1000, open: 150, high: 151, low: 149, close: 150.5, volume: 42 });
    await waitUntil(() => source.currentBar('AAPL', '1')?.volume === 42 || (source.currentBar('AAPL', '1')?.volume ?? 0) > 42, 'the live bar');
    const history = new BarHistory({ source, now: () => clock.t, maxChunks: 3 });
    const out = await history.query({ symbol: 'AAPL', resolution: '1', to: T0 + 3_600_000, countBack: 10 });
    if (!out.ok) throw new Error(out.message);
    const bars = out.answer.bars;
    expect(bars.at(-1)).to.deep.equal(source.currentBar('AAPL', '1'));
    expect(bars.at(-1)!.time).to.equal(T0);
    expect(bars.at(-2)!.time).to.equal(T0 - 60_000);
    expect(new Set(bars.map((b) => b.time)).size).to.equal(bars.length);
  });

  it('an IB pacing violation (162) answers HISTORY_UNAVAILABLE; an unknown contract (200) UNKNOWN_SYMBOL', async () => {
    fake.responders.reqHistoricalData = (req, f) => f.error(Number(req.f.reqId), 162, 'Historical Market Data Service error message:API historical data query cancelled: pacing violation');
    const history = new BarHistory({ source, now: () => clock.t, maxChunks: 3 });
    const out = await history.query({ symbol: 'AAPL', resolution: '1', to: T0 - 7_200_000, countBack: 10 });
    expect(out).to.deep.include({ ok: false, code: 'HISTORY_UNAVAILABLE' });
    fake.responders.reqHistoricalData = (req, f) => f.error(Number(req.f.reqId), 200, 'No security definition has been found for the request');
    const unknown = await history.query({ symbol: 'AAPL', resolution: '1', to: T0 - 9_000_000, countBack: 10 });
    expect(unknown).to.deep.include({ ok: false, code: 'UNKNOWN_SYMBOL' });
  });
});
