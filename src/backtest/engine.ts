/**
 * The backtest engine: replays the bars of one symbol through a Strategy (the same implementations
 * the live evaluator runs) and simulates a long-only account.
 *
 * Fill and fee model:
 * - Long-only, one position at a time. A BUY signal while flat opens a position; a SELL signal while
 *   long closes it; every other signal is ignored.
 * - A signal on bar t's close fills at bar t+1's OPEN, slipped against us: entries at
 *   open × (1 + slippageBps/10⁴), exits at open × (1 − slippageBps/10⁴). A signal on the last bar
 *   never fills.
 * - Fee: feeBps/10⁴ of the notional (price × quantity), paid in cash on entry and on exit.
 * - Sizing: 'fraction' (default, fraction 1) invests that fraction of the cash at entry, fee included:
 *   quantity = cash × fraction / (price × (1 + feeBps/10⁴)); 'fixed' buys `quantity` units, capped at
 *   what the cash can pay for. Quantities are fractional (no lot rounding).
 * - Benchmark: buy and hold (see metrics.ts) — the initial capital bought at the first bar's open with the same
 *   slippage and fee, marked at every close; every equity point carries it as `benchmark`.
 * - Equity = cash + quantity × close, marked at every bar's close. A position still open after the
 *   last bar is NOT closed: it is reported as `open_position` and counted in final_equity at the
 *   last close; trade statistics count closed round trips only.
 *
 * Events (all optional, called synchronously; a throwing callback is reported to onError and the run
 * goes on): onTrade for every entry and exit, as it happens; onProgress after every progressInterval-th
 * bar and after the last bar (so ceil(total / progressInterval) calls for a full run); onEquity after
 * every equityInterval-th bar and the last; onMetrics after every metricsInterval-th bar and the last.
 *
 * Cooperation: after every yieldEvery-th bar the engine awaits `yieldFn` (default: one macrotask turn via
 * setImmediate) so a long run never blocks a server; it checks `signal` on every bar and, once aborted,
 * stops and resolves with status 'cancelled' and the results so far. It never rejects: failures
 * (bad config, a bar out of order, a throwing bar source) resolve with status 'failed' and a coded error.
 */
import type { Bar } from '../market/source.ts';
import type { Strategy } from '../trading/strategy.ts';
import { MetricsAccumulator, type BacktestMetrics } from './metrics.ts';

export type Sizing = { mode: 'fraction'; fraction: number } | { mode: 'fixed'; quantity: number };

export interface BacktestConfig {
  symbol: string;
  /** Reset before the run; must not be shared with a concurrently running backtest or live evaluator. */
  strategy: Strategy;
  /** Default 10 000. */
  initialCapital?: number;
  /** Default { mode: 'fraction', fraction: 1 }. */
  sizing?: Sizing;
  /** Default 0. */
  slippageBps?: number;
  /** Default 0. */
  feeBps?: number;
  /** Annualization of the Sharpe ratio; default 252 (daily bars). 1-minute US equities: 252 × 390. */
  barsPerYear?: number;
  /** Number of bars, when `bars` is an async iterable (arrays know their length); enables `pct`. */
  total?: number;
  /** Default 100. */
  progressInterval?: number;
  /** Default progressInterval. */
  equityInterval?: number;
  /** Default 10 × progressInterval. */
  metricsInterval?: number;
  /** Maximum points kept in equity_curve (downsampled by stride doubling, last bar always kept); default 1000. */
  equityCurvePoints?: number;
  /** Yield to the event loop after every this-many bars; default 10 000; 0 = never. */
  yieldEvery?: number;
  yieldFn?: () => Promise<void>;
  signal?: AbortSignal;
  /** epoch ms, for elapsed_ms; default Date.now. */
  now?: () => number;
}

/** Shape of asyncapi.yaml BacktestTradeData. */
export interface BacktestTrade {
  action: 'entry' | 'exit';
  symbol: string;
  strategy_id: string;
  side: 'BUY' | 'SELL';
  price: number;
  quantity: number;
  /** epoch ms: the `time` of the bar at whose open it filled */
  time: number;
  fee: number;
  /** exits only: (exit − entry) × quantity − entry fee − exit fee */
  pnl?: number;
  /** the strategy's reason for the signal that caused it */
  reason: string;
}

/** Shape of asyncapi.yaml ProgressData, except that total and pct are null when the total is unknown. */
export interface BacktestProgress {
  processed: number;
  total: number | null;
  /** 0..100, null when total is unknown */
  pct: number | null;
  equity: number;
  /** `time` of the last processed bar */
  current_time: number;
  /** closed round trips so far */
  num_trades: number;
}

export interface EquityPoint {
  time: number;
  equity: number;
  /** from the running peak, a fraction */
  drawdown: number;
  /** the buy-and-hold benchmark's equity at the same bar */
  benchmark: number;
}

