/**
 * A simulated market: reproducible seeded random walks, no network. The default source.
 *
 * Live data: one geometric random walk per symbol (its own seeded stream, so one symbol's path does not
 * depend on the others), one tick per symbol per `tickIntervalMs`, all driven by ONE unref'd interval timer
 * (or synchronously by `step()`). Ticks are stamped with the injected `now()` and fed to the symbol's
 * BarAggregator, which produces every resolution. Same seed + same number of ticks => same prices.
 *
 * Ticks: a real tick (every `tickIntervalMs`) stands for `tickMarketMs` of market time; when that is longer than
 * SUB_TICK_MARKET_MS (a sped-up clock: MARKET_SPEED=60 makes one real tick a market minute) it is split into
 * sub-ticks at most SUB_TICK_MARKET_MS of market time apart (at most MAX_SUB_TICKS), stamped evenly between the
 * previous tick and this one, so every bar gets several trades and a real shape (open, high, low and close
 * differ) at any speed. The walk's variance per market minute does not depend on the split.
 *
 * Session: by default ALWAYS_OPEN_SESSION for every symbol (`calendar: 'always'`), i.e. the simulated market
 * trades 24/7 and its trading days are UTC days, so a demo always has moving data. `calendar: 'exchange'` gives
 * each symbol its exchange's session (calendar.ts: NYSE hours and holidays for stocks, 24/7 for crypto); an
 * explicit `session` applies to every symbol. While a symbol's session is closed no tick happens (the walk
 * pauses; bars are still closed on time), and history has no bars then.
 *
 * History: generated on demand, deterministic per (seed, symbol) and independent of live ticks. Any
 * [from, to) request returns the same bars as the matching part of a wider request, and coarser resolutions
 * are exact aggregates of the 1-minute path. The path: a level per calendar day built by midpoint
 * displacement (a Brownian bridge) between mean-reverting anchors every 256 days, so any day is computed
 * in O(log) without replaying from an origin and prices stay in a band around the start price; within a
 * trading day, a Brownian bridge per minute from that day's level to the next day's. Continuous from one
 * trading day to the next: no overnight gaps.
 *
 * Health: the simulated source is always healthy; health listeners are accepted and never called.
 */
import type { Bar, BarListener, HistoryOptions, MarketSource, Quote, Resolution, SourceHealthListener } from './source.ts';
import { BarAggregator } from './aggregator.ts';
import { Random, deriveSeed } from './random.ts';
import { isMinuteResolution } from './resolution.ts';
import { DAY_MS, nextTradingDay, tradingDayAt, tradingDayOn, type Session, type TradingDay } from './session.ts';
import { sessionFor, sessionFromWire, sessionToWire, type MarketCalendar, type WireSession } from './calendar.ts';

/** Longest market time one (sub-)tick stands for: 12 trades per 1-minute bar at least. */
export const SUB_TICK_MARKET_MS = 5000;
/** Most sub-ticks one real tick is split into (MARKET_SPEED=3600: one per 5 market seconds). */
export const MAX_SUB_TICKS = 720;

export const DEFAULT_SYMBOLS: readonly string[] = Object.freeze(['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA', 'BRK.B', 'BTC-USD']);

export const DEFAULT_START_PRICES: Readonly<Record<string, number>> = Object.freeze({
  AAPL: 190,
  MSFT: 420,
  GOOGL: 170,
  AMZN: 185,
  TSLA: 250,
  'BRK.B': 410,
  'BTC-USD': 65_000,
});

/** Annualized volatility used when none is given for a symbol. */
export const DEFAULT_VOLATILITY: Readonly<Record<string, number>> = Object.freeze({ TSLA: 0.55, 'BTC-USD': 0.6 });
const FALLBACK_VOLATILITY = 0.3;
const FALLBACK_START_PRICE = 100;
const YEAR_MS = 365 * DAY_MS;

/** The interval timer the source uses; injectable for tests. Handles are unref'd when they support it. */
export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const NODE_TIMERS: IntervalTimers = Object.freeze({
  setInterval: (fn: () => void, ms: number): unknown => setInterval(fn, ms),
  clearInterval: (handle: unknown): void => clearInterval(handle as NodeJS.Timeout),
});

