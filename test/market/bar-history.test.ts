/**
 * BarHistory over the simulated market (stepped by hand on a manual clock): windows, countBack, noData/nextTime,
 * limits, bad input as coded values, and history lining up with the live feed (same buckets, forming bar last).
 */
import { expect } from 'chai';
import { BarHistory, barMs, MAX_HISTORY_BARS } from '../../src/market/bar-history.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import type { Bar, MarketSource, Resolution } from '../../src/market/source.ts';
import { US_EQUITY_SESSION } from '../../src/market/session.ts';

const T0 = Date.UTC(2024, 0, 10, 15, 0, 0); // Wednesday
const EARLIEST = Date.UTC(2000, 0, 1);

function rig(options: { session?: typeof US_EQUITY_SESSION; t0?: number } = {}) {
  const clock = { t: options.t0 ?? T0 };
  const source = new SimulatedSource({ symbols: ['AAPL', 'MSFT'], now: () => clock.t, tickIntervalMs: 10_000, ...(options.session ? { session: options.session } : {}) });
  const history = new BarHistory({ source, now: () => clock.t, recordLive: true, earliest: EARLIEST });
  history.start();
  /** Ticks every 10 s of market time for `ms`. */
  const run = (ms: number) => {
    for (let end = clock.t + ms; clock.t < end; ) {
      clock.t += 10_000;
      source.step(1);
    }
  };
  return { clock, source, history, run };
}

async function ok(h: BarHistory, q: Parameters<BarHistory['query']>[0]) {
  const out = await h.query(q);
  if (!out.ok) throw new Error(`expected an answer, got ${out.code}: ${out.message}`);
  return out.answer;
}

function expectAscendingAligned(bars: Bar[], res: Resolution): void {
  for (let i = 1; i < bars.length; i++) expect(bars[i]!.time, `bar ${i} after bar ${i - 1}`).to.be.greaterThan(bars[i - 1]!.time);
  for (const b of bars) expect(b.time % barMs(res), `bar ${b.time} on a ${res} boundary`).to.equal(0);
}