export interface BacktestEvents {
  onProgress?: (p: BacktestProgress) => void;
  onTrade?: (t: BacktestTrade) => void;
  onEquity?: (e: EquityPoint) => void;
  onMetrics?: (m: BacktestMetrics) => void;
  /** Errors thrown by the callbacks above. Default: ignore. */
  onError?: (err: unknown) => void;
}

export type BacktestErrorCode = 'INVALID_CONFIG' | 'INVALID_BAR' | 'SOURCE_ERROR';

export interface BacktestResult {
  status: 'completed' | 'cancelled' | 'failed';
  error?: { code: BacktestErrorCode; message: string };
  symbol: string;
  strategy_id: string;
  metrics: BacktestMetrics;
  trades: BacktestTrade[];
  equity_curve: EquityPoint[];
  open_position: { quantity: number; entry_price: number; entry_time: number; unrealized_pnl: number } | null;
  processed: number;
  elapsed_ms: number;
}

export async function runBacktest(
  bars: Iterable<Bar> | AsyncIterable<Bar>,
  config: BacktestConfig,
  events: BacktestEvents = {},
): Promise<BacktestResult> {
  const now = config.now ?? Date.now;
  const started = now();
  const initial = config.initialCapital ?? 10_000;
  const sizing: Sizing = config.sizing ?? { mode: 'fraction', fraction: 1 };
  const slip = (config.slippageBps ?? 0) / 10_000;
  const feeRate = (config.feeBps ?? 0) / 10_000;
  const progressEvery = config.progressInterval ?? 100;
  const equityEvery = config.equityInterval ?? progressEvery;
  const metricsEvery = config.metricsInterval ?? progressEvery * 10;
  const yieldEvery = config.yieldEvery ?? 10_000;
  const yieldFn = config.yieldFn ?? (() => new Promise<void>((r) => setImmediate(r)));
  const total = Array.isArray(bars) ? bars.length : (config.total ?? null);
  const metrics = new MetricsAccumulator(initial, config.barsPerYear ?? 252);
  const curve = new DownsampledCurve(config.equityCurvePoints ?? 1000);
  const trades: BacktestTrade[] = [];
  const strategy = config.strategy;

  let cash = initial;
  let quantity = 0;
  let entryPrice = 0;
  let entryFee = 0;
  let entryTime = 0;
  let pending: { side: 'BUY' | 'SELL'; reason: string } | null = null;
  let processed = 0;
  let last: EquityPoint | null = null;
  let lastTime = -Infinity;
  let lastClose = 0;
  let closedTrades = 0;
  /** Units the buy-and-hold benchmark holds (bought at the first bar's open). */
  let benchmarkUnits = 0;

  const safe = <T>(cb: ((x: T) => void) | undefined, x: T): void => {
    if (!cb) return;
    try {
      cb(x);
    } catch (err) {
      try {
        events.onError?.(err);
      } catch {
        // a broken reporter must not stop the run
      }
    }
  };
  const result = (status: BacktestResult['status'], error?: BacktestResult['error']): BacktestResult => ({
    status,
    ...(error ? { error } : {}),
    symbol: config.symbol,
    strategy_id: strategy.id,
    metrics: metrics.snapshot(),
    trades,
    equity_curve: curve.points(last),
    open_position:
      quantity > 0 && last
        ? { quantity, entry_price: entryPrice, entry_time: entryTime, unrealized_pnl: quantity * (lastClose - entryPrice) }
        : null,
    processed,
    elapsed_ms: now() - started,
  });

  const configError = validateConfig(initial, sizing, slip, feeRate, [progressEvery, equityEvery, metricsEvery], yieldEvery);
  if (configError) return result('failed', { code: 'INVALID_CONFIG', message: configError });
  strategy.reset();

  const progress = (p: EquityPoint, time: number): void =>
    safe(events.onProgress, {
      processed,
      total,
      pct: total ? (processed / total) * 100 : null,
      equity: p.equity,
      current_time: time,
      num_trades: closedTrades,
    });

  /** Processes one bar; returns an error message for an invalid bar. */
  const step = (bar: Bar): string | undefined => {
    if (!(bar.time > lastTime) || !(bar.open > 0) || !(bar.close > 0)) {
      return `bar ${processed} (time ${bar.time}): times must increase and open/close must be positive numbers`;
    }
    lastTime = bar.time;
    lastClose = bar.close;
    if (processed === 0) {
      const price = bar.open * (1 + slip);
      benchmarkUnits = initial / (price * (1 + feeRate));
    }
    if (pending) {
      if (pending.side === 'BUY') {
        const price = bar.open * (1 + slip);
        const affordable = cash / (price * (1 + feeRate));
        const q = sizing.mode === 'fraction' ? affordable * sizing.fraction : Math.min(sizing.quantity, affordable);
        if (q > 0) {
          const fee = price * q * feeRate;
          cash -= price * q + fee;
          quantity = q;
          entryPrice = price;
          entryFee = fee;
          entryTime = bar.time;
          metrics.addFee(fee);
          const t: BacktestTrade = { action: 'entry', symbol: config.symbol, strategy_id: strategy.id, side: 'BUY', price, quantity: q, time: bar.time, fee, reason: pending.reason };
          trades.push(t);
          safe(events.onTrade, t);
        }
      } else {
        const price = bar.open * (1 - slip);
        const fee = price * quantity * feeRate;
        const pnl = (price - entryPrice) * quantity - entryFee - fee;
        cash += price * quantity - fee;
        metrics.addFee(fee);
        metrics.addTrade(pnl);
        closedTrades++;
        const t: BacktestTrade = { action: 'exit', symbol: config.symbol, strategy_id: strategy.id, side: 'SELL', price, quantity, time: bar.time, fee, pnl, reason: pending.reason };
        quantity = 0;
        trades.push(t);
        safe(events.onTrade, t);
      }
      pending = null;
    }
    const equity = cash + quantity * bar.close;
    const drawdown = metrics.addBar(equity, quantity > 0);
    const benchmark = benchmarkUnits * bar.close;
    metrics.setBenchmark(benchmark);
    last = { time: bar.time, equity, drawdown, benchmark };
    curve.add(processed, last);
    processed++;

    const s = strategy.onBar(bar);
    if (s?.signal_type === 'BUY' && quantity === 0) pending = { side: 'BUY', reason: s.reason };
    else if (s?.signal_type === 'SELL' && quantity > 0) pending = { side: 'SELL', reason: s.reason };

    if (processed % progressEvery === 0) progress(last, bar.time);
    if (processed % equityEvery === 0) safe(events.onEquity, last);
    if (processed % metricsEvery === 0) safe(events.onMetrics, metrics.snapshot());
    return undefined;
  };

  /** After the last bar: the final progress / equity / metrics events not already sent. */
  const finish = (): void => {
    if (!last) return;
    if (processed % progressEvery !== 0) progress(last, last.time);
    if (processed % equityEvery !== 0) safe(events.onEquity, last);
    if (processed % metricsEvery !== 0) safe(events.onMetrics, metrics.snapshot());
  };

  try {
    if (Symbol.iterator in bars) {
      for (const bar of bars as Iterable<Bar>) {
        if (config.signal?.aborted) return result('cancelled');
        const bad = step(bar);
        if (bad) return result('failed', { code: 'INVALID_BAR', message: bad });
        if (yieldEvery > 0 && processed % yieldEvery === 0) await yieldFn();
      }
    } else {
      for await (const bar of bars as AsyncIterable<Bar>) {
        if (config.signal?.aborted) return result('cancelled');
        const bad = step(bar);
        if (bad) return result('failed', { code: 'INVALID_BAR', message: bad });
        if (yieldEvery > 0 && processed % yieldEvery === 0) await yieldFn();
      }
    }
  } catch (err) {
    return result('failed', { code: 'SOURCE_ERROR', message: err instanceof Error ? err.message : String(err) });
  }
  if (config.signal?.aborted) return result('cancelled');
  finish();
  return result('completed');
}

