/**
 * Backtests started over REST (seed 003): validate a start request, register the run, run it in the background
 * on the market source's historical bars, and publish every event once on the hub topic `backtest:<id>`.
 *
 * Choices (documented in the contract's terms):
 * - Timeframes: the contract resolutions 1, 5, 15, 30, 60, D, and seed-003 aliases 1m, 5m, 15m, 30m, 60m, 1h/1H,
 *   1d/1D. 4h/4H is accepted only next to a finer timeframe (it has no contract resolution to run on). The engine
 *   runs on the FINEST timeframe given (whatever its position in the list); the others are recorded only.
 * - Dates: `YYYY-MM-DD` (UTC; start at 00:00, end inclusive: the run ends at 00:00 of the next day) or a full ISO
 *   8601 time with Z or an offset (end exclusive). The end is clamped to now; a start in the future is refused.
 *   Range cap: MAX_CANDLES (576 000 = 400 days of 1-minute candles) of the finest timeframe, and MAX_RANGE_DAYS.
 * - Several strategy_ids trade ONE long-only account (CompositeStrategy): a BUY from any of them while flat enters,
 *   a SELL from any of them while long exits, opposite signals on the same bar cancel out. Trades carry the
 *   composite id (`ma_crossover+rsi`); the reason names the strategy that signalled.
 * - Defaults: initial_capital 100 000, fee_bps DEFAULT_FEE_BPS (1 for stocks: about a commission plus regulatory
 *   fees at a low-cost broker; 10 for crypto: a major exchange's taker fee), slippage_bps 0, progress_interval
 *   config.backtest.progressInterval, calendar 'exchange' (stocks trade NYSE sessions only, crypto 24/7; 'always'
 *   runs on 24/7 bars, which only the simulated market has).
 *   Sharpe is annualized with barsPerYear = candles × (one year / requested span).
 * - Start: `stream=false` starts at once; `stream=true` (default) waits for the first stream client, at most
 *   `startGraceMs` (default 5 s), so a client that connects right after the 202 sees every event from the first.
 * - Concurrency: queued + running runs ≤ maxConcurrent, else 429 TOO_MANY_BACKTESTS.
 *
 * Events on `backtest:<id>`, in order: progress every progress_interval candles and after the last one
 * (ceil(candles / progress_interval) in all), trade on each entry and exit, equity on the same candles as
 * progress, metrics every 10 × progress_interval candles and after the last one, then exactly one terminal
 * message: `complete` (BacktestResult) or `error` BACKTEST_FAILED (failed, or cancelled by shutdown).
 */
import type {
  BacktestCompleteMessage,
  BacktestEquityMessage,
  BacktestMetrics,
  BacktestMetricsMessage,
  BacktestProgressMessage,
  BacktestResult,
  BacktestTradeMessage,
  StreamErrorMessage,
} from '../../generated/types.ts';
import { requestBodies, validateBacktestStartRequest } from '../../generated/http-validators.js';
import { validateTickerSymbol, type ValidationIssue } from '../../generated/validators.js';
import { isCryptoSymbol } from '../market/calendar.ts';
import type { Bar, MarketSource, Resolution } from '../market/source.ts';
import type { Hub } from '../pubsub/hub.ts';
import type { Stream, StreamContext } from '../streams/stream.ts';
import { bridge } from '../util/bridge.ts';
import { createStrategies, isStrategyId } from '../trading/strategies.ts';
import type { Strategy, StrategySignal } from '../trading/strategy.ts';
import { envelope, streamError } from '../handlers/streams-common.ts';
import { runBacktest, type BacktestEvents, type BacktestProgress, type BacktestResult as EngineResult, type BacktestTrade, type EquityPoint } from './engine.ts';
import type { BacktestMetrics as EngineMetrics } from './metrics.ts';
import { estimateRunBytes, isFinished, RunRegistry, type RunRecord, type RunRequest } from './runs.ts';
import { KeyedRateLimiter } from '../util/rate-limiter.ts';

export const MAX_CANDLES = 576_000;
export const MAX_RANGE_DAYS = 3660;
export const DEFAULT_INITIAL_CAPITAL = 100_000;
const DAY_MS = 86_400_000;
const YEAR_MS = 365.25 * DAY_MS;

export function backtestTopic(id: string): string {
  return `backtest:${id}`;
}

// ---------------------------------------------------------------------------------------------- validation

interface Timeframe {
  minutes: number;
  resolution?: Resolution;
}

