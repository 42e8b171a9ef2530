/**
 * The run registry: every backtest started over REST, by id, with what a late stream client needs (the latest
 * progress and metrics messages, the terminal message) and what GET /api/backtesting/:id reports.
 *
 * Ids: `bt_<yyyymmdd>_<hhmmss>_<6 hex>` (UTC time of creation + 3 random bytes), matching the contract's
 * BacktestId. Retention: a finished run (completed, failed, cancelled) is dropped `retentionMs` after it ended; the
 * timers are unref'd (they never keep the process alive) and `clear()` cancels them all.
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

export interface RunRegistryOptions {
  retentionMs: number;
  now?: () => number;
  /** 6 lower-case hex characters; default crypto random. */
  randomHex?: () => string;
}

export class RunRegistry {
  private readonly runs = new Map<string, RunRecord>();
  private readonly expiry = new Map<string, NodeJS.Timeout>();
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

  /** Call once a run has ended: it is dropped after retentionMs. */
  scheduleExpiry(id: string): void {
    clearTimeout(this.expiry.get(id));
    const timer = setTimeout(() => {
      this.expiry.delete(id);
      this.runs.delete(id);
    }, this.options.retentionMs);
    timer.unref();
    this.expiry.set(id, timer);
  }

  /** Cancels every retention timer and forgets every run. */
  clear(): void {
    for (const t of this.expiry.values()) clearTimeout(t);
    this.expiry.clear();
    this.runs.clear();
  }
}
