/**
 * Worker-thread entry for CPU-heavy pure functions (see src/util/worker-pool.ts for the protocol). Today: simulated
 * history, returned packed (6 numbers per bar: time, open, high, low, close, volume) in a transferred Float64Array,
 * so no per-bar object crosses the thread boundary.
 */
import { parentPort } from 'node:worker_threads';
import { generateHistory, historyParamsFromWire, type WireHistoryParams } from '../market/source-simulated.ts';
import type { Resolution } from '../market/source.ts';
import { runBacktest, type BacktestResult } from '../backtest/engine.ts';
import { CompositeStrategy } from '../backtest/service.ts';
import { createStrategies } from '../trading/strategies.ts';

export interface HistoryTask {
  kind: 'history';
  params: WireHistoryParams;
  resolution: Resolution;
  from: number;
  to: number;
}

/** A whole backtest on simulated bars: the bars are generated here and never cross to the main thread. */
export interface BacktestTask {
  kind: 'backtest';
  params: WireHistoryParams;
  resolution: Resolution;
  from: number;
  to: number;
  symbol: string;
  strategyIds: string[];
  initialCapital: number;
  feeBps: number;
  slippageBps: number;
  progressInterval: number;
  equityCurvePoints: number;
  /** The requested span (ms): barsPerYear = candles x (one year / span). */
  spanMs: number;
}

/** Engine events, posted in batches (one message per engine slice, not one per event). */
export type BacktestEvent = { kind: 'progress' | 'trade' | 'equity' | 'metrics'; data: any };
export type BacktestOutcome = { status: 'no_data' } | { status: 'invalid'; code: string; message: string } | BacktestResult;

const YEAR_MS = 365.25 * 86_400_000;
const cancels = new Map<number, AbortController>();

async function backtest(id: number, task: BacktestTask, post: (events: BacktestEvent[]) => void): Promise<BacktestOutcome> {
  const abort = new AbortController();
  cancels.set(id, abort);
  try {
    const bars = generateHistory(historyParamsFromWire(task.params), task.resolution, task.from, task.to);
    if (bars.length === 0) return { status: 'no_data' };
    const made = createStrategies(task.strategyIds);
    if (!made.ok) return { status: 'invalid', code: made.code, message: made.message };
    const strategy = made.strategies.length === 1 ? made.strategies[0]! : new CompositeStrategy(made.strategies);
    let batch: BacktestEvent[] = [];
    const flush = () => {
      if (batch.length) post(batch);
      batch = [];
    };
    const result = await runBacktest(bars, {
      symbol: task.symbol,
      strategy,
      initialCapital: task.initialCapital,
      feeBps: task.feeBps,
      slippageBps: task.slippageBps,
      barsPerYear: Math.max(1, Math.round((bars.length * YEAR_MS) / Math.max(1, task.spanMs))),
      progressInterval: task.progressInterval,
      equityCurvePoints: task.equityCurvePoints,
      signal: abort.signal,
      yieldEvery: 5_000,
      // Each slice's events go out together; the turn lets a cancel message in.
      yieldFn: () => {
        flush();
        return new Promise<void>((r) => setImmediate(r));
      },
    }, {
      onProgress: (data) => batch.push({ kind: 'progress', data }),
      onTrade: (data) => batch.push({ kind: 'trade', data }),
      onEquity: (data) => batch.push({ kind: 'equity', data }),
      onMetrics: (data) => batch.push({ kind: 'metrics', data }),
    });
    flush();
    return result;
  } finally {
    cancels.delete(id);
  }
}

const port = parentPort;
if (port) {
  port.on('message', (msg: { id: number; task: HistoryTask | BacktestTask } | { cancel: number }) => {
    if ('cancel' in msg) {
      cancels.get(msg.cancel)?.abort();
      return;
    }
    const { id, task } = msg;
    if (task.kind === 'backtest') {
      backtest(id, task, (events) => port.postMessage({ id, event: events })).then(
        (result) => port.postMessage({ id, result }),
        (err) => port.postMessage({ id, error: { message: err instanceof Error ? err.message : String(err) } }),
      );
      return;
    }
    try {
      if (task.kind !== 'history') throw new Error(`unknown task ${String((task as { kind?: unknown }).kind)}`);
      const bars = generateHistory(historyParamsFromWire(task.params), task.resolution, task.from, task.to);
      const packed = new Float64Array(bars.length * 6);
      for (let i = 0, j = 0; i < bars.length; i++) {
        const b = bars[i]!;
        packed[j++] = b.time;
        packed[j++] = b.open;
        packed[j++] = b.high;
        packed[j++] = b.low;
        packed[j++] = b.close;
        packed[j++] = b.volume;
      }
      port.postMessage({ id, result: packed }, [packed.buffer]);
    } catch (err) {
      port.postMessage({ id, error: { message: err instanceof Error ? err.message : String(err) } });
    }
  });
}