const TIMEFRAMES: Readonly<Record<string, Timeframe>> = Object.freeze({
  '1': { minutes: 1, resolution: '1' },
  '1m': { minutes: 1, resolution: '1' },
  '5': { minutes: 5, resolution: '5' },
  '5m': { minutes: 5, resolution: '5' },
  '15': { minutes: 15, resolution: '15' },
  '15m': { minutes: 15, resolution: '15' },
  '30': { minutes: 30, resolution: '30' },
  '30m': { minutes: 30, resolution: '30' },
  '60': { minutes: 60, resolution: '60' },
  '60m': { minutes: 60, resolution: '60' },
  '1h': { minutes: 60, resolution: '60' },
  '1H': { minutes: 60, resolution: '60' },
  '4h': { minutes: 240 },
  '4H': { minutes: 240 },
  D: { minutes: 1440, resolution: 'D' },
  '1d': { minutes: 1440, resolution: 'D' },
  '1D': { minutes: 1440, resolution: 'D' },
});
const TIMEFRAME_HELP = '1, 5, 15, 30, 60, D (aliases 1m, 5m, 15m, 30m, 60m, 1h, 1H, 1d, 1D; 4h/4H only next to a finer one)';

/** Default fee in basis points of notional, per asset class (see the file comment). */
export const DEFAULT_FEE_BPS = Object.freeze({ stock: 1, crypto: 10 });

export interface BodyError {
  code: 'INVALID_BODY';
  message: string;
  /** the offending field (`timeframes[1]` for an element); '' for the body itself */
  field: string;
}

export interface ValidationDeps {
  hasSymbol(symbol: string): boolean;
  symbols(): readonly string[];
  now: () => number;
  defaultProgressInterval: number;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** epoch ms of a date field; `end` date-only values mean the end of that day. undefined when malformed. */
function parseDate(value: string, end: boolean): number | undefined {
  const d = DATE_ONLY.exec(value);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const t = Date.UTC(y, m - 1, day);
    const back = new Date(t);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== day) return undefined;
    return end ? t + DAY_MS : t;
  }
  if (!DATE_TIME.test(value)) return undefined;
  const t = Date.parse(value);
  if (!Number.isFinite(t)) return undefined;
  // Date.parse rolls 2024-02-30T00:00Z over to March: refuse dates that do not exist.
  const [y, m, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const back = new Date(Date.UTC(y, m - 1, day));
  if (back.getUTCMonth() !== m - 1 || back.getUTCDate() !== day) return undefined;
  return t;
}

function bad(field: string, message: string): BodyError {
  return { code: 'INVALID_BODY', message, field };
}

/** The body's fields, as openapi.yaml declares them (BacktestStartRequest): a new optional field is added there. */
const startRequestSchema = requestBodies.BacktestStartRequest;
const FIELDS = Object.keys(startRequestSchema.properties);

/** What to tell a client about each field, when the generated validator refuses it. */
const FIELD_HELP: Readonly<Record<string, string>> = {
  name: 'name is required: a non-empty string of at most 200 characters',
  symbol: 'symbol is required: a ticker like AAPL, BRK.B or BTC-USD',
  timeframes: `timeframes is required: a list of 1 to 8 of ${TIMEFRAME_HELP}`,
  start_date: 'start_date is required: YYYY-MM-DD or an ISO-8601 time with Z or an offset',
  end_date: 'end_date is required: YYYY-MM-DD (inclusive) or an ISO-8601 time with Z or an offset',
  strategy_ids: 'strategy_ids is required: a list of 1 to 10 strategy ids (ma_crossover, rsi)',
  calendar: 'calendar must be exchange (stocks on NYSE sessions, crypto 24/7) or always (24/7 bars)',
};

/**
 * The first problem the generated validator (openapi.yaml → generated/http-validators.js) found, as a BodyError
 * naming its field the way clients see it (`timeframes[1]`), with a message that says what is accepted.
 */
function shapeError(body: Record<string, unknown>, issue: ValidationIssue | undefined): BodyError {
  if (!issue) return bad('', 'the body does not match BacktestStartRequest');
  const path = issue.instancePath.split('/').slice(1);
  if (issue.keyword === 'additionalProperties' && path.length === 0) {
    const k = String(issue.params.additionalProperty);
    return bad(k, `unknown field ${JSON.stringify(k)}; accepted: ${FIELDS.join(', ')}`);
  }
  if (issue.keyword === 'required' && path.length === 0) path.push(String(issue.params.missingProperty));
  const [top, index] = path as [string, string | undefined];
  if (index !== undefined && /^\d+$/.test(index)) {
    const value = (body[top] as unknown[])[Number(index)];
    const field = `${top}[${index}]`;
    if (top === 'timeframes') return bad(field, `unknown timeframe ${JSON.stringify(value)}; use ${TIMEFRAME_HELP}`);
    if (top === 'strategy_ids') return bad(field, `unknown strategy id ${JSON.stringify(value)}; known: ma_crossover, rsi`);
    return bad(field, `${field} ${issue.message ?? 'is invalid'}`);
  }
  if (top === 'symbol') return bad('symbol', describeBadSymbol(body.symbol));
  const help = FIELD_HELP[top];
  if (help) return bad(top, help);
  const schema = startRequestSchema.properties[top];
  if (schema && (schema.type === 'number' || schema.type === 'integer')) {
    return bad(top, `${top} must be ${schema.type === 'integer' ? 'an integer' : 'a number'} from ${schema.minimum} to ${schema.maximum}`);
  }
  return bad(top, `${top} ${issue.message ?? 'is invalid'}`);
}

