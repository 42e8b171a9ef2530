/**
 * The run registry: every backtest started over REST, by id, with what a late stream client needs (the latest
 * progress and metrics messages, the terminal message) and what GET /api/backtesting/:id reports.
 *
 * Ids: `bt_<yyyymmdd>_<hhmmss>_<6 hex>` (UTC time of creation + 3 random bytes), matching the contract's
 * BacktestId. Retention, bounded three ways: a finished run (completed, failed, cancelled) is dropped `retentionMs`
 * after it ended; at most `maxRetained` finished runs are kept, and their estimated size (`estimateRunBytes`) stays
 * within `maxRetainedBytes`. When a finished run would pass a bound, the oldest finished runs (by end time) are evicted
 * first and `onEvict` is told each one. Queued and running runs are never evicted (their number is capped by the
 * service's concurrency limit). The timers are unref'd (they never keep the process alive); `clear()` cancels them all.
 * Owned by one BacktestService; nothing here publishes or runs anything.
 */
import { randomBytes } from 'node:crypto';
import type {
  BacktestCompleteMessage,
  BacktestMetricsMessage,
  BacktestProgressMessage,
  BacktestResult,
  StreamErrorMessage,
} from '../../generated/types.ts';
import type { Resolution } from '../market/source.ts';
import type { BacktestTrade } from './engine.ts';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A validated start request (see service.ts validateStartRequest). */
export interface RunRequest {
  name: string;
  symbol: string;
  /** As the client sent them. */
  timeframes: string[];
  /** The finest timeframe as a contract resolution: the bars the engine runs on. */
  resolution: Resolution;
  start_date: string;
  end_date: string;
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, exclusive */
  to: number;
  strategy_ids: string[];
  initial_capital: number;
  fee_bps: number;
  slippage_bps: number;
  progress_interval: number;
  /** The market hours the bars follow (simulated market): 'exchange' (the default when absent) or 'always'. */
  calendar?: 'always' | 'exchange';
}

export interface RunRecord {
  readonly id: string;
  readonly request: RunRequest;
  /** stream=true: the run waits for its first stream client (or the start grace period) before it starts. */
  readonly streaming: boolean;
  /** The `sub` of the token that started the run (AUTH=jwt); null without one. Only the owner may follow or read it. */
  readonly owner: string | null;
  status: RunStatus;
  readonly createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  latestProgress?: BacktestProgressMessage;
  latestMetrics?: BacktestMetricsMessage;
  /** `complete` for a completed run, `error` (BACKTEST_FAILED) for a failed or cancelled one. */
  terminal?: BacktestCompleteMessage | StreamErrorMessage;
  result?: BacktestResult;
  trades?: BacktestTrade[];
  openPosition?: { quantity: number; entry_price: number; entry_time: number; unrealized_pnl: number } | null;
  error?: { code: string; message: string };
  readonly abort: AbortController;
}

export const BACKTEST_ID_PATTERN = /^bt_\d{8}_\d{6}_[0-9a-f]{6}$/;

export function formatBacktestId(time: number, hex: string): string {
  const iso = new Date(time).toISOString(); // 2024-02-11T14:30:22.123Z
  return `bt_${iso.slice(0, 10).replaceAll('-', '')}_${iso.slice(11, 19).replaceAll(':', '')}_${hex}`;
}

