import { expect } from 'chai';
import { NYSE_SESSION } from '../../src/market/calendar-nyse.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { isTradingTime, tradingDayOn } from '../../src/market/session.ts';
import type { Bar } from '../../src/market/source.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

function manualClock(start: number): { now: () => number; add: (ms: number) => void; set: (t: number) => void } {
  let t = start;
  return { now: () => t, add: (ms) => (t += ms), set: (v) => (t = v) };
}

/** Closed bars of (symbol, resolution) collected while `steps` ticks of `stepMs` market time run. */
function runLive(source: SimulatedSource, clock: { add: (ms: number) => void }, symbol: string, res: '1' | '60' | 'D', steps: number, stepMs: number): Bar[] {
  const closed: Bar[] = [];
  source.subscribeBars(symbol, res, (bar, isClosed) => {
    if (isClosed) closed.push(bar);
  });
  for (let i = 0; i < steps; i++) {
    clock.add(stepMs);
    source.step();
  }
  return closed;
}

describe('SimulatedSource: tick shape and session calendar', () => {
  it('gives every 1-minute bar a body and wicks at MARKET_SPEED=60 (one real tick = one market minute)', () => {
    const clock = manualClock(Date.UTC(2024, 0, 8, 10, 0, 0));
    const source = new SimulatedSource({ now: clock.now, tickIntervalMs: 1000, tickMarketMs: 60 * 1000 });
    const bars = runLive(source, clock, 'AAPL', '1', 61, MIN);
    expect(bars.length).to.be.at.least(59);
    const flat = bars.filter((b) => b.high === b.low);
    const noBody = bars.filter((b) => b.open === b.close);
    expect(flat, 'bars whose high equals their low').to.have.length(0);
    expect(noBody.length, 'bars whose open equals their close').to.be.at.most(Math.ceil(bars.length * 0.1));
    for (const b of bars) {
      expect(b.high).to.be.at.least(Math.max(b.open, b.close));
      expect(b.low).to.be.at.most(Math.min(b.open, b.close));
    }
  });

  it('at real speed one tick is still one trade (no sub-ticks)', () => {
    const clock = manualClock(Date.UTC(2024, 0, 8, 10, 0, 0));
    const a = new SimulatedSource({ now: clock.now });
    const bars = runLive(a, clock, 'AAPL', '1', 120, 1000);
    expect(bars).to.have.length(2);
    // 60 one-second ticks into a bar: its volume is the sum of 60 trades, not 60 × 12.
    expect(bars[0]!.volume).to.be.below(60 * 5 * Math.round(100_000 / 190));
  });

  it('with the exchange calendar, live stock bars only in NYSE sessions (none on Christmas), crypto around the clock', () => {
    // 2024-12-23 (Mon) 00:00 UTC to 2024-12-27 00:00 UTC at one market minute per step: Christmas Eve closes at
    // 13:00, Christmas is a holiday.
    const start = Date.UTC(2024, 11, 23);
    const steps = 4 * 1440;
    const clockA = manualClock(start);
    const a = new SimulatedSource({ now: clockA.now, calendar: 'exchange', tickMarketMs: MIN });
    const aapl1: Bar[] = [];
    const aaplD: Bar[] = [];
    const btc60: Bar[] = [];
    a.subscribeBars('AAPL', '1', (b, c) => c && aapl1.push(b));
    a.subscribeBars('AAPL', 'D', (b, c) => c && aaplD.push(b));
    a.subscribeBars('BTC-USD', '60', (b, c) => c && btc60.push(b));
    for (let i = 0; i < steps; i++) {
      clockA.add(MIN);
      a.step();
    }
    expect(aapl1.length).to.be.greaterThan(0);
    for (const b of aapl1) expect(isTradingTime(NYSE_SESSION, b.time), new Date(b.time).toISOString()).to.equal(true);
    expect(aapl1.some((b) => new Date(b.time).toISOString().startsWith('2024-12-25'))).to.equal(false);
    // Christmas Eve: the last 1-minute bar starts at 12:59 New York (17:59 UTC).
    const eve = aapl1.filter((b) => new Date(b.time).toISOString().startsWith('2024-12-24'));
    expect(new Date(eve.at(-1)!.time).toISOString()).to.equal('2024-12-24T17:59:00.000Z');
    expect(aaplD.map((b) => new Date(b.time).toISOString().slice(0, 10))).to.deep.equal(['2024-12-23', '2024-12-24', '2024-12-26']);
    expect(btc60.length).to.equal(4 * 24);
  });

  it('with the exchange calendar, history has stock bars only in sessions (no holidays), crypto 24/7', async () => {
    const source = new SimulatedSource({ calendar: 'exchange' });
    const from = Date.UTC(2024, 11, 20);
    const to = Date.UTC(2025, 0, 6);
    const minutes = await source.history('AAPL', '1', from, to);
    expect(minutes.length).to.be.greaterThan(0);
    for (const b of minutes) expect(isTradingTime(NYSE_SESSION, b.time), new Date(b.time).toISOString()).to.equal(true);
    const days = await source.history('AAPL', 'D', from, to);
    expect(days.map((b) => new Date(b.time).toISOString().slice(0, 10))).to.deep.equal([
      '2024-12-20', '2024-12-23', '2024-12-24', '2024-12-26', '2024-12-27', '2024-12-30', '2024-12-31', '2025-01-02', '2025-01-03',
    ]);
    // Full days: 390 minutes; Christmas Eve: 210 (09:30–13:00).
    expect(minutes.length).to.equal(8 * 390 + 210);
    const btc = await source.history('BTC-USD', '1', from, to);
    expect(btc.length).to.equal(((to - from) / DAY) * 1440);
  });

  it('history takes a calendar per request: exchange on an always-open source, and the same path on common minutes', async () => {
    const source = new SimulatedSource();
    const from = Date.UTC(2025, 0, 1);
    const to = Date.UTC(2025, 0, 3);
    const always = await source.history('AAPL', '60', from, to);
    expect(always).to.have.length(48);
    const exchange = await source.history('AAPL', '60', from, to, { calendar: 'exchange' });
    const day = tradingDayOn(NYSE_SESSION, Date.UTC(2025, 0, 2) / DAY)!;
    expect(exchange.map((b) => b.time)).to.deep.equal([0, 1, 2, 3, 4, 5, 6].map((k) => day.start + k * HOUR));
  });

  it('started on a weekend under the exchange calendar, the live walk continues from the last session close', async () => {
    const clock = manualClock(Date.UTC(2024, 0, 6, 12)); // Saturday
    const source = new SimulatedSource({ now: clock.now, calendar: 'exchange', continueFromHistory: true });
    await source.start();
    await source.stop();
    const friday = (await source.history('AAPL', '1', Date.UTC(2024, 0, 5), Date.UTC(2024, 0, 6))).at(-1)!;
    expect(new Date(friday.time).toISOString()).to.equal('2024-01-05T20:59:00.000Z'); // 15:59 New York
    clock.set(Date.UTC(2024, 0, 8, 14, 30, 1)); // Monday 09:30:01 New York
    source.step();
    const price = source.quote('AAPL')!.price;
    expect(Math.abs(price / friday.close - 1), `first tick ${price} vs Friday's close ${friday.close}`).to.be.below(0.005);
  });
});