/**
 * Validates a POST /api/backtesting/start body; the first problem found, naming its field, or the request.
 * The shape (types, lengths, enums, ranges, unknown fields) is checked by the validator generated from
 * openapi.yaml; what needs the server's state or the calendar (a served symbol, real dates, the range cap, the
 * finest timeframe, duplicates) is checked here.
 */
export function validateStartRequest(body: unknown, deps: ValidationDeps): { ok: true; request: RunRequest } | { ok: false; error: BodyError } {
  const fail = (error: BodyError) => ({ ok: false as const, error });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(bad('', 'the body must be a JSON object'));
  const b = body as Record<string, unknown>;
  if (!validateBacktestStartRequest(b)) return fail(shapeError(b, validateBacktestStartRequest.errors?.[0]));

  const name = b.name as string;
  const symbol = b.symbol as string;
  if (!deps.hasSymbol(symbol)) return fail(bad('symbol', `unknown symbol ${symbol}; this server serves ${deps.symbols().join(', ')}`));

  // The validator allowed only known timeframe names; the engine runs on the finest one.
  const tfs = b.timeframes as string[];
  let finest: Timeframe | undefined;
  for (let i = 0; i < tfs.length; i++) {
    const known = Object.hasOwn(TIMEFRAMES, tfs[i]!) ? TIMEFRAMES[tfs[i]!] : undefined;
    if (!known) return fail(bad(`timeframes[${i}]`, `unknown timeframe ${JSON.stringify(tfs[i])}; use ${TIMEFRAME_HELP}`));
    if (!finest || known.minutes < finest.minutes) finest = known;
  }
  if (!finest!.resolution) {
    return fail(bad('timeframes', `4H cannot be the finest timeframe: the engine runs on the finest one, which must be ${TIMEFRAME_HELP}`));
  }
  const resolution = finest!.resolution;

  const startRaw = b.start_date as string;
  const from = parseDate(startRaw, false);
  if (from === undefined) return fail(bad('start_date', 'start_date is required: YYYY-MM-DD or an ISO-8601 time with Z or an offset'));
  const endRaw = b.end_date as string;
  const end = parseDate(endRaw, true);
  if (end === undefined) return fail(bad('end_date', 'end_date is required: YYYY-MM-DD (inclusive) or an ISO-8601 time with Z or an offset'));
  if (!(end > from)) return fail(bad('end_date', 'end_date must be after start_date'));
  const now = deps.now();
  if (from >= now) return fail(bad('start_date', 'start_date is in the future'));
  const periodMs = finest!.minutes * 60_000;
  const candles = Math.ceil((end - from) / periodMs);
  if (candles > MAX_CANDLES || end - from > MAX_RANGE_DAYS * DAY_MS) {
    return fail(bad('end_date', `range too long: at most ${MAX_CANDLES} candles of the finest timeframe (400 days at 1 minute) and ${MAX_RANGE_DAYS} days; this range has ${candles} ${resolution === 'D' ? 'daily' : `${finest!.minutes}-minute`} candles`));
  }

  const ids = b.strategy_ids as string[];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    // The contract lists the ids; the strategy table is what runs them (a mismatch is refused, not run).
    if (!isStrategyId(id)) return fail(bad(`strategy_ids[${i}]`, `unknown strategy id ${JSON.stringify(id)}; known: ma_crossover, rsi`));
    if (ids.indexOf(id) !== i) return fail(bad(`strategy_ids[${i}]`, `duplicate strategy id ${id}`));
  }

  const initial_capital = (b.initial_capital as number | undefined) ?? DEFAULT_INITIAL_CAPITAL;
  const fee_bps = (b.fee_bps as number | undefined) ?? (isCryptoSymbol(symbol) ? DEFAULT_FEE_BPS.crypto : DEFAULT_FEE_BPS.stock);
  const slippage_bps = (b.slippage_bps as number | undefined) ?? 0;
  const progress_interval = (b.progress_interval as number | undefined) ?? deps.defaultProgressInterval;
  const calendar = (b.calendar as 'exchange' | 'always' | undefined) ?? 'exchange';

  return {
    ok: true,
    request: {
      name,
      symbol,
      timeframes: tfs as string[],
      resolution,
      start_date: startRaw as string,
      end_date: endRaw as string,
      from,
      to: Math.min(end, now),
      strategy_ids: ids as string[],
      initial_capital,
      fee_bps,
      slippage_bps,
      progress_interval,
      calendar,
    },
  };
}

/** What is wrong with a `symbol` value, in words ("symbol 'aapl' must be upper case"). */
function describeBadSymbol(symbol: unknown): string {
  if (symbol === undefined) return 'symbol is required: a ticker like AAPL, BRK.B or BTC-USD';
  if (typeof symbol !== 'string') return `symbol must be a string like AAPL, not ${JSON.stringify(symbol)}`;
  if (symbol !== symbol.toUpperCase() && validateTickerSymbol(symbol.toUpperCase())) return `symbol '${symbol}' must be upper case: ${symbol.toUpperCase()}`;
  return `symbol '${symbol}' is not a ticker: 1-10 upper-case letters or digits, optionally .X or -X (AAPL, BRK.B, BTC-USD)`;
}

