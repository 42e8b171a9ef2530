/**
 * Simulated history generated on a worker pool (SimulatedSourceOptions.generate). The worker returns the bars
 * packed; they are unpacked here in slices of UNPACK_SLICE bars with a macrotask turn between slices, so even a year
 * of 1-minute bars (~527,000) never holds the event loop for more than a few milliseconds at a time.
 */
import type { MarketCalendar } from '../market/calendar.ts';
import type { Bar, Resolution } from '../market/source.ts';
import { historyParamsToWire, type HistoryParams } from '../market/source-simulated.ts';
import { WorkerPool } from '../util/worker-pool.ts';
import type { BacktestEvent, BacktestOutcome, BacktestTask, HistoryTask } from './compute.ts';
import type { BacktestEvents } from '../backtest/engine.ts';
import type { RunRequest } from '../backtest/runs.ts';

const UNPACK_SLICE = 20_000;

/** The compute worker's entry, beside this module: compute.ts under tsx, compute.js in a compiled build. */
export function computeWorkerEntry(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./compute${ext}`, import.meta.url);
}

export function createComputePool(options: { size?: number; maxQueued?: number } = {}): WorkerPool {
  return new WorkerPool({ entry: computeWorkerEntry(), ...options });
}

export function historyOffload(pool: WorkerPool): (params: HistoryParams, resolution: Resolution, from: number, to: number) => Promise<Bar[]> {
  return async (params, resolution, from, to) => {
    const task: HistoryTask = { kind: 'history', params: historyParamsToWire(params), resolution, from, to };
    const packed = await pool.run<Float64Array>(task);
    const n = packed.length / 6;
    const bars: Bar[] = new Array(n);
    for (let start = 0; start < n; start += UNPACK_SLICE) {
      if (start > 0) await new Promise<void>((r) => setImmediate(r));
      const end = Math.min(n, start + UNPACK_SLICE);
      for (let i = start, j = start * 6; i < end; i++, j += 6) {
        bars[i] = { time: packed[j]!, open: packed[j + 1]!, high: packed[j + 2]!, low: packed[j + 3]!, close: packed[j + 4]!, volume: packed[j + 5]! };
      }
    }
    return bars;
  };
}

/** What a backtest offload needs to know of a run. */
export type OffloadRun = Pick<RunRequest, 'symbol' | 'resolution' | 'from' | 'to' | 'strategy_ids' | 'initial_capital' | 'fee_bps' | 'slippage_bps' | 'progress_interval' | 'calendar'>;

/**
 * Runs whole backtests on the pool when the bars are simulated (the worker generates them: nothing large crosses
 * threads); the engine's events come back in batches and are replayed to `hooks` in order. Undefined for a symbol the
 * source does not know (the caller then runs the backtest itself).
 */
export function backtestOffload(pool: WorkerPool, params: (symbol: string, calendar: MarketCalendar) => HistoryParams | undefined, equityCurvePoints = 500) {
  return (run: OffloadRun, hooks: BacktestEvents, signal: AbortSignal): Promise<BacktestOutcome> | undefined => {
    const p = params(run.symbol, run.calendar ?? 'exchange');
    if (!p) return undefined;
    const task: BacktestTask = {
      kind: 'backtest',
      params: historyParamsToWire(p),
      resolution: run.resolution,
      from: run.from,
      to: run.to,
      symbol: run.symbol,
      strategyIds: run.strategy_ids,
      initialCapital: run.initial_capital,
      feeBps: run.fee_bps,
      slippageBps: run.slippage_bps,
      progressInterval: run.progress_interval,
      equityCurvePoints,
      spanMs: Math.max(1, run.to - run.from),
    };
    return pool.run<BacktestOutcome>(task, {
      signal,
      onEvent: (events: BacktestEvent[]) => {
        for (const e of events) {
          if (e.kind === 'progress') hooks.onProgress?.(e.data);
          else if (e.kind === 'trade') hooks.onTrade?.(e.data);
          else if (e.kind === 'equity') hooks.onEquity?.(e.data);
          else hooks.onMetrics?.(e.data);
        }
      },
    });
  };
}