export interface SimulatedSourceOptions {
  symbols?: readonly string[];
  /** Seed of every random stream (live and history). Default 42. */
  seed?: number;
  /** Time between ticks of the live timer. Default 1000. */
  tickIntervalMs?: number;
  /** Clock stamping live ticks. Default Date.now. */
  now?: () => number;
  /** One session for every symbol; overrides `calendar`. */
  session?: Session;
  /** Per-symbol sessions from calendar.ts; default 'always' (every symbol trades 24/7). */
  calendar?: MarketCalendar;
  /** Start price per symbol (live walk start, history level); defaults from DEFAULT_START_PRICES, else 100. */
  startPrices?: Readonly<Record<string, number>>;
  /** Annualized volatility, one for all symbols or per symbol; default DEFAULT_VOLATILITY, else 0.3. */
  volatility?: number | Readonly<Record<string, number>>;
  timers?: IntervalTimers;
  /**
   * On start(), begin each live walk at the close of history() for the current minute, and take the previous
   * close from history's previous daily bar, so charts backfilled from history() join the live bars. Default false
   * (the live walk starts at the start price, independent of wall time; tests rely on that).
   */
  continueFromHistory?: boolean;
  /**
   * Market time one tick stands for, which scales its volatility and volume. Default tickIntervalMs; a sped-up
   * clock (e.g. 600x) passes tickIntervalMs x speed so prices move as much per market minute as at real speed.
   */
  tickMarketMs?: number;
  /**
   * Runs history generation elsewhere (a worker thread: see src/workers/history-offload.ts), so a long range never
   * stalls the event loop. Same bars either way. Default: in this thread.
   */
  generate?: (params: HistoryParams, resolution: Resolution, from: number, to: number) => Promise<Bar[]>;
  /** Bars kept in the history cache (results per symbol, resolution and range); default 1,000,000; 0 = no cache. */
  historyCacheBars?: number;
}

interface SymbolState {
  readonly symbol: string;
  readonly startPrice: number;
  readonly volatility: number;
  /** Typical volume per minute. */
  readonly baseVolume: number;
  readonly rng: Random;
  readonly session: Session;
  readonly aggregator: BarAggregator;
  /** Cache of the trading day of the last tick. */
  openDay: TradingDay | undefined;
  /** When closed at the last check: the next session's start (time-zone math once per closed period, not per tick). */
  closedUntil: number;
  logPrice: number;
  last: { price: number; time: number } | undefined;
  /** Close of the last closed daily bar; the start price before there is one. */
  previousClose: number;
}

export class SimulatedSource implements MarketSource {
  readonly name = 'simulated' as const;
  private readonly seed: number;
  private readonly tickIntervalMs: number;
  private readonly now: () => number;
  private readonly session: Session | undefined;
  readonly calendar: MarketCalendar;
  private readonly timers: IntervalTimers;
  private readonly states = new Map<string, SymbolState>();
  private readonly symbolList: readonly string[];
  private timer: unknown = undefined;
  private lastTickTime = -Infinity;
  private readonly continueFromHistory: boolean;
  private readonly tickMarketMs: number;
  private readonly subTicks: number;
  /** Cache of the trading day of the last step. */
  private openDay: TradingDay | undefined;
  private readonly generate: SimulatedSourceOptions['generate'];
  /** History results by `symbol|resolution|from|to`, least recently used first; in-flight ones are shared. */
  private readonly historyCache = new Map<string, { bars: Promise<Bar[]>; size: number }>();
  private historyCacheSize = 0;
  private readonly historyCacheBars: number;

  constructor(options: SimulatedSourceOptions = {}) {
    this.seed = options.seed ?? 42;
    this.tickIntervalMs = options.tickIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.session = options.session;
    this.calendar = options.calendar ?? 'always';
    this.timers = options.timers ?? NODE_TIMERS;
    this.continueFromHistory = options.continueFromHistory ?? false;
    this.tickMarketMs = options.tickMarketMs ?? this.tickIntervalMs;
    this.subTicks = Math.min(MAX_SUB_TICKS, Math.max(1, Math.ceil(this.tickMarketMs / SUB_TICK_MARKET_MS)));
    this.generate = options.generate;
    this.historyCacheBars = options.historyCacheBars ?? 1_000_000;
    this.symbolList = Object.freeze([...new Set(options.symbols ?? DEFAULT_SYMBOLS)]);
    const vol = options.volatility;
    for (const symbol of this.symbolList) {
      const startPrice = options.startPrices?.[symbol] ?? DEFAULT_START_PRICES[symbol] ?? FALLBACK_START_PRICE;
      const volatility =
        typeof vol === 'number' ? vol : (vol?.[symbol] ?? DEFAULT_VOLATILITY[symbol] ?? FALLBACK_VOLATILITY);
      const session = this.sessionOf(symbol, this.calendar);
      const state: SymbolState = {
        symbol,
        startPrice,
        volatility,
        baseVolume: Math.max(1, Math.round(100_000 / startPrice)),
        rng: new Random(deriveSeed(this.seed, symbol, 'live')),
        session,
        openDay: undefined,
        closedUntil: -Infinity,
        aggregator: new BarAggregator({ session }),
        logPrice: Math.log(startPrice),
        last: undefined,
        previousClose: startPrice,
      };
      state.aggregator.onBar('D', (bar, closed) => {
        if (closed) state.previousClose = bar.close;
      });
      this.states.set(symbol, state);
    }
  }