// ---------------------------------------------------------------------------------------------- strategies

/**
 * Several strategies on one long-only account: BUY when at least one says BUY and none says SELL on this bar,
 * SELL when at least one says SELL and none says BUY; null while every one of them is warming up.
 */
export class CompositeStrategy implements Strategy {
  readonly id: string;
  readonly name: string;
  constructor(private readonly parts: readonly Strategy[]) {
    this.id = parts.map((p) => p.id).join('+');
    this.name = parts.map((p) => p.name).join(' + ');
  }
  onBar(bar: Bar): StrategySignal | null {
    let buy: { s: Strategy; sig: StrategySignal } | undefined;
    let sell: { s: Strategy; sig: StrategySignal } | undefined;
    let any = false;
    for (const s of this.parts) {
      const sig = s.onBar(bar);
      if (!sig) continue;
      any = true;
      if (sig.signal_type === 'BUY') buy ??= { s, sig };
      else if (sig.signal_type === 'SELL') sell ??= { s, sig };
    }
    if (!any) return null;
    const pick = buy && !sell ? buy : sell && !buy ? sell : undefined;
    if (!pick) return { signal_type: 'HOLD', confidence: 0, price: bar.close, reason: buy ? 'conflicting signals' : 'no signal', time: bar.time };
    return { ...pick.sig, reason: `${pick.s.id}: ${pick.sig.reason}` };
  }
  reset(): void {
    for (const s of this.parts) s.reset();
  }
}

// ---------------------------------------------------------------------------------------------- messages

export function contractMetrics(m: EngineMetrics): BacktestMetrics {
  return {
    total_return: m.total_return,
    max_drawdown: m.max_drawdown,
    sharpe_ratio: m.sharpe_ratio,
    win_rate: m.win_rate,
    num_trades: m.num_trades,
    profit_factor: m.profit_factor,
    final_equity: m.final_equity,
    buy_and_hold_return: m.buy_and_hold_return,
    excess_return: m.excess_return,
    total_fees: m.total_fees,
  };
}

export function progressMessage(p: BacktestProgress, now?: () => number): BacktestProgressMessage {
  const total = p.total ?? p.processed;
  const pct = p.pct ?? (total ? (p.processed / total) * 100 : 100);
  return envelope('progress', {
    processed: p.processed,
    total,
    pct: Math.min(100, Math.round(pct * 100) / 100),
    equity: p.equity,
    current_time: p.current_time,
    num_trades: p.num_trades,
  }, now);
}

export function tradeMessage(t: BacktestTrade, now?: () => number): BacktestTradeMessage {
  return envelope('trade', {
    action: t.action,
    side: t.side,
    symbol: t.symbol,
    price: t.price,
    quantity: t.quantity,
    time: t.time,
    ...(t.pnl !== undefined ? { pnl: t.pnl } : {}),
    fee: t.fee,
    reason: t.reason,
    strategy_id: t.strategy_id,
  }, now);
}

export function equityMessage(e: EquityPoint, now?: () => number): BacktestEquityMessage {
  return envelope('equity', { time: e.time, equity: e.equity, drawdown: e.drawdown, benchmark: e.benchmark }, now);
}

export function metricsMessage(m: EngineMetrics, now?: () => number): BacktestMetricsMessage {
  return envelope('metrics', contractMetrics(m), now);
}

// ---------------------------------------------------------------------------------------------- service

export interface BacktestServiceOptions {
  source: Pick<MarketSource, 'history' | 'hasSymbol' | 'symbols'>;
  /**
   * `watch` (optional in tests): a run's first follower anywhere starts it. `forget` and `setSnapshot` (optional):
   * drop a finished run's event history (see historyGraceMs) and its topic once the run is dropped.
   */
  hub: Pick<Hub, 'publish'> & Partial<Pick<Hub, 'watch' | 'forget' | 'setSnapshot'>>;
  maxConcurrent: number;
  retentionMs: number;
  progressInterval: number;
  /** stream=true runs start at the latest this long after creation when no client connects; default 5000. */
  startGraceMs?: number;
  /** Points kept in the result's equity_curve; default 500. */
  equityCurvePoints?: number;
  /**
   * Runs a whole backtest elsewhere (a worker thread, src/workers/history-offload.ts), so neither loading the bars nor
   * the engine holds the event loop; the events arrive through `hooks` as the in-thread engine would call them.
   * Returns undefined when it cannot take the run (then it runs here).
   */
  offload?: (run: RunRequest, hooks: BacktestEvents, signal: AbortSignal) => Promise<{ status: 'no_data' } | { status: 'invalid'; code: string; message: string } | EngineResult> | undefined;
  /** Most finished runs kept (oldest evicted first); default unlimited. */
  maxRetained?: number;
  /** Most estimated bytes of finished runs kept (oldest evicted first); default unlimited. */
  maxRetainedBytes?: number;
  /** Runs one caller (a user with AUTH=jwt, else an IP) may start per minute; default unlimited. */
  startsPerMinute?: number;
  /**
   * A finished run's event history (for followers recovering with `since`) is kept this long after its end, then
   * dropped (its snapshot stays: late joiners still get the latest progress, metrics and the terminal message);
   * default 60 000. Needs `hub.forget`.
   */
  historyGraceMs?: number;
  now?: () => number;
  randomHex?: () => string;
  log?: (line: string) => void;
}