describe('BarHistory (bars.history rules) over the simulated market', () => {
  it('a from/to window: every bar with from <= time < to, oldest first, on bucket boundaries', async () => {
    const { history, run, clock } = rig();
    run(60_000);
    const to = T0 - 60 * 60_000;
    const from = to - 120 * 60_000;
    const a = await ok(history, { symbol: 'AAPL', resolution: '5', from, to });
    expect(a.noData).to.equal(false);
    expect(a.bars.length).to.equal(24);
    expect(a.bars[0]!.time).to.equal(from);
    expect(a.bars.at(-1)!.time).to.equal(to - 300_000);
    expectAscendingAligned(a.bars, '5');
    expect(a).to.not.have.property('truncated');
    // a window boundary inside a bucket: the bucket starting before `from` is not included, the one at to-1 is
    const b = await ok(history, { symbol: 'AAPL', resolution: '5', from: from + 1, to: to + 1 });
    expect(b.bars[0]!.time).to.equal(from + 300_000);
    expect(b.bars.at(-1)!.time).to.equal(to);
    expect(clock.t).to.be.greaterThan(T0);
  });

  it('countBack: exactly that many bars ending before to, whatever from says (TradingView priority)', async () => {
    const { history } = rig();
    const to = T0 - 3 * 86_400_000;
    const a = await ok(history, { symbol: 'AAPL', resolution: '1', to, countBack: 300, from: to - 60_000 });
    expect(a.bars.length).to.equal(300);
    expect(a.bars.at(-1)!.time).to.equal(to - 60_000);
    expect(a.bars[0]!.time).to.equal(to - 300 * 60_000);
    expectAscendingAligned(a.bars, '1');
    const d = await ok(history, { symbol: 'AAPL', resolution: 'D', to, countBack: 30 });
    expect(d.bars.length).to.equal(30);
    expectAscendingAligned(d.bars, 'D');
  });

  it('the same bars whichever way they are asked (window or countBack, one request or two adjacent ones)', async () => {
    const { history } = rig();
    const to = T0 - 86_400_000;
    const all = await ok(history, { symbol: 'MSFT', resolution: '15', to, countBack: 200 });
    const older = await ok(history, { symbol: 'MSFT', resolution: '15', to: all.bars[100]!.time, countBack: 100 });
    const newer = await ok(history, { symbol: 'MSFT', resolution: '15', from: all.bars[100]!.time, to });
    expect([...older.bars, ...newer.bars]).to.deep.equal(all.bars);
  });

  it('limits: countBack above 5000 and from after to are refused; a wider window gives its newest 5000 and truncated', async () => {
    const { history } = rig();
    const to = T0 - 86_400_000;
    const big = await history.query({ symbol: 'AAPL', resolution: '1', to, countBack: MAX_HISTORY_BARS + 1 });
    expect(big).to.deep.include({ ok: false, code: 'INVALID_MESSAGE', field: '/payload/countBack' });
    const backwards = await history.query({ symbol: 'AAPL', resolution: '1', from: to + 1, to });
    expect(backwards).to.deep.include({ ok: false, code: 'INVALID_MESSAGE', field: '/payload/from' });
    const neither = await history.query({ symbol: 'AAPL', resolution: '1', to });
    expect(neither).to.deep.include({ ok: false, code: 'INVALID_MESSAGE' });
    const wide = await ok(history, { symbol: 'AAPL', resolution: '1', from: to - 10 * 86_400_000, to });
    expect(wide.bars.length).to.equal(MAX_HISTORY_BARS);
    expect(wide.truncated).to.equal(true);
    expect(wide.bars.at(-1)!.time).to.equal(to - 60_000);
    // scrolling back from the first bar continues without a gap or an overlap
    const next = await ok(history, { symbol: 'AAPL', resolution: '1', from: to - 10 * 86_400_000, to: wide.bars[0]!.time });
    expect(next.bars.at(-1)!.time).to.equal(wide.bars[0]!.time - 60_000);
    // exactly 5000 in the window: not truncated
    const exact = await ok(history, { symbol: 'AAPL', resolution: '1', from: to - MAX_HISTORY_BARS * 60_000, to });
    expect(exact.bars.length).to.equal(MAX_HISTORY_BARS);
    expect(exact).to.not.have.property('truncated');
  });

  it('unknown symbols and a failing upstream are coded values (UNKNOWN_SYMBOL, HISTORY_UNAVAILABLE)', async () => {
    const { history } = rig();
    expect(await history.query({ symbol: 'ZZZZ', resolution: '1', to: T0, countBack: 5 })).to.deep.include({ ok: false, code: 'UNKNOWN_SYMBOL' });
    const failing: Pick<MarketSource, 'hasSymbol' | 'symbols' | 'history' | 'currentBar' | 'subscribeBars'> = {
      hasSymbol: () => true,
      symbols: () => ['AAPL'],
      currentBar: () => undefined,
      subscribeBars: () => () => undefined,
      history: async () => {
        throw Object.assign(new Error('no history within 30000 ms'), { code: 'HISTORY_TIMEOUT' });
      },
    };
    const out = await new BarHistory({ source: failing, now: () => T0 }).query({ symbol: 'AAPL', resolution: '1', to: T0, countBack: 5 });
    expect(out).to.deep.include({ ok: false, code: 'HISTORY_UNAVAILABLE' });
    expect((out as { message: string }).message).to.contain('HISTORY_TIMEOUT');
  });

  it('noData: an empty window gets nextTime = the newest earlier bar; nothing before the data start gets no nextTime', async () => {
    const { history } = rig({ session: US_EQUITY_SESSION, t0: Date.UTC(2024, 0, 10, 15, 0) });
    // Saturday 6 January 2024: the market is closed all day
    const sat = Date.UTC(2024, 0, 6, 12, 0);
    const a = await ok(history, { symbol: 'AAPL', resolution: '1', from: sat, to: sat + 3_600_000 });
    expect(a).to.deep.equal({ bars: [], noData: true, nextTime: Date.UTC(2024, 0, 5, 20, 59) }); // Friday 15:59 New York
    const b = await ok(history, { symbol: 'AAPL', resolution: '1', from: EARLIEST - 86_400_000, to: EARLIEST });
    expect(b).to.deep.equal({ bars: [], noData: true });
    const c = await ok(history, { symbol: 'AAPL', resolution: '1', to: EARLIEST, countBack: 10 });
    expect(c).to.deep.equal({ bars: [], noData: true });
    // an empty window [t, t)
    const e = await ok(history, { symbol: 'AAPL', resolution: '60', from: Date.UTC(2024, 0, 9, 16), to: Date.UTC(2024, 0, 9, 16) });
    expect(e.noData).to.equal(true);
    expect(e.nextTime).to.equal(Date.UTC(2024, 0, 9, 15, 30)); // the 10:30 New York bar (session-aligned)
  });

  for (const res of ['1', '5', 'D'] as Resolution[]) {
    it(`history and live bars line up at resolution ${res}: recorded closed bars as published, the forming bar last, no seam`, async () => {
      const { history, source, run, clock } = rig();
      const published: { bar: Bar; closed: boolean }[] = [];
      source.subscribeBars('AAPL', res, (bar, closed) => published.push({ bar: { ...bar }, closed }));
      run(res === 'D' ? 30 * 60_000 : 12 * 60_000);
      const a = await ok(history, { symbol: 'AAPL', resolution: res, to: clock.t + 86_400_000 * 2, countBack: 40 });
      expect(a.bars.length).to.equal(40);
      expectAscendingAligned(a.bars, res);
      // consecutive buckets: the simulated market trades 24/7, so every bucket has a bar (no gap at the seam)
      for (let i = 1; i < a.bars.length; i++) expect(a.bars[i]!.time - a.bars[i - 1]!.time).to.equal(barMs(res));
      // the forming bar last, exactly as the live topic last published it
      expect(a.bars.at(-1)).to.deep.equal(published.at(-1)!.bar);
      expect(a.bars.at(-1)).to.deep.equal(source.currentBar('AAPL', res));
      // every bar the live feed closed is served as it was published
      for (const p of published.filter((u) => u.closed)) expect(a.bars.find((b) => b.time === p.bar.time)).to.deep.equal(p.bar);
      // and a window ending at the forming bar's start excludes it
      const before = await ok(history, { symbol: 'AAPL', resolution: res, to: a.bars.at(-1)!.time, countBack: 3 });
      expect(before.bars.at(-1)!.time).to.equal(a.bars.at(-1)!.time - barMs(res));
    });
  }

  it('a window entirely in the future of the forming bar is noData, with nextTime = the forming bar', async () => {
    const { history, run, clock, source } = rig();
    run(120_000);
    const a = await ok(history, { symbol: 'AAPL', resolution: '1', from: clock.t + 3_600_000, to: clock.t + 7_200_000 });
    expect(a).to.deep.equal({ bars: [], noData: true, nextTime: source.currentBar('AAPL', '1')!.time });
  });
});