export function isFinished(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** Bytes a retained trade costs on the heap (measured: ~5.8 MB for 22,572 trades of a one-year 1-minute run). */
export const TRADE_BYTES = 260;
/** Bytes a retained equity-curve point costs. */
export const EQUITY_POINT_BYTES = 120;
/** A run's fixed cost: request, progress, metrics and terminal messages. */
export const RUN_BASE_BYTES = 8 * 1024;

/** The heap a finished run holds, estimated from what it keeps (the retention budget counts this). */
export function estimateRunBytes(run: Pick<RunRecord, 'trades' | 'result'>): number {
  return RUN_BASE_BYTES + (run.trades?.length ?? 0) * TRADE_BYTES + (run.result?.equity_curve?.length ?? 0) * EQUITY_POINT_BYTES;
}

export interface RunRegistryOptions {
  retentionMs: number;
  /** Most finished runs kept; default unlimited. */
  maxRetained?: number;
  /** Most bytes (estimateRunBytes) of finished runs kept; default unlimited. */
  maxRetainedBytes?: number;
  /** A finished run was dropped before its retention ended, to stay within a bound. */
  onEvict?: (run: RunRecord, why: string) => void;
  /** A run was dropped (evicted or expired): its other resources (stream history) can go too. */
  onDrop?: (run: RunRecord) => void;
  now?: () => number;
  /** 6 lower-case hex characters; default crypto random. */
  randomHex?: () => string;
}

export class RunRegistry {
  private readonly runs = new Map<string, RunRecord>();
  private readonly expiry = new Map<string, NodeJS.Timeout>();
  /** Finished runs in the order they ended (oldest first), with their estimated size. */
  private readonly finished = new Map<string, number>();
  private finishedBytes = 0;
  private readonly now: () => number;
  private readonly randomHex: () => string;

  constructor(private readonly options: RunRegistryOptions) {
    this.now = options.now ?? Date.now;
    this.randomHex = options.randomHex ?? (() => randomBytes(3).toString('hex'));
  }

  /** Registers a new queued run under a fresh id. */
  create(request: RunRequest, streaming: boolean, owner: string | null = null): RunRecord {
    const createdAt = this.now();
    let id = formatBacktestId(createdAt, this.randomHex());
    for (let i = 0; this.runs.has(id); i++) {
      if (i > 100) throw new Error('could not find a free backtest id');
      id = formatBacktestId(createdAt, this.randomHex());
    }
    const run: RunRecord = { id, request, streaming, owner, status: 'queued', createdAt, abort: new AbortController() };
    this.runs.set(id, run);
    return run;
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  all(): RunRecord[] {
    return [...this.runs.values()];
  }

  /** Runs holding a concurrency slot: queued or running. */
  activeCount(): number {
    let n = 0;
    for (const r of this.runs.values()) if (!isFinished(r.status)) n++;
    return n;
  }

  /** Finished runs kept and their estimated bytes (the retention bounds apply to these). */
  retained(): { runs: number; bytes: number } {
    return { runs: this.finished.size, bytes: this.finishedBytes };
  }

  /**
   * Call once a run has ended: it is dropped after retentionMs, or earlier when keeping it passes a bound (then the
   * oldest finished runs go first; a run alone over the byte budget is dropped at once, after its followers were told).
   */
  scheduleExpiry(id: string): void {
    const run = this.runs.get(id);
    if (!run) return;
    clearTimeout(this.expiry.get(id));
    const timer = setTimeout(() => this.drop(id), this.options.retentionMs);
    timer.unref();
    this.expiry.set(id, timer);
    if (!this.finished.has(id)) {
      const bytes = estimateRunBytes(run);
      this.finished.set(id, bytes);
      this.finishedBytes += bytes;
    }
    const maxRuns = this.options.maxRetained ?? Infinity;
    const maxBytes = this.options.maxRetainedBytes ?? Infinity;
    for (const [oldest] of this.finished) {
      if (this.finished.size <= maxRuns && this.finishedBytes <= maxBytes) break;
      const victim = this.runs.get(oldest)!;
      const why = this.finished.size > maxRuns
        ? `more than ${maxRuns} finished runs`
        : `finished runs over ${maxBytes} bytes (${this.finishedBytes})`;
      this.drop(oldest);
      this.options.onEvict?.(victim, why);
    }
  }

  /** Cancels every retention timer and forgets every run. */
  clear(): void {
    for (const t of this.expiry.values()) clearTimeout(t);
    this.expiry.clear();
    this.finished.clear();
    this.finishedBytes = 0;
    this.runs.clear();
  }

  private drop(id: string): void {
    clearTimeout(this.expiry.get(id));
    this.expiry.delete(id);
    const bytes = this.finished.get(id);
    if (bytes !== undefined) {
      this.finished.delete(id);
      this.finishedBytes -= bytes;
    }
    const run = this.runs.get(id);
    this.runs.delete(id);
    if (run) this.options.onDrop?.(run);
  }
}