function validateConfig(
  initial: number,
  sizing: Sizing,
  slip: number,
  feeRate: number,
  intervals: number[],
  yieldEvery: number,
): string | undefined {
  if (!(initial > 0)) return 'initialCapital must be > 0';
  if (sizing.mode === 'fraction' && !(sizing.fraction > 0 && sizing.fraction <= 1)) return 'sizing.fraction must be in (0, 1]';
  if (sizing.mode === 'fixed' && !(sizing.quantity > 0)) return 'sizing.quantity must be > 0';
  if (!(slip >= 0 && slip < 1)) return 'slippageBps must be in [0, 10000)';
  if (!(feeRate >= 0 && feeRate < 1)) return 'feeBps must be in [0, 10000)';
  if (!intervals.every((n) => Number.isInteger(n) && n >= 1)) return 'progress/equity/metrics intervals must be integers >= 1';
  if (!(Number.isInteger(yieldEvery) && yieldEvery >= 0)) return 'yieldEvery must be an integer >= 0';
  return undefined;
}

/**
 * Keeps at most `max` points of a series of unknown length, evenly strided: a point is kept when
 * its index is a multiple of the stride; when the buffer overflows, every other point is dropped and
 * the stride doubles. O(1) amortized per point; the final point is always appended.
 */
class DownsampledCurve {
  private stride = 1;
  private kept: { index: number; point: EquityPoint }[] = [];
  constructor(private readonly max: number) {}

  add(index: number, point: EquityPoint): void {
    if (index % this.stride !== 0) return;
    this.kept.push({ index, point });
    if (this.kept.length > Math.max(1, this.max - 1)) {
      this.stride *= 2;
      this.kept = this.kept.filter((k) => k.index % this.stride === 0);
    }
  }

  points(last: EquityPoint | null): EquityPoint[] {
    const out = this.kept.map((k) => k.point);
    if (last && out[out.length - 1] !== last) out.push(last);
    return out;
  }
}
