import { expect } from 'chai';
import type { Bar } from '../../src/market/source.ts';
import type { Strategy, StrategySignal } from '../../src/trading/strategy.ts';
import { MaCrossoverStrategy } from '../../src/trading/strategy-ma-crossover.ts';
import {
  runBacktest, type BacktestProgress, type BacktestTrade, type EquityPoint, type BacktestConfig,
} from '../../src/backtest/engine.ts';
import type { BacktestMetrics } from '../../src/backtest/metrics.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 2);

/** Emits the scripted signal on the bar with that index, HOLD otherwise. */
class Scripted implements Strategy {
  readonly id = 'scripted';
  readonly name = 'scripted';
  private i = 0;
  resets = 0;
  constructor(private readonly script: Record<number, 'BUY' | 'SELL'>) {}
  onBar(bar: Bar): StrategySignal {
    const t = this.script[this.i++] ?? 'HOLD';
    return { signal_type: t, confidence: 1, price: bar.close, reason: `scripted ${t}`, time: bar.time };
  }
  reset(): void {
    this.i = 0;
    this.resets++;
  }
}

function bars(ohlc: [number, number][], step = DAY): Bar[] {
  return ohlc.map(([open, close], i) => ({
    time: T0 + i * step, open, close, high: Math.max(open, close), low: Math.min(open, close), volume: 1,
  }));
}
function walk(n: number): Bar[] {
  const out: [number, number][] = [];
  let x = 100;
  let seed = 7;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const next = x * (1 + (seed / 2147483648 - 0.5) * 0.02);
    out.push([x, next]);
    x = next;
  }
  return bars(out, 60_000);
}