  /** Arms the tick timer; idempotent. */
  async start(): Promise<void> {
    if (this.timer !== undefined) return;
    if (this.continueFromHistory && this.lastTickTime === -Infinity) await this.joinHistory();
    const handle = this.timers.setInterval(() => this.step(1), this.tickIntervalMs);
    (handle as { unref?: () => void } | undefined)?.unref?.();
    this.timer = handle;
  }

  private async joinHistory(): Promise<void> {
    const t = this.now();
    const minute = Math.floor(t / 60_000) * 60_000;
    for (const state of this.states.values()) {
      // The last minute that traded: the one just before now on a 24/7 session; under an exchange calendar maybe
      // the last session's close (a long weekend with a holiday is under five days).
      const [recent] = (await this.history(state.symbol, '1', minute - 60_000, minute)).slice(-1);
      const last = recent ?? (await this.history(state.symbol, '1', minute - 5 * DAY_MS, minute)).at(-1);
      if (last) state.logPrice = Math.log(last.close);
      const days = await this.history(state.symbol, 'D', t - 7 * 86_400_000, t);
      const previous = days.filter((d) => d.time + 86_400_000 <= t).pop();
      if (previous) state.previousClose = previous.close;
    }
  }

  /** Clears the tick timer; idempotent. Subscriptions and state are kept (start() resumes). */
  async stop(): Promise<void> {
    if (this.timer === undefined) return;
    this.timers.clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Advances `n` ticks per symbol synchronously, stamped max(now(), last tick time); each tick is split into
   * sub-ticks spread over the market time since the previous tick (see the file comment). While a symbol's
   * session is closed it does not tick; forming bars whose period has ended are closed either way.
   */
  step(n = 1): void {
    const k = this.subTicks;
    for (let i = 0; i < n; i++) {
      const t = Math.max(this.now(), this.lastTickTime);
      const previous = this.lastTickTime;
      this.lastTickTime = t;
      const span = Number.isFinite(previous) ? t - previous : 0;
      for (const state of this.states.values()) {
        for (let j = 1; j <= k; j++) {
          const at = span > 0 ? previous + Math.round((span * j) / k) : t;
          if (this.isOpen(state, at)) this.tick(state, at, k);
          state.aggregator.closeUpTo(at);
        }
      }
    }
  }

  /** The session `symbol` trades in (under `calendar`, unless the source has one fixed session). */
  sessionOf(symbol: string, calendar: MarketCalendar = this.calendar): Session {
    return this.session ?? sessionFor(symbol, calendar);
  }

  symbols(): readonly string[] {
    return this.symbolList;
  }

  hasSymbol(symbol: string): boolean {
    return this.states.has(symbol);
  }

  /** For an unknown symbol the listener is never called (callers check hasSymbol first). */
  subscribeBars(symbol: string, resolution: Resolution, listener: BarListener): () => void {
    const state = this.states.get(symbol);
    return state ? state.aggregator.onBar(resolution, listener) : () => {};
  }

  currentBar(symbol: string, resolution: Resolution): Bar | undefined {
    return this.states.get(symbol)?.aggregator.current(resolution);
  }

  /** Undefined before the symbol's first tick. */
  quote(symbol: string): Quote | undefined {
    const state = this.states.get(symbol);
    if (!state?.last) return undefined;
    const { price, time } = state.last;
    const previous = state.previousClose;
    const change = round(price - previous, 8);
    return {
      symbol,
      price,
      change,
      change_pct: round((change / previous) * 100, 2),
      previous_close: previous,
      time,
      delayed: false,
    };
  }

  /**
   * Deterministic bars with from <= time < to, oldest first; [] for an unknown symbol or empty range.
   * `options.calendar` picks the sessions (default the source's calendar); the path within a trading day is the
   * same whichever calendar gives that day. Results are cached per (symbol, resolution, range, calendar) up to
   * historyCacheBars bars (least recently used dropped first; a result over a quarter of the cache is not kept), and
   * concurrent identical requests share one generation. Callers get their own array (they may sort or trim it); the
   * Bar objects are shared and must not be changed.
   */
  /** What history generation for `symbol` depends on (plain data, for a worker thread); undefined if unknown. */
  historyParams(symbol: string, calendar: MarketCalendar = this.calendar): HistoryParams | undefined {
    const state = this.states.get(symbol);
    if (!state) return undefined;
    return {
      seed: deriveSeed(this.seed, symbol, 'history'),
      startPrice: state.startPrice,
      volatility: state.volatility,
      baseVolume: state.baseVolume,
      session: this.sessionOf(symbol, calendar),
    };
  }

  async history(symbol: string, resolution: Resolution, from: number, to: number, options: HistoryOptions = {}): Promise<Bar[]> {
    const calendar = options.calendar ?? this.calendar;
    const params = this.historyParams(symbol, calendar);
    if (!params || !(from < to)) return [];
    const make = () => (this.generate ? this.generate(params, resolution, from, to) : Promise.resolve(generateHistory(params, resolution, from, to)));
    if (this.historyCacheBars <= 0) return make();
    const key = `${symbol}|${resolution}|${from}|${to}|${calendar}`;
    const hit = this.historyCache.get(key);
    if (hit) {
      this.historyCache.delete(key);
      this.historyCache.set(key, hit);
      return (await hit.bars).slice();
    }
    const entry = { bars: make(), size: 0 };
    this.historyCache.set(key, entry);
    let bars: Bar[];
    try {
      bars = await entry.bars;
    } catch (err) {
      if (this.historyCache.get(key) === entry) this.historyCache.delete(key);
      throw err;
    }
    if (this.historyCache.get(key) === entry) {
      if (bars.length > this.historyCacheBars / 4) {
        this.historyCache.delete(key);
      } else {
        entry.size = bars.length;
        this.historyCacheSize += bars.length;
        for (const [k, e] of this.historyCache) {
          if (this.historyCacheSize <= this.historyCacheBars) break;
          if (e.size === 0) continue; // in flight
          this.historyCache.delete(k);
          this.historyCacheSize -= e.size;
        }
      }
    }
    return bars.slice();
  }

  onHealth(_listener: SourceHealthListener): () => void {
    return () => {};
  }

  private isOpen(state: SymbolState, t: number): boolean {
    const day = state.openDay;
    if (day && day.start <= t && t < day.end) return true;
    if (t < state.closedUntil) return false;
    state.openDay = tradingDayAt(state.session, t);
    if (state.openDay === undefined) state.closedUntil = nextTradingDay(state.session, t).start;
    return state.openDay !== undefined;
  }

  /** One trade standing for tickMarketMs / parts of market time. */
  private tick(state: SymbolState, t: number, parts: number): void {
    const marketMs = this.tickMarketMs / parts;
    const sigma = state.volatility * Math.sqrt(marketMs / YEAR_MS);
    state.logPrice += sigma * state.rng.normal() - 0.5 * sigma * sigma;
    const price = roundPrice(Math.exp(state.logPrice));
    const perTick = (state.baseVolume * marketMs) / 60_000;
    const volume = Math.max(1, Math.round(perTick * Math.exp(0.5 * state.rng.normal())));
    state.last = { price, time: t };
    state.aggregator.add({ time: t, open: price, high: price, low: price, close: price, volume });
  }
}

// ---------------------------------------------------------------------------------------------------------
// History generation (pure functions of their parameters).

/** Everything history generation depends on: plain data (it is posted to worker threads). */
export interface HistoryParams {
  seed: number;
  startPrice: number;
  volatility: number;
  baseVolume: number;
  session: Session;
}

/** HistoryParams as posted to a worker thread: the session as plain data (its calendar by name). */
export type WireHistoryParams = Omit<HistoryParams, 'session'> & { session: WireSession };

export function historyParamsToWire(params: HistoryParams): WireHistoryParams {
  return { ...params, session: sessionToWire(params.session) };
}

export function historyParamsFromWire(params: WireHistoryParams): HistoryParams {
  return { ...params, session: sessionFromWire(params.session) };
}

const BLOCK_DAYS = 256;

export function generateHistory(p: HistoryParams, res: Resolution, from: number, to: number): Bar[] {
  const out: Bar[] = [];
  const minutesPerBar = isMinuteResolution(res) ? Number(res) : Infinity;
  // A trading day's local date is within one day of its UTC instants.
  const firstDay = Math.floor(from / DAY_MS) - 1;
  const lastDay = Math.floor((to - 1) / DAY_MS) + 1;
  for (let dn = firstDay; dn <= lastDay; dn++) {
    const day = tradingDayOn(p.session, dn);
    if (!day) continue;
    if (res === 'D' ? day.time < from || day.time >= to : day.end <= from || day.start >= to) continue;
    generateDay(p, day, minutesPerBar, from, to, out);
  }
  return out;
}

/**
 * Appends the bars of one trading day, aggregating its 1-minute path into buckets of `minutesPerBar`
 * (Infinity = one daily bar). Prices are rounded to cents when a bar is emitted: rounding is monotone, so
 * an aggregate of raw minutes equals the aggregate of rounded 1-minute bars exactly. Volumes are whole
 * per minute for the same reason.
 */
function generateDay(p: HistoryParams, day: TradingDay, minutesPerBar: number, from: number, to: number, out: Bar[]): void {
  const dn = day.time / DAY_MS;
  const sigmaDay = p.volatility / Math.sqrt(365);
  const minutes = Math.round((day.end - day.start) / 60_000);
  const sigmaMin = sigmaDay / Math.sqrt(minutes);
  // Wicks beyond open/close: uniform in [0, sigmaMin) (1 + w ~ exp(w) for these tiny w).
  const wick = sigmaMin;
  const target = dayLevel(p, dn + 1, sigmaDay);
  const rng = new Random(deriveSeed(p.seed, 'day', dn));
  const perBar = Math.min(minutesPerBar, minutes);

  let x = dayLevel(p, dn, sigmaDay);
  let open = Math.exp(x);
  for (let first = 0; first < minutes; first += perBar) {
    const last = Math.min(first + perBar, minutes);
    const barOpen = open;
    let high = 0;
    let low = Infinity;
    let volume = 0;
    for (let i = first; i < last; i++) {
      const remaining = minutes - i;
      x += (target - x) / remaining + sigmaMin * Math.sqrt((remaining - 1) / remaining) * rng.normal();
      const close = Math.exp(x);
      const h = (open > close ? open : close) * (1 + wick * rng.next());
      const l = (open < close ? open : close) / (1 + wick * rng.next());
      if (h > high) high = h;
      if (l < low) low = l;
      volume += Math.max(1, Math.round(p.baseVolume * (0.5 + rng.next())));
      open = close;
    }
    const time = minutesPerBar === Infinity ? day.time : day.start + first * 60_000;
    if (time >= from && time < to) {
      out.push({ time, open: roundPrice(barOpen), high: roundPrice(high), low: roundPrice(low), close: roundPrice(open), volume });
    }
  }
}

/**
 * Log price level at the start of calendar day `dn`: anchors every BLOCK_DAYS days drawn around the start
 * price (mean reversion), and Brownian-bridge midpoint displacement in between, each node seeded by its
 * position so any day is computed without the others.
 */
function dayLevel(p: HistoryParams, dn: number, sigmaDay: number): number {
  const k = Math.floor(dn / BLOCK_DAYS);
  const r = dn - k * BLOCK_DAYS;
  const anchorSigma = 0.5 * p.volatility * Math.sqrt(BLOCK_DAYS / 365);
  const anchor = (block: number): number =>
    Math.log(p.startPrice) + anchorSigma * new Random(deriveSeed(p.seed, 'anchor', block)).normal();
  let lo = 0;
  let hi = BLOCK_DAYS;
  let vLo = anchor(k);
  if (r === 0) return vLo;
  let vHi = anchor(k + 1);
  for (;;) {
    const mid = (lo + hi) / 2;
    const vMid = (vLo + vHi) / 2 + (sigmaDay * Math.sqrt(hi - lo)) / 2 * new Random(deriveSeed(p.seed, 'node', k, mid)).normal();
    if (r === mid) return vMid;
    if (r < mid) {
      hi = mid;
      vHi = vMid;
    } else {
      lo = mid;
      vLo = vMid;
    }
  }
}

function roundPrice(x: number): number {
  return Math.max(0.01, Math.round(x * 100) / 100);
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