export type StartOutcome =
  | { ok: true; run: RunRecord }
  | { ok: false; status: 400 | 429 | 503; error: { code: string; message: string; field?: string }; retryAfterSec?: number };

/** What POST /api/backtesting/:id/cancel gets. */
export type CancelOutcome =
  | { ok: true; summary: Record<string, unknown> }
  | { ok: false; status: 404 | 409; error: { code: string; message: string } };

/** A page of a list: the items and the cursor of the next page (null on the last one). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export class BacktestService implements Stream {
  readonly name = 'backtests';
  readonly registry: RunRegistry;
  private readonly now: () => number;
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  /**
   * Runs begun and not yet settled. Fire-and-forget through the bridge (house rule 11): whatever escapes a run,
   * even a failure while recording its end, goes to ctx.error, never to an unhandled rejection; stop() waits for idle().
   */
  private readonly runs = bridge((run: RunRecord) => this.runToEnd(run), { onError: (err) => this.ctx?.error(err) });
  private ctx: StreamContext | undefined;
  private stopped = false;
  private readonly starts: KeyedRateLimiter | undefined;
  private readonly historyTimers = new Map<string, NodeJS.Timeout>();

  private unwatch: (() => void) | undefined;

  constructor(private readonly options: BacktestServiceOptions) {
    this.now = options.now ?? Date.now;
    this.registry = new RunRegistry({
      retentionMs: options.retentionMs,
      maxRetained: options.maxRetained,
      maxRetainedBytes: options.maxRetainedBytes,
      now: this.now,
      randomHex: options.randomHex,
      onEvict: (run, why) => this.options.log?.(`backtest ${run.id} evicted (${why}); finished at ${new Date(run.finishedAt ?? 0).toISOString()}, ~${estimateRunBytes(run)} bytes`),
      onDrop: (run) => {
        clearTimeout(this.historyTimers.get(run.id));
        this.historyTimers.delete(run.id);
        if (!this.stopped) void this.options.hub.forget?.(backtestTopic(run.id));
      },
    });
    this.starts = options.startsPerMinute ? new KeyedRateLimiter(options.startsPerMinute, { now: this.now }) : undefined;
  }

  start(ctx: StreamContext): void {
    this.ctx = ctx;
    this.stopped = false;
    // A run's first follower, on this node or any other (cluster interest), starts a queued stream=true run.
    this.unwatch?.();
    this.unwatch = this.options.hub.watch?.({
      active: (topic) => {
        if (topic.startsWith('backtest:')) this.clientJoined(topic.slice('backtest:'.length));
      },
      idle: () => undefined,
    });
    ctx.update();
  }

  /** Cancels queued and running runs (their clients get error BACKTEST_FAILED), clears every timer and run. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.unwatch = undefined;
    for (const t of this.graceTimers.values()) clearTimeout(t);
    this.graceTimers.clear();
    for (const t of this.historyTimers.values()) clearTimeout(t);
    this.historyTimers.clear();
    for (const run of this.registry.all()) {
      if (isFinished(run.status)) continue;
      run.abort.abort();
      if (run.status === 'queued') this.end(run, 'cancelled', { code: 'CANCELLED', message: 'cancelled: the server is shutting down' });
    }
    await this.runs.idle();
    this.registry.clear();
  }

  validate(body: unknown): ReturnType<typeof validateStartRequest> {
    return validateStartRequest(body, {
      hasSymbol: (s) => this.options.source.hasSymbol(s),
      symbols: () => this.options.source.symbols(),
      now: this.now,
      defaultProgressInterval: this.options.progressInterval,
    });
  }

  /**
   * Validates and registers a run; it starts now (streaming false) or on its first client / grace expiry. `caller`
   * names who is counted against startsPerMinute (`user:<sub>` or `ip:<address>`; default the owner).
   */
  startRun(body: unknown, { streaming, owner = null, caller }: { streaming: boolean; owner?: string | null; caller?: string }): StartOutcome {
    if (this.stopped) return { ok: false, status: 503, error: { code: 'SHUTTING_DOWN', message: 'the server is shutting down' } };
    const checked = this.validate(body);
    if (!checked.ok) return { ok: false, status: 400, error: checked.error };
    if (this.starts) {
      const key = caller ?? (owner === null ? 'anonymous' : `user:${owner}`);
      const took = this.starts.take(key);
      if (!took.ok) {
        return { ok: false, status: 429, retryAfterSec: took.retryAfterSec, error: { code: 'RATE_LIMITED', message: `more than ${this.options.startsPerMinute} backtests started per minute by this caller; retry in ${took.retryAfterSec} s` } };
      }
    }
    const active = this.registry.activeCount();
    if (active >= this.options.maxConcurrent) {
      return { ok: false, status: 429, error: { code: 'TOO_MANY_BACKTESTS', message: `${active} backtests are queued or running (max ${this.options.maxConcurrent}); retry when one finishes` } };
    }
    const run = this.registry.create(checked.request, streaming, owner);
    if (streaming) {
      const timer = setTimeout(() => this.begin(run), this.options.startGraceMs ?? 5000);
      timer.unref();
      this.graceTimers.set(run.id, timer);
    } else {
      setImmediate(() => this.begin(run));
    }
    return { ok: true, run };
  }

  get(id: string): RunRecord | undefined {
    return this.registry.get(id);
  }

  /** What GET /api/backtesting/:id answers (see describeRun); undefined for an unknown or expired id. */
  describe(id: string): Record<string, unknown> | undefined {
    const run = this.registry.get(id);
    return run ? describeRun(run) : undefined;
  }

  /** Who started a run: its owner's `sub`, null when started without a token, undefined for an unknown id. */
  ownerOf(id: string): string | null | undefined {
    return this.registry.get(id)?.owner;
  }

  /**
   * GET /api/backtesting: summaries of the runs (of `owner` when given), newest first, `limit` per page. The cursor
   * names the last run of the previous page by its creation time and id, so a page never repeats or skips a run when
   * runs are added or evicted in between. An unreadable cursor is undefined (the caller answers 400).
   */
  list(owner?: string | null, page: { limit?: number; cursor?: string } = {}): Page<Record<string, unknown>> | undefined {
    let after: { at: number; id: string } | undefined;
    if (page.cursor !== undefined) {
      after = decodeListCursor(page.cursor);
      if (!after) return undefined;
    }
    const limit = page.limit ?? 20;
    const mine = this.registry.all()
      .filter((r) => owner === undefined || r.owner === owner)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const from = after ? mine.filter((r) => r.createdAt < after.at || (r.createdAt === after.at && r.id < after.id)) : mine;
    const items = from.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(summarizeRun), next: from.length > limit && last ? encodeListCursor(last) : null };
  }

  /**
   * Cancels a queued or running run of `owner` (any run when undefined): it ends `cancelled` now (its followers get
   * error BACKTEST_FAILED naming the cancel) and its work stops at the engine's next bar or when its history load
   * returns. 404 for an unknown run or another user's, 409 BACKTEST_NOT_RUNNING for a finished one.
   */
  cancel(id: string, owner?: string | null): CancelOutcome {
    const run = this.registry.get(id);
    if (!run || (owner !== undefined && run.owner !== owner)) {
      return { ok: false, status: 404, error: { code: 'NOT_FOUND', message: `No backtest with id ${id} (it never existed or has expired)` } };
    }
    if (isFinished(run.status)) {
      return { ok: false, status: 409, error: { code: 'BACKTEST_NOT_RUNNING', message: `backtest ${id} has already ended (${run.status})` } };
    }
    clearTimeout(this.graceTimers.get(id));
    this.graceTimers.delete(id);
    run.abort.abort('user');
    this.end(run, 'cancelled', cancelReason(run));
    return { ok: true, summary: summarizeRun(run) };
  }

  /**
   * One page of a run's trades (entries and exits, in order) from `offset`: those recorded so far while it runs,
   * all of them once it has ended. undefined for an unknown run.
   */
  trades(id: string, offset: number, limit: number): Page<Record<string, unknown>> & { total: number } | undefined {
    const run = this.registry.get(id);
    if (!run) return undefined;
    const all = run.trades ?? [];
    const items = all.slice(offset, offset + limit).map((t) => tradeMessage(t).data as unknown as Record<string, unknown>);
    const end = offset + items.length;
    return { items, total: all.length, next: end < all.length ? encodeOffsetCursor(end) : null };
  }

  /** A stream client joined the run: a queued streaming run starts now. */
  clientJoined(id: string): void {
    const run = this.registry.get(id);
    if (run?.status === 'queued') this.begin(run);
  }

  private begin(run: RunRecord): void {
    clearTimeout(this.graceTimers.get(run.id));
    this.graceTimers.delete(run.id);
    if (run.status !== 'queued' || this.stopped) return;
    run.status = 'running';
    run.startedAt = this.now();
    this.runs(run);
  }

  /** A run that throws unexpectedly ends failed (INTERNAL_ERROR). */
  private async runToEnd(run: RunRecord): Promise<void> {
    try {
      await this.execute(run);
    } catch (err) {
      this.end(run, 'failed', { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async execute(run: RunRecord): Promise<void> {
    const req = run.request;
    this.options.log?.(`backtest ${run.id} started: ${req.symbol} ${req.resolution} ${req.start_date}..${req.end_date} ${req.strategy_ids.join('+')}`);
    const topic = backtestTopic(run.id);
    // Every event carries the run's snapshot (latest progress and metrics) for a client that joins later.
    const publish = (message: object): void => {
      try {
        this.options.hub.publish(topic, message, { snapshot: runSnapshot(run) });
      } catch (err) {
        this.ctx?.error(err);
      }
    };
    const hooks: BacktestEvents = {
      onProgress: (p) => {
        run.latestProgress = progressMessage(p, this.now);
        publish(run.latestProgress);
      },
      onTrade: (t) => {
        (run.trades ??= []).push(t);
        publish(tradeMessage(t, this.now));
      },
      onEquity: (e) => publish(equityMessage(e, this.now)),
      onMetrics: (m) => {
        run.latestMetrics = metricsMessage(m, this.now);
        publish(run.latestMetrics);
      },
      onError: (err) => this.ctx?.error(err),
    };
    const offloaded = this.options.offload?.(req, hooks, run.abort.signal);
    if (offloaded) {
      let outcome: Awaited<typeof offloaded>;
      try {
        outcome = await offloaded;
      } catch (err) {
        if (run.abort.signal.aborted) return this.end(run, 'cancelled', cancelReason(run));
        throw err;
      }
      if (outcome.status === 'no_data') {
        return this.end(run, 'failed', { code: 'NO_DATA', message: `no ${req.resolution} bars for ${req.symbol} between ${req.start_date} and ${req.end_date}` });
      }
      if (outcome.status === 'invalid') return this.end(run, 'failed', { code: outcome.code, message: outcome.message });
      return this.finish(run, outcome);
    }
    let bars: Bar[];
    try {
      // A cancel or a shutdown does not wait for a slow history load (IBKR pacing can hold one for minutes).
      const loaded = await untilAborted(this.options.source.history(req.symbol, req.resolution, req.from, req.to, { calendar: req.calendar ?? 'exchange' }), run.abort.signal);
      if (loaded === ABORTED) return this.end(run, 'cancelled', cancelReason(run));
      bars = loaded;
    } catch (err) {
      return this.end(run, 'failed', { code: 'SOURCE_ERROR', message: `loading ${req.symbol} bars failed: ${err instanceof Error ? err.message : String(err)}` });
    }
    if (run.abort.signal.aborted) return this.end(run, 'cancelled', cancelReason(run));
    if (bars.length === 0) {
      const hours = (req.calendar ?? 'exchange') === 'exchange' ? ' (calendar exchange: the market is closed then; calendar always runs on 24/7 bars)' : '';
      return this.end(run, 'failed', { code: 'NO_DATA', message: `no ${req.resolution} bars for ${req.symbol} between ${req.start_date} and ${req.end_date}${hours}` });
    }
    const made = createStrategies(req.strategy_ids);
    if (!made.ok) return this.end(run, 'failed', { code: made.code, message: made.message });
    const strategy = made.strategies.length === 1 ? made.strategies[0]! : new CompositeStrategy(made.strategies);
    const span = Math.max(1, req.to - req.from);
    const result = await runBacktest(bars, {
      symbol: req.symbol,
      strategy,
      initialCapital: req.initial_capital,
      feeBps: req.fee_bps,
      slippageBps: req.slippage_bps,
      barsPerYear: Math.max(1, Math.round((bars.length * YEAR_MS) / span)),
      progressInterval: req.progress_interval,
      equityCurvePoints: this.options.equityCurvePoints ?? 500,
      signal: run.abort.signal,
      now: this.now,
    }, hooks);
    this.finish(run, result);
  }

  /** Records an engine result: the run ends completed, failed or cancelled. */
  private finish(run: RunRecord, result: EngineResult): void {
    run.trades = result.trades;
    run.openPosition = result.open_position;
    if (result.status === 'cancelled') return this.end(run, 'cancelled', cancelReason(run));
    if (result.status === 'failed') return this.end(run, 'failed', result.error ?? { code: 'FAILED', message: 'the run failed' });
    run.latestMetrics = metricsMessage(result.metrics, this.now);
    run.result = {
      backtest_id: run.id,
      status: 'completed',
      metrics: contractMetrics(result.metrics),
      num_candles: result.processed,
      duration_ms: this.now() - run.startedAt!,
      equity_curve: result.equity_curve.map((e) => ({ time: e.time, equity: e.equity, drawdown: e.drawdown, benchmark: e.benchmark })),
    } satisfies BacktestResult;
    this.end(run, 'completed');
  }

  /** Records the end of a run, publishes its terminal message once and schedules its expiry. */
  private end(run: RunRecord, status: 'completed' | 'failed' | 'cancelled', error?: { code: string; message: string }): void {
    if (isFinished(run.status)) return;
    run.status = status;
    run.finishedAt = this.now();
    let terminal: BacktestCompleteMessage | StreamErrorMessage;
    if (status === 'completed') {
      terminal = envelope('complete', run.result!, this.now);
    } else {
      run.error = error;
      terminal = streamError({ code: 'BACKTEST_FAILED', message: `${status === 'cancelled' ? 'backtest cancelled' : 'backtest failed'} (${error?.code}): ${error?.message}` }, this.now);
      this.options.log?.(`backtest ${run.id} ${status}: ${error?.code} ${error?.message}`);
    }
    run.terminal = terminal;
    try {
      this.options.hub.publish(backtestTopic(run.id), terminal, { snapshot: runSnapshot(run) });
      this.ctx?.update();
    } catch (err) {
      this.ctx?.error(err);
    }
    if (status === 'completed') this.options.log?.(`backtest ${run.id} completed in ${run.finishedAt - (run.startedAt ?? run.finishedAt)} ms`);
    if (this.stopped) return;
    this.registry.scheduleExpiry(run.id);
    this.scheduleHistoryDrop(run);
  }

  /** After historyGraceMs, a finished run's event history goes; its snapshot is stored again on the fresh topic. */
  private scheduleHistoryDrop(run: RunRecord): void {
    const { forget, setSnapshot } = this.options.hub;
    if (!forget || !setSnapshot) return;
    const timer = setTimeout(() => {
      this.historyTimers.delete(run.id);
      if (this.stopped || this.registry.get(run.id) !== run) return;
      const topic = backtestTopic(run.id);
      void forget.call(this.options.hub, topic).then(() => setSnapshot.call(this.options.hub, topic, runSnapshot(run)));
    }, this.options.historyGraceMs ?? 60_000);
    timer.unref();
    this.historyTimers.set(run.id, timer);
  }
}

// ---------------------------------------------------------------------------------------------- cursors

/** Cursors are opaque to clients: base64url of a small JSON value. */
function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor(cursor: string): unknown {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function encodeListCursor(run: RunRecord): string {
  return encodeCursor({ t: run.createdAt, id: run.id });
}

function decodeListCursor(cursor: string): { at: number; id: string } | undefined {
  const v = decodeCursor(cursor) as { t?: unknown; id?: unknown } | undefined;
  return v && typeof v.t === 'number' && Number.isFinite(v.t) && typeof v.id === 'string' ? { at: v.t, id: v.id } : undefined;
}

export function encodeOffsetCursor(offset: number): string {
  return encodeCursor({ o: offset });
}

/** The offset a trades cursor names; undefined when it is not one of ours. */
export function decodeOffsetCursor(cursor: string): number | undefined {
  const v = decodeCursor(cursor) as { o?: unknown } | undefined;
  return v && typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0 ? v.o : undefined;
}

const ABORTED = Symbol('aborted');

/** `work`'s value, or ABORTED as soon as `signal` aborts (the work itself is left to settle; its outcome is ignored). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      resolve(ABORTED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/** Why a run was cancelled: by its owner (POST .../cancel) or by the server shutting down. */
function cancelReason(run: RunRecord): { code: string; message: string } {
  return run.abort.signal.reason === 'user'
    ? { code: 'CANCELLED', message: 'cancelled by the caller' }
    : { code: 'CANCELLED', message: 'cancelled: the server is shutting down' };
}

/** What GET /api/backtesting/:id answers: the run's summary, its settings, the latest progress and the result. */
export function describeRun(run: RunRecord): Record<string, unknown> {
  const r = run.request;
  const { progress_pct: _pct, error, ...summary } = summarizeRun(run);
  return {
    ...summary,
    timeframes: r.timeframes,
    initial_capital: r.initial_capital,
    fee_bps: r.fee_bps,
    slippage_bps: r.slippage_bps,
    progress_interval: r.progress_interval,
    calendar: r.calendar ?? 'exchange',
    streaming: run.streaming,
    progress: run.latestProgress?.data ?? null,
    // The result is a summary (bounded: metrics, the equity curve of at most equityCurvePoints points, the open
    // position); the trades, unbounded, are paged at GET /api/backtesting/{id}/trades.
    ...(run.result ? { result: { ...run.result, open_position: run.openPosition ?? null, trades_total: run.trades?.length ?? 0, trades_url: `/api/backtesting/${run.id}/trades` } } : {}),
    ...(error ? { error } : {}),
  };
}

/** A run in GET /api/backtesting and the cancel answer: what it is and how it went, without its result. */
export function summarizeRun(run: RunRecord): Record<string, unknown> {
  const r = run.request;
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  return {
    backtest_id: run.id,
    name: r.name,
    owner: run.owner,
    status: run.status,
    symbol: r.symbol,
    resolution: r.resolution,
    start_date: r.start_date,
    end_date: r.end_date,
    strategy_ids: r.strategy_ids,
    created_at: iso(run.createdAt),
    started_at: iso(run.startedAt),
    finished_at: iso(run.finishedAt),
    progress_pct: run.latestProgress?.data.pct ?? null,
    metrics: run.latestMetrics?.data ?? null,
    ...(run.error ? { error: run.error } : {}),
  };
}

/** What a client joining a run late gets: the latest progress and metrics, and the terminal message once ended. */
export function runSnapshot(run: Pick<RunRecord, 'latestProgress' | 'latestMetrics' | 'terminal'>): object[] {
  return [run.latestProgress, run.latestMetrics, run.terminal].filter((m): m is NonNullable<typeof m> => m !== undefined);
}