describe('runBacktest', () => {
  it('hand-checked trades, equity and metrics (fixed 10 units, 1% slippage, 10 bps fee)', async () => {
    //  i  open close  signal  action (fills at the open of the bar after the signal)
    //  0  100  100    BUY
    //  1  100  105            entry 100×1.01 = 101, fee 1010×0.001 = 1.01, cash 10000 − 1010 − 1.01 = 8988.99
    //  2  106  110    SELL
    //  3  110  108            exit 110×0.99 = 108.9, fee 1.089, cash 8988.99 + 1089 − 1.089 = 10076.901
    //                         pnl = (108.9 − 101)×10 − 1.01 − 1.089 = 76.901
    //  4  108  100    BUY
    //  5  100  95             entry 101, fee 1.01, cash 10076.901 − 1011.01 = 9065.891
    //  6  95   90     SELL
    //  7  90   92     BUY     exit 89.1, fee 0.891, cash 9065.891 + 891 − 0.891 = 9956; pnl = −119 − 1.901 = −120.901
    //  8  92   93             entry 92×1.01 = 92.92, fee 0.9292, cash 9956 − 929.2 − 0.9292 = 9025.8708 (left open)
    // equity at each close: 10000, 10038.99, 10088.99, 10076.901, 10076.901, 10015.891, 9965.891, 9956, 9955.8708
    const series = bars([[100, 100], [100, 105], [106, 110], [110, 108], [108, 100], [100, 95], [95, 90], [90, 92], [92, 93]]);
    const strategy = new Scripted({ 0: 'BUY', 2: 'SELL', 4: 'BUY', 6: 'SELL', 7: 'BUY' });
    const seen: BacktestTrade[] = [];
    const r = await runBacktest(series, {
      symbol: 'AAPL', strategy, initialCapital: 10_000, sizing: { mode: 'fixed', quantity: 10 },
      slippageBps: 100, feeBps: 10, barsPerYear: 252,
    }, { onTrade: (t) => seen.push(t) });

    expect(r.status).to.equal('completed');
    expect(strategy.resets).to.equal(1);
    const want = [
      { action: 'entry', side: 'BUY', price: 101, time: T0 + DAY, fee: 1.01, pnl: undefined, reason: 'scripted BUY' },
      { action: 'exit', side: 'SELL', price: 108.9, time: T0 + 3 * DAY, fee: 1.089, pnl: 76.901, reason: 'scripted SELL' },
      { action: 'entry', side: 'BUY', price: 101, time: T0 + 5 * DAY, fee: 1.01, pnl: undefined, reason: 'scripted BUY' },
      { action: 'exit', side: 'SELL', price: 89.1, time: T0 + 7 * DAY, fee: 0.891, pnl: -120.901, reason: 'scripted SELL' },
      { action: 'entry', side: 'BUY', price: 92.92, time: T0 + 8 * DAY, fee: 0.9292, pnl: undefined, reason: 'scripted BUY' },
    ];
    expect(r.trades).to.deep.equal(seen);
    expect(r.trades).to.have.length(want.length);
    r.trades.forEach((t, i) => {
      const w = want[i]!;
      expect([t.action, t.side, t.time, t.quantity, t.reason, t.symbol, t.strategy_id], `trade ${i}`).to.deep.equal([w.action, w.side, w.time, 10, w.reason, 'AAPL', 'scripted']);
      expect(t.price, `trade ${i} price`).to.be.closeTo(w.price, 1e-9);
      expect(t.fee, `trade ${i} fee`).to.be.closeTo(w.fee, 1e-9);
      if (w.pnl === undefined) expect(t.pnl).to.equal(undefined);
      else expect(t.pnl, `trade ${i} pnl`).to.be.closeTo(w.pnl, 1e-9);
    });

    const equity = [10000, 10038.99, 10088.99, 10076.901, 10076.901, 10015.891, 9965.891, 9956, 9955.8708];
    expect(r.equity_curve.map((p) => p.time)).to.deep.equal(series.map((b) => b.time));
    r.equity_curve.forEach((p, i) => expect(p.equity, `equity ${i}`).to.be.closeTo(equity[i]!, 1e-9));

    // Sharpe from the hand list: r_t = e_t / e_{t−1} − 1 (e_{−1} = 10000), sample sd, × √252
    const rets = equity.map((e, i) => e / (i === 0 ? 10_000 : equity[i - 1]!) - 1);
    const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
    const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / (rets.length - 1));
    const m = r.metrics;
    expect(m.sharpe_ratio).to.be.closeTo((mean / sd) * Math.sqrt(252), 1e-9);
    expect(m.final_equity).to.be.closeTo(9955.8708, 1e-9);
    expect(m.total_return).to.be.closeTo(-0.00441292, 1e-12);
    // peak 10088.99 (bar 2), trough 9955.8708 (bar 8)
    expect(m.max_drawdown).to.be.closeTo((10088.99 - 9955.8708) / 10088.99, 1e-12);
    expect(m.num_trades).to.equal(2);
    expect(m.win_rate).to.equal(0.5);
    expect(m.profit_factor!).to.be.closeTo(76.901 / 120.901, 1e-12);
    expect(m.total_fees).to.be.closeTo(1.01 + 1.089 + 1.01 + 0.891 + 0.9292, 1e-9);
    // bars 1, 2, 5, 6, 8 end in the market
    expect(m.exposure).to.be.closeTo(5 / 9, 1e-12);
    expect(r.open_position!.quantity).to.equal(10);
    expect(r.open_position!.entry_time).to.equal(T0 + 8 * DAY);
    expect(r.open_position!.unrealized_pnl).to.be.closeTo((93 - 92.92) * 10, 1e-9);
    expect(r.processed).to.equal(9);
  });

  it('fraction sizing invests the cash net of the fee; a signal on the last bar never fills', async () => {
    // fee 100 bps: q = 10000 / (100 × 1.01) = 99.0099…; cash after entry = 10000 − 100q − q = 0
    const series = bars([[100, 100], [100, 120], [130, 130]]);
    const r = await runBacktest(series, {
      symbol: 'X', strategy: new Scripted({ 0: 'BUY', 2: 'SELL' }), initialCapital: 10_000, feeBps: 100,
    });
    expect(r.trades).to.have.length(1);
    expect(r.trades[0]!.quantity).to.be.closeTo(10_000 / 101, 1e-9);
    expect(r.metrics.final_equity).to.be.closeTo((10_000 / 101) * 130, 1e-6);
    expect(r.metrics.num_trades).to.equal(0);
  });

  it('emits ceil(total / interval) progress events, and equity / metrics on their own intervals', async () => {
    const series = walk(250);
    const progress: BacktestProgress[] = [];
    const equity: EquityPoint[] = [];
    const metrics: BacktestMetrics[] = [];
    const r = await runBacktest(series, {
      symbol: 'X', strategy: new Scripted({}), progressInterval: 100, equityInterval: 50, metricsInterval: 120,
    }, { onProgress: (p) => progress.push(p), onEquity: (e) => equity.push(e), onMetrics: (m) => metrics.push(m) });
    expect(r.status).to.equal('completed');
    expect(progress.map((p) => [p.processed, p.total, p.pct])).to.deep.equal([[100, 250, 40], [200, 250, 80], [250, 250, 100]]);
    expect(progress[2]!.current_time).to.equal(series[249]!.time);
    expect(equity.map((e) => e.time)).to.deep.equal([49, 99, 149, 199, 249].map((i) => series[i]!.time));
    expect(metrics.map((m) => m.bars)).to.deep.equal([120, 240, 250]);
  });

  it('defaults to a progress event every 100 bars; pct is null when an async source has no total', async () => {
    async function* source(): AsyncGenerator<Bar> {
      yield* walk(230);
    }
    const progress: BacktestProgress[] = [];
    const r = await runBacktest(source(), { symbol: 'X', strategy: new Scripted({}) }, { onProgress: (p) => progress.push(p) });
    expect(progress.map((p) => [p.processed, p.total, p.pct])).to.deep.equal([[100, null, null], [200, null, null], [230, null, null]]);
    expect(r.processed).to.equal(230);
  });

  it('runs the real MA crossover: every entry/exit fills at the open of the bar after its signal', async () => {
    const series = walk(3000);
    const signals: { i: number; type: string }[] = [];
    const probe = new MaCrossoverStrategy({ fast: 5, slow: 20 });
    series.forEach((b, i) => {
      const s = probe.onBar(b);
      if (s && s.signal_type !== 'HOLD') signals.push({ i, type: s.signal_type });
    });
    // long-only: keep alternating BUY, SELL, starting with a BUY, dropping signals on the last bar
    const expected: { i: number; type: string }[] = [];
    for (const s of signals) {
      const wantType = expected.length % 2 === 0 ? 'BUY' : 'SELL';
      if (s.type === wantType && s.i < series.length - 1) expected.push(s);
    }
    const r = await runBacktest(series, { symbol: 'X', strategy: new MaCrossoverStrategy({ fast: 5, slow: 20 }) });
    expect(expected.length).to.be.greaterThan(10);
    expect(r.trades.map((t) => [t.time, t.side, t.price])).to.deep.equal(
      expected.map((s) => [series[s.i + 1]!.time, s.type, series[s.i + 1]!.open]),
    );
    expect(r.metrics.num_trades).to.equal(Math.floor(expected.length / 2));
  });

  it('yields to the event loop every yieldEvery bars, letting other work run mid-backtest', async () => {
    let yields = 0;
    await runBacktest(walk(1000), {
      symbol: 'X', strategy: new Scripted({}), yieldEvery: 100,
      yieldFn: async () => {
        yields++;
      },
    });
    expect(yields).to.equal(10);

    let ticked = false;
    setImmediate(() => {
      ticked = true;
    });
    const seenTick: boolean[] = [];
    await runBacktest(walk(5000), { symbol: 'X', strategy: new Scripted({}), yieldEvery: 1000, progressInterval: 1000 }, {
      onProgress: () => seenTick.push(ticked),
    });
    expect(seenTick).to.deep.equal([false, true, true, true, true]);
  });

  it('stops cooperatively when aborted and returns the results so far', async () => {
    const ac = new AbortController();
    const r = await runBacktest(walk(10_000), { symbol: 'X', strategy: new Scripted({}), signal: ac.signal, yieldEvery: 500 }, {
      onProgress: (p) => {
        if (p.processed === 1200) ac.abort();
      },
    });
    expect(r.status).to.equal('cancelled');
    expect(r.processed).to.equal(1200);
    expect(r.metrics.bars).to.equal(1200);

    // aborted from outside, between yields
    const outside = new AbortController();
    setImmediate(() => outside.abort());
    const r2 = await runBacktest(walk(10_000), { symbol: 'X', strategy: new Scripted({}), signal: outside.signal, yieldEvery: 1000 });
    expect(r2.status).to.equal('cancelled');
    expect(r2.processed).to.equal(1000);
  });

  it('downsamples the equity curve, keeping the first and the last bar', async () => {
    const series = walk(10_000);
    const r = await runBacktest(series, { symbol: 'X', strategy: new Scripted({}), equityCurvePoints: 100 });
    expect(r.equity_curve.length).to.be.at.most(100).and.at.least(50);
    expect(r.equity_curve[0]!.time).to.equal(series[0]!.time);
    expect(r.equity_curve.at(-1)!.time).to.equal(series.at(-1)!.time);
    const gaps = new Set(r.equity_curve.slice(0, -1).map((p, i) => r.equity_curve[i + 1]!.time - p.time));
    expect(gaps.size).to.be.at.most(2); // an even stride, plus the final point
  });

  const failures: { given: string; bars: () => Iterable<Bar> | AsyncIterable<Bar>; config?: Partial<BacktestConfig>; want: string }[] = [
    { given: 'bars out of order', bars: () => [...walk(5), walk(1)[0]!], want: 'INVALID_BAR' },
    { given: 'a non-positive price', bars: () => bars([[100, 100], [0, 100]]), want: 'INVALID_BAR' },
    { given: 'a negative fee', bars: () => walk(5), config: { feeBps: -1 }, want: 'INVALID_CONFIG' },
    { given: 'a zero progress interval', bars: () => walk(5), config: { progressInterval: 0 }, want: 'INVALID_CONFIG' },
    { given: 'fraction above 1', bars: () => walk(5), config: { sizing: { mode: 'fraction', fraction: 2 } }, want: 'INVALID_CONFIG' },
    {
      given: 'a failing source',
      bars: () => (async function* () {
        yield walk(1)[0]!;
        throw new Error('feed lost');
      })(),
      want: 'SOURCE_ERROR',
    },
  ];
  for (const { given, bars: make, config, want } of failures) {
    it(`resolves with status failed / ${want} on ${given}`, async () => {
      const r = await runBacktest(make(), { symbol: 'X', strategy: new Scripted({}), ...config });
      expect(r.status).to.equal('failed');
      expect(r.error!.code).to.equal(want);
    });
  }

  it('a throwing callback is reported and the run goes on', async () => {
    const errors: unknown[] = [];
    const r = await runBacktest(bars([[1, 1], [1, 1], [1, 1]]), { symbol: 'X', strategy: new Scripted({ 0: 'BUY' }), progressInterval: 1 }, {
      onTrade: () => {
        throw new Error('trade cb');
      },
      onProgress: () => {
        throw new Error('progress cb');
      },
      onError: (e) => errors.push((e as Error).message),
    });
    expect(r.status).to.equal('completed');
    expect(r.trades).to.have.length(1);
    expect(errors).to.deep.equal(['progress cb', 'trade cb', 'progress cb', 'progress cb']);
  });
});
