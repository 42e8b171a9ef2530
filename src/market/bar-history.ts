/**
 * Bar history for charts (`bars.history`, `/udf/history`): windows of bars that line up exactly with the live
 * `bars:<SYMBOL>:<RES>` topic.
 *
 * Contract of an answer:
 * - bars are in ascending `time`, on the live topic's bucket boundaries (resolution.ts; both the source's history
 *   and its live aggregator bucket that way), never two with the same `time`;
 * - the part of the window the live feed has covered comes from the live feed itself: closed bars it published
 *   (recorded here, when `recordLive`) and, last, the forming bar exactly as the topic last published it
 *   (`source.currentBar`). Older bars come from `source.history` (the simulated market's deterministic path, or IB
 *   historical data through the IB pacing queue). The seam is the first live bucket: history covers
 *   `time < liveStart`, the live feed `time >= liveStart`;
 * - at most `maxBars` bars; a wider window gets its newest `maxBars` and `truncated: true`;
 * - `noData` when no bar is in the window, with `nextTime` = the newest bar before it when one exists.
 *
 * Work per request is bounded: history is read backwards from `to` in at most `maxChunks` source requests (each one a
 * span sized from the bars still wanted, doubling to cross closed sessions), never over the whole window at once.
 */
import type { Bar, MarketSource, Resolution } from './source.ts';
import { RESOLUTIONS } from './source.ts';
import { DAY_MS } from './session.ts';

export const MAX_HISTORY_BARS = 5000;

export interface HistoryQuery {
  symbol: string;
  resolution: Resolution;
  /** Inclusive lower bound (ms); required unless countBack is given. */
  from?: number;
  /** Exclusive upper bound (ms). */
  to: number;
  /** Exactly this many bars ending before `to` (priority over `from`). */
  countBack?: number;
}

export interface HistoryAnswer {
  bars: Bar[];
  noData: boolean;
  nextTime?: number;
  truncated?: boolean;
}

export type HistoryErrorCode = 'INVALID_MESSAGE' | 'UNKNOWN_SYMBOL' | 'HISTORY_UNAVAILABLE' | 'UNAVAILABLE';

/** A refused or failed history request, as a value (house rule 6). */
export type HistoryOutcome = { ok: true; answer: HistoryAnswer } | { ok: false; code: HistoryErrorCode; message: string; field?: string };

/** What `bars.history` and `/udf/history` ask: local on a producer, over HTTP to the producer on an edge. */
export interface HistoryProvider {
  /** `token`: the caller's, for a provider that asks another node on its behalf (an edge asking the producer). */
  query(q: HistoryQuery, opts?: { token?: string }): Promise<HistoryOutcome>;
}

export interface BarHistoryOptions {
  source: Pick<MarketSource, 'hasSymbol' | 'symbols' | 'history' | 'currentBar' | 'subscribeBars'>;
  /** Market clock (default Date.now); bounds the live part when no bar has formed yet. */
  now?: () => number;
  maxBars?: number;
  /** Nothing before this instant exists (the start of the source's data). Default 0. */
  earliest?: number;
  /** Source requests per query at most. Default 8 (IB: keep it small, each is a paced historical request). */
  maxChunks?: number;
  /**
   * Record the live feed's closed bars of every symbol and resolution (bounded ring per series) so history of the
   * live period is what the live topic published. For the simulated market, whose `history()` is an independent
   * path. IB's history of the live period is IB's own record of it, so the IB source leaves this off.
   */
  recordLive?: boolean;
  /** Closed bars kept per (symbol, resolution) when recording. Default 20 000. */
  recordLimit?: number;
}

interface Series {
  /** Time of the first live bar seen (the bucket the live feed started in). */
  firstLive: number | undefined;
  closed: Bar[];
  /** True once the ring dropped old bars: history then covers up to closed[0].time. */
  evicted: boolean;
}

export function barMs(res: Resolution): number {
  return res === 'D' ? DAY_MS : Number(res) * 60_000;
}

function sourceErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export class BarHistory implements HistoryProvider {
  private readonly source: BarHistoryOptions['source'];
  private readonly now: () => number;
  readonly maxBars: number;
  readonly earliest: number;
  private readonly maxChunks: number;
  private readonly recordLive: boolean;
  private readonly recordLimit: number;
  private readonly series = new Map<string, Series>();
  private readonly offs: (() => void)[] = [];

  constructor(options: BarHistoryOptions) {
    this.source = options.source;
    this.now = options.now ?? Date.now;
    this.maxBars = options.maxBars ?? MAX_HISTORY_BARS;
    this.earliest = options.earliest ?? 0;
    this.maxChunks = options.maxChunks ?? 8;
    this.recordLive = options.recordLive ?? false;
    this.recordLimit = options.recordLimit ?? 20_000;
  }

  /** Starts recording the live feed (when `recordLive`); idempotent. */
  start(): void {
    if (!this.recordLive || this.offs.length) return;
    for (const symbol of this.source.symbols()) {
      for (const res of RESOLUTIONS) {
        const s: Series = { firstLive: undefined, closed: [], evicted: false };
        this.series.set(`${symbol}|${res}`, s);
        this.offs.push(this.source.subscribeBars(symbol, res, (bar, closed) => {
          s.firstLive ??= bar.time;
          if (!closed) return;
          const last = s.closed[s.closed.length - 1];
          if (last && last.time >= bar.time) return; // closed exactly once per bar; never out of order
          s.closed.push({ time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume });
          if (s.closed.length > this.recordLimit) {
            s.closed.splice(0, s.closed.length - this.recordLimit);
            s.evicted = true;
          }
        }));
      }
    }
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  async query(q: HistoryQuery): Promise<HistoryOutcome> {
    const { symbol, resolution: res, to } = q;
    if (q.countBack === undefined && q.from === undefined) {
      return { ok: false, code: 'INVALID_MESSAGE', message: 'give from (a window) or countBack (bars before to)', field: '/payload/from' };
    }
    if (q.countBack !== undefined && !(Number.isInteger(q.countBack) && q.countBack >= 1 && q.countBack <= this.maxBars)) {
      return { ok: false, code: 'INVALID_MESSAGE', message: `countBack must be 1-${this.maxBars}`, field: '/payload/countBack' };
    }
    if (q.countBack === undefined && q.from! > to) {
      return { ok: false, code: 'INVALID_MESSAGE', message: `from (${q.from}) is after to (${to})`, field: '/payload/from' };
    }
    if (!this.source.hasSymbol(symbol)) {
      return { ok: false, code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${symbol}; this server serves ${this.source.symbols().join(', ')}` };
    }
    try {
      return { ok: true, answer: await this.read(q) };
    } catch (err) {
      const code = sourceErrorCode(err);
      if (code === 'UNKNOWN_SYMBOL') return { ok: false, code: 'UNKNOWN_SYMBOL', message: (err as Error).message };
      return { ok: false, code: 'HISTORY_UNAVAILABLE', message: `history of ${symbol} is not available now (${code ?? 'error'}: ${(err as Error)?.message ?? String(err)}); retry later` };
    }
  }

  private async read(q: HistoryQuery): Promise<HistoryAnswer> {
    const { symbol, resolution: res, to } = q;
    const lower = q.countBack !== undefined ? this.earliest : Math.max(q.from!, this.earliest);
    const want = q.countBack ?? this.maxBars;
    // One more than allowed tells a window that holds more (truncated) from one that holds exactly maxBars.
    const need = q.countBack !== undefined ? want : want + 1;
    const { liveStart, live } = this.livePart(symbol, res);
    let bars = live.filter((b) => b.time >= lower && b.time < to);
    let end = Math.min(to, liveStart);
    // At least four days, so a first chunk crosses a weekend or a holiday; doubling from there.
    let span = Math.max(4 * DAY_MS, barMs(res) * (need - bars.length + 1));
    for (let i = 0; i < this.maxChunks && bars.length < need && end > lower; i++) {
      const start = Math.max(lower, end - span);
      const got = await this.source.history(symbol, res, start, end);
      bars = got.filter((b) => b.time >= start && b.time < end).concat(bars);
      end = start;
      span *= 2;
    }
    const truncated = bars.length > want;
    if (truncated) bars = bars.slice(-want);
    if (bars.length > 0) return { bars, noData: false, ...(truncated && q.countBack === undefined ? { truncated: true } : {}) };
    const liveBefore = live.filter((b) => b.time < lower).at(-1);
    const nextTime = q.countBack !== undefined ? undefined : liveBefore ? liveBefore.time : await this.newestBefore(symbol, res, Math.min(lower, liveStart));
    return { bars: [], noData: true, ...(nextTime !== undefined ? { nextTime } : {}) };
  }

  /** The newest bar before `t` (looking back a bounded span), for noData's nextTime. */
  private async newestBefore(symbol: string, res: Resolution, t: number): Promise<number | undefined> {
    let end = t;
    let span = barMs(res) * (res === 'D' ? 400 : 7 * 1440 / Number(res));
    for (let i = 0; i < 2 && end > this.earliest; i++) {
      const start = Math.max(this.earliest, end - span);
      const got = (await this.source.history(symbol, res, start, end)).filter((b) => b.time < end);
      if (got.length) return got[got.length - 1]!.time;
      end = start;
      span *= 4;
    }
    return undefined;
  }

  /**
   * The live feed's part of a series: recorded closed bars and the forming bar (when recording), or just the forming
   * bar. `liveStart`: history covers times before it.
   */
  private livePart(symbol: string, res: Resolution): { liveStart: number; live: Bar[] } {
    const current = this.source.currentBar(symbol, res);
    const s = this.series.get(`${symbol}|${res}`);
    const live = s ? [...s.closed] : [];
    if (current && (live.length === 0 || live[live.length - 1]!.time < current.time)) live.push(current);
    else if (current && live[live.length - 1]!.time === current.time) live[live.length - 1] = current;
    const fallback = current?.time ?? this.now();
    const liveStart = s && s.firstLive !== undefined ? (s.evicted && s.closed.length ? s.closed[0]!.time : s.firstLive) : fallback;
    // A bar object from the source may carry more than the six fields; answers carry exactly them.
    return { liveStart: Math.min(liveStart, fallback), live: live.map((b) => ({ time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume })) };
  }
}
