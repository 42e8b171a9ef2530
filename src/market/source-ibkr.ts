/**
 * IbkrSource: the MarketSource over Interactive Brokers TWS / IB Gateway (@stoqey/ib IBApi).
 *
 * Upstream, per symbol:
 * - ONE realtime-bar subscription (reqRealTimeBars: 5-second bars, TRADES, useRTH false — IB offers no
 *   other bar size), opened by the first bar listener of any resolution and cancelled when the last one
 *   leaves. Its bars feed ONE BarAggregator per symbol, which builds every resolution (session: US_EQUITY_SESSION
 *   for stocks, ALWAYS_OPEN_SESSION for crypto). After each 5-s bar [t, t+5 s) the aggregator closes every bar
 *   that ends by t+5 s, so bars close on data time, not on a wall clock; a timer (`closeIntervalMs`) also calls
 *   closeUpTo(now()) so bars close when the stream goes quiet.
 * - Backfill, on the FIRST subscribe of a symbol: today's completed 1-minute bars (through the pacing queue)
 *   seed the forming bar of every resolution. Rule: history covers [session start, cutoff) where cutoff =
 *   now() floored to the minute; live 5-s bars are buffered while the backfill is in flight and then replayed
 *   from `cutoff` on (older ones are dropped: the history already counts them). Trades between the cutoff and
 *   the first live bar of the subscription are not double-counted; at most the part of the cutoff minute before
 *   the subscription started is missing. A failed / timed-out backfill leaves the bars live-only.
 * - Quotes: reqMktData for every configured symbol from start(); price = last trade (tick 4, or 68 delayed),
 *   previous_close = close (tick 9, or 75 delayed); `quote()` is undefined until both are known.
 *   Delayed data: on 354 / 10089 / 10090 / 10168 (live not permitted) the source asks for market data type 3
 *   (delayed) once per connection, re-requests that symbol and marks its quotes `delayed: true`; 10167
 *   ("displaying delayed market data"), MARKET_DATA_TYPE 3/4 and delayed tick types also mark it delayed.
 * - history(): reqHistoricalData (TRADES, RTH only for stocks, formatDate 2) through the pacing queue. Bars are
 *   re-bucketed to the session alignment of resolution.ts (IB's hourly bars start on clock hours; 60-minute
 *   bars here start at the 09:30 open, so '60' is built from IB's 30-minute bars). Identical requests within
 *   `historyCacheMs` (default 15 s, IB's "identical request" window) are answered from one upstream request.
 *   Failures reject with a SourceError: UNKNOWN_SYMBOL, HISTORY_TIMEOUT, HISTORY_PACING, HISTORY_FAILED.
 * - Reconnect: on every (re)connection the source re-issues everything: market data type, every quote line,
 *   every realtime-bar subscription that has listeners, every history request still in flight.
 * - Errors: 200 (no security definition) marks the symbol unknown (hasSymbol false from then on) and emits a
 *   health event; nothing throws to the process. Health events: those of the connection plus these.
 *
 * Contracts (symbol → IB contract, `defaultContractFor`): `BTC-USD`-style symbols (`<COIN>-USD`) are crypto:
 * secType CRYPTO on PAXOS, currency USD, always-open session, history with AGGTRADES (IB's crypto history
 * type since server version 168) — the crypto mapping is not verified against a real TWS. Everything else is a US stock: STK / SMART / USD,
 * with a class-share dot written as IB's space (`BRK.B` → `BRK B`). Override with `contractFor`.
 */
import { EventName, SecType, type Contract } from '@stoqey/ib';
import type { Bar, BarListener, MarketSource, Quote, Resolution, SourceHealthListener } from './source.ts';
import { BarAggregator } from './aggregator.ts';
import { bucketStart } from './resolution.ts';
import { ALWAYS_OPEN_SESSION, DAY_MS, US_EQUITY_SESSION, tradingDayAt, type Session } from './session.ts';
import { IbConnection, LISTENER_ERROR_CODE, logHealthListenerError, type IbConnectionOptions, type IbHealthEvent, type IbRequestError } from './ib-connection.ts';
import { SYSTEM_CLOCK, type PacingClock } from './ib-pacing.ts';
import { bridge } from '../util/bridge.ts';
import { Listeners } from '../util/listeners.ts';

export type SourceErrorCode = 'UNKNOWN_SYMBOL' | 'HISTORY_TIMEOUT' | 'HISTORY_PACING' | 'HISTORY_FAILED' | 'SOURCE_STOPPED';

/** A refused or failed source request; `code` is stable. */
export class SourceError extends Error {
  constructor(
    readonly code: SourceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

export interface IbkrSymbolSpec {
  contract: Contract;
  session: Session;
  /** whatToShow for historical requests (TRADES; AGGTRADES for crypto) */
  historyWhatToShow: string;
  /** whatToShow for the 5-s realtime bars (TRADES) */
  realtimeWhatToShow: string;
  /** useRTH for historical requests */
  historyRth: boolean;
}

const CRYPTO = /^([A-Z0-9]+)-USD$/;

/** Default symbol mapping (see the file comment). */
export function defaultContractFor(symbol: string): IbkrSymbolSpec {
  const crypto = CRYPTO.exec(symbol);
  if (crypto) {
    return {
      contract: { symbol: crypto[1], secType: SecType.CRYPTO, exchange: 'PAXOS', currency: 'USD' },
      session: ALWAYS_OPEN_SESSION,
      historyWhatToShow: 'AGGTRADES',
      realtimeWhatToShow: 'TRADES',
      historyRth: false,
    };
  }
  return {
    contract: { symbol: symbol.replace('.', ' '), secType: SecType.STK, exchange: 'SMART', currency: 'USD' },
    session: US_EQUITY_SESSION,
    historyWhatToShow: 'TRADES',
    realtimeWhatToShow: 'TRADES',
    historyRth: true,
  };
}

export interface IbkrSourceOptions {
  symbols: readonly string[];
  /** A shared connection (not stopped by this source), or options for one this source owns. */
  connection: IbConnection | IbConnectionOptions;
  /** Clock for quotes and the backfill cutoff; default Date.now. */
  now?: () => number;
  /** Timers for timeouts and the close timer; default the system clock. */
  timers?: PacingClock;
  contractFor?: (symbol: string) => IbkrSymbolSpec;
  /** Default 30 000. */
  historyTimeoutMs?: number;
  /** Identical history requests within this window share one upstream request. Default 15 000. */
  historyCacheMs?: number;
  /** Interval of closeUpTo(now()); 0 disables. Default 1000. */
  closeIntervalMs?: number;
  /** One of this source's health listeners threw (the others still ran). Default: console.error. */
  onHealthListenerError?: (err: unknown) => void;
}

/** Bar sizes requested per resolution, and how bars are re-bucketed. */
const HISTORY_BAR_SIZE: Record<Resolution, string> = {
  '1': '1 min',
  '5': '5 mins',
  '15': '15 mins',
  '30': '30 mins',
  '60': '30 mins',
  D: '1 day',
};

interface HistoryParams {
  symbol: string;
  endDateTime: string;
  duration: string;
  barSize: string;
  whatToShow: string;
  useRTH: boolean;
}

interface Inflight {
  params: HistoryParams;
  key: string;
  reqId: number;
  bars: Bar[];
  daily: boolean;
  resolve: (bars: Bar[]) => void;
  reject: (e: SourceError) => void;
  timer: unknown;
  cancelSend: () => void;
}

interface Feed {
  readonly symbol: string;
  readonly spec: IbkrSymbolSpec;
  readonly aggregator: BarAggregator;
  listeners: number;
  rtbReqId?: number;
  mktReqId?: number;
  backfill: 'never' | 'pending' | 'done';
  buffer: Bar[];
  cutoff: number;
  delayed: boolean;
  last?: number;
  previousClose?: number;
  quoteTime: number;
}

export class IbkrSource implements MarketSource {
  readonly name = 'ibkr' as const;
  readonly connection: IbConnection;
  private readonly ownsConnection: boolean;
  private readonly configured: readonly string[];
  private readonly feeds = new Map<string, Feed>();
  private readonly rejected = new Set<string>();
  private readonly byReqId = new Map<number, { symbol: string; kind: 'rtb' | 'mkt' }>();
  private readonly inflight = new Map<number, Inflight>();
  private readonly historyCache = new Map<string, { at: number; promise: Promise<Bar[]> }>();
  private readonly healthListeners: Listeners<IbHealthEvent>;
  private readonly detach: (() => void)[] = [];
  private readonly now: () => number;
  private readonly timers: PacingClock;
  private readonly historyTimeoutMs: number;
  private readonly historyCacheMs: number;
  private readonly closeIntervalMs: number;
  private closeTimer: unknown = undefined;
  private delayedRequested = false;
  private useDelayed = false;
  private running = false;
  /**
   * Completes a backfill when its history settles. Fire-and-forget through the bridge (house rule 11): a failed
   * fetch leaves the bars live-only, and anything that throws while seeding becomes a health event.
   */
  private readonly backfilled = bridge(
    async ({ feed, minutes, start, cutoff }: { feed: Feed; minutes: Promise<Bar[]>; start: number; cutoff: number }) => {
      let bars: Bar[] = [];
      try {
        bars = (await minutes).filter((b) => b.time >= start && b.time < cutoff);
      } catch (error) {
        this.health({ ok: false, code: LISTENER_ERROR_CODE, message: `${feed.symbol}: backfill failed (${(error as SourceError).code}); bars are live-only` });
      }
      this.completeBackfill(feed, bars);
    },
    { onError: (err) => this.health({ ok: false, code: LISTENER_ERROR_CODE, message: `backfill could not be applied: ${String(err)}` }) },
  );

  constructor(options: IbkrSourceOptions) {
    this.ownsConnection = !(options.connection instanceof IbConnection);
    this.connection = options.connection instanceof IbConnection ? options.connection : new IbConnection(options.connection);
    this.configured = Object.freeze([...new Set(options.symbols)]);
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? SYSTEM_CLOCK;
    this.historyTimeoutMs = options.historyTimeoutMs ?? 30_000;
    this.historyCacheMs = options.historyCacheMs ?? 15_000;
    this.closeIntervalMs = options.closeIntervalMs ?? 1000;
    this.healthListeners = new Listeners<IbHealthEvent>(options.onHealthListenerError ?? logHealthListenerError('IBKR source'));
    const contractFor = options.contractFor ?? defaultContractFor;
    for (const symbol of this.configured) {
      const spec = contractFor(symbol);
      const aggregator = new BarAggregator({
        session: spec.session,
        onListenerError: (e, res) => this.health({ ok: false, code: LISTENER_ERROR_CODE, message: `${symbol} ${res} listener threw: ${String(e)}` }),
      });
      this.feeds.set(symbol, { symbol, spec, aggregator, listeners: 0, backfill: 'never', buffer: [], cutoff: 0, delayed: false, quoteTime: 0 });
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const c = this.connection;
    this.detach.push(
      c.onHealth((e) => this.health(e)),
      c.onReady(() => this.resubscribeAll()),
      c.onLost(() => {
        this.delayedRequested = false;
      }),
      c.onRequestError((e) => this.onRequestError(e)),
      c.on(EventName.realtimeBar, (reqId: number, time: number, open: number, high: number, low: number, close: number, volume: number) =>
        this.onRealtimeBar(reqId, { time: time * 1000, open, high, low, close, volume: volume ?? 0 }),
      ),
      c.on(EventName.tickPrice, (reqId: number, tickType: number, price: number) => this.onTickPrice(reqId, tickType, price)),
      c.on(EventName.marketDataType, (reqId: number, type: number) => {
        const feed = this.feedOf(reqId, 'mkt');
        if (feed && (type === 3 || type === 4)) feed.delayed = true;
      }),
      c.on(EventName.historicalData, (reqId: number, date: string, open: number, high: number, low: number, close: number, volume: number) =>
        this.onHistoricalData(reqId, date, open, high, low, close, volume),
      ),
    );
    this.armCloseTimer();
    if (c.ready) this.resubscribeAll();
    else await c.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.closeTimer !== undefined) this.timers.clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    if (this.connection.ready && !this.ownsConnection) {
      for (const [reqId, entry] of this.byReqId) {
        if (entry.kind === 'rtb') this.connection.api.cancelRealTimeBars(reqId);
        else this.connection.api.cancelMktData(reqId);
      }
    }
    this.byReqId.clear();
    for (const f of this.inflight.values()) this.finish(f, new SourceError('SOURCE_STOPPED', 'source stopped'));
    for (const off of this.detach.splice(0)) off();
    if (this.ownsConnection) await this.connection.stop();
  }

  symbols(): readonly string[] {
    return this.configured.filter((s) => !this.rejected.has(s));
  }

  hasSymbol(symbol: string): boolean {
    return this.feeds.has(symbol) && !this.rejected.has(symbol);
  }

  subscribeBars(symbol: string, resolution: Resolution, listener: BarListener): () => void {
    const feed = this.feeds.get(symbol);
    if (!feed || this.rejected.has(symbol)) return () => undefined;
    const off = feed.aggregator.onBar(resolution, listener);
    feed.listeners++;
    if (feed.listeners === 1) this.openBars(feed);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      off();
      feed.listeners--;
      if (feed.listeners === 0) this.closeBars(feed);
    };
  }

  currentBar(symbol: string, resolution: Resolution): Bar | undefined {
    return this.feeds.get(symbol)?.aggregator.current(resolution);
  }

  quote(symbol: string): Quote | undefined {
    const f = this.feeds.get(symbol);
    if (!f || f.last === undefined || f.previousClose === undefined || f.previousClose <= 0) return undefined;
    const change = f.last - f.previousClose;
    return {
      symbol,
      price: f.last,
      change,
      change_pct: Math.round((change / f.previousClose) * 100 * 100) / 100,
      previous_close: f.previousClose,
      time: f.quoteTime,
      delayed: f.delayed,
    };
  }

  async history(symbol: string, resolution: Resolution, from: number, to: number): Promise<Bar[]> {
    const feed = this.feeds.get(symbol);
    if (!feed || this.rejected.has(symbol)) throw new SourceError('UNKNOWN_SYMBOL', `${symbol} is not served by this source`);
    if (!(from < to)) return [];
    const daily = resolution === 'D';
    const params: HistoryParams = {
      symbol,
      endDateTime: formatIbDateTime(to),
      duration: durationFor(from, to, daily),
      barSize: HISTORY_BAR_SIZE[resolution],
      whatToShow: feed.spec.historyWhatToShow,
      useRTH: feed.spec.historyRth,
    };
    const raw = await this.fetchHistory(feed, params, daily);
    return rebucket(raw, resolution, feed.spec.session).filter((b) => b.time >= from && b.time < to);
  }

  /** Listeners are isolated: a throwing one goes to `onHealthListenerError` and the others still run. */
  onHealth(listener: SourceHealthListener): () => void {
    return this.healthListeners.add(listener);
  }

  // ---- upstream subscriptions ------------------------------------------------------------------------

  private resubscribeAll(): void {
    if (!this.running) return;
    this.byReqId.clear();
    this.delayedRequested = false;
    if (this.useDelayed) this.requestDelayedType();
    for (const feed of this.feeds.values()) {
      if (this.rejected.has(feed.symbol)) continue;
      feed.rtbReqId = undefined;
      feed.mktReqId = undefined;
      this.requestQuotes(feed);
      if (feed.listeners > 0) this.requestBars(feed);
    }
    for (const f of [...this.inflight.values()]) this.sendHistory(f);
    for (const feed of this.feeds.values()) {
      if (feed.listeners > 0 && feed.backfill === 'never' && !this.rejected.has(feed.symbol)) this.startBackfill(feed);
    }
  }

  private openBars(feed: Feed): void {
    // before start() (buildApp subscribes its liveness listener then) the backfill waits for resubscribeAll
    if (feed.backfill === 'never' && this.running) this.startBackfill(feed);
    if (this.running && this.connection.ready) this.requestBars(feed);
  }

  private closeBars(feed: Feed): void {
    const id = feed.rtbReqId;
    feed.rtbReqId = undefined;
    if (id === undefined) return;
    this.byReqId.delete(id);
    if (this.connection.ready) this.connection.request({ kind: 'message', send: () => this.connection.api.cancelRealTimeBars(id) });
  }

  private requestBars(feed: Feed): void {
    const id = this.connection.allocateRequestId();
    feed.rtbReqId = id;
    this.byReqId.set(id, { symbol: feed.symbol, kind: 'rtb' });
    const contract = feed.spec.contract;
    this.connection.request({
      kind: 'message',
      send: () => this.connection.api.reqRealTimeBars(id, contract, 5, feed.spec.realtimeWhatToShow as never, false),
    });
  }

  private requestQuotes(feed: Feed): void {
    const id = this.connection.allocateRequestId();
    feed.mktReqId = id;
    this.byReqId.set(id, { symbol: feed.symbol, kind: 'mkt' });
    const contract = feed.spec.contract;
    this.connection.request({ kind: 'message', send: () => this.connection.api.reqMktData(id, contract, '', false, false) });
  }

  private requestDelayedType(): void {
    if (this.delayedRequested) return;
    this.delayedRequested = true;
    this.connection.request({ kind: 'message', send: () => this.connection.api.reqMarketDataType(3) });
  }

  private feedOf(reqId: number, kind: 'rtb' | 'mkt'): Feed | undefined {
    const entry = this.byReqId.get(reqId);
    return entry && entry.kind === kind ? this.feeds.get(entry.symbol) : undefined;
  }

  // ---- live data ----------------------------------------------------------------------------------

  private onRealtimeBar(reqId: number, bar: Bar): void {
    const feed = this.feedOf(reqId, 'rtb');
    if (!feed || feed.rtbReqId !== reqId) return;
    if (feed.backfill === 'pending') {
      feed.buffer.push(bar);
      return;
    }
    this.feedBar(feed, bar);
  }

  private feedBar(feed: Feed, bar: Bar): void {
    feed.aggregator.add(bar);
    feed.aggregator.closeUpTo(bar.time + 5000);
  }

  private onTickPrice(reqId: number, tickType: number, price: number): void {
    const feed = this.feedOf(reqId, 'mkt');
    if (!feed || !(price > 0)) return;
    if (tickType === 68 || tickType === 75) feed.delayed = true;
    if (tickType === 4 || tickType === 68) {
      // LAST / DELAYED_LAST
      feed.last = price;
      feed.quoteTime = this.now();
    } else if (tickType === 9 || tickType === 75) {
      // CLOSE / DELAYED_CLOSE: the previous session's close
      feed.previousClose = price;
      feed.quoteTime = Math.max(feed.quoteTime, this.now());
    }
  }

  private onRequestError(e: IbRequestError): void {
    const hist = this.inflight.get(e.reqId);
    if (hist) {
      if (e.code === 200) return this.finish(hist, new SourceError('UNKNOWN_SYMBOL', `${hist.params.symbol}: ${e.message}`));
      if (e.cls === 'pacing') return this.finish(hist, new SourceError('HISTORY_PACING', e.message));
      if (e.cls === 'historical-error' || e.code < 2000) return this.finish(hist, new SourceError('HISTORY_FAILED', `${e.code}: ${e.message}`));
      return;
    }
    const entry = this.byReqId.get(e.reqId);
    if (!entry) return;
    const feed = this.feeds.get(entry.symbol);
    if (!feed) return;
    switch (e.cls) {
      case 'unknown-symbol':
        this.rejectSymbol(feed, e);
        return;
      case 'not-subscribed':
        if (entry.kind !== 'mkt') {
          this.health({ ok: false, code: e.code, message: `${feed.symbol}: realtime bars not permitted: ${e.message}` });
          return;
        }
        if (feed.delayed && this.useDelayed) {
          this.health({ ok: false, code: e.code, message: `${feed.symbol}: no market data, not even delayed: ${e.message}` });
          return;
        }
        feed.delayed = true;
        this.useDelayed = true;
        this.health({ ok: true, code: e.code, message: `${feed.symbol}: live data not permitted, switching to delayed` });
        this.byReqId.delete(e.reqId);
        this.requestDelayedType();
        this.connection.request({ kind: 'message', send: () => this.connection.api.cancelMktData(e.reqId) });
        this.requestQuotes(feed);
        return;
      case 'delayed-data':
        if (!feed.delayed) this.health({ ok: true, code: e.code, message: `${feed.symbol}: delayed market data` });
        feed.delayed = true;
        return;
      case 'pacing':
        // already a health event (connection); nothing to retry for a subscription
        return;
      default:
        this.health({ ok: false, code: e.code, message: `${feed.symbol}: ${e.message}` });
    }
  }

  private rejectSymbol(feed: Feed, e: IbRequestError): void {
    if (this.rejected.has(feed.symbol)) return;
    this.rejected.add(feed.symbol);
    for (const [id, entry] of [...this.byReqId]) if (entry.symbol === feed.symbol) this.byReqId.delete(id);
    feed.rtbReqId = undefined;
    feed.mktReqId = undefined;
    this.health({ ok: false, code: e.code, message: `${feed.symbol}: unknown symbol (no security definition)` });
  }

  // ---- backfill and history --------------------------------------------------------------------------

  private startBackfill(feed: Feed): void {
    const now = this.now();
    const day = tradingDayAt(feed.spec.session, now);
    const cutoff = Math.floor(now / 60_000) * 60_000;
    if (!day || cutoff <= day.start) {
      feed.backfill = 'done';
      return;
    }
    feed.backfill = 'pending';
    feed.cutoff = cutoff;
    const seconds = Math.min(86_400, Math.ceil((cutoff - day.start) / 1000));
    const params: HistoryParams = {
      symbol: feed.symbol,
      endDateTime: formatIbDateTime(cutoff),
      duration: `${seconds} S`,
      barSize: '1 min',
      whatToShow: feed.spec.historyWhatToShow,
      useRTH: feed.spec.historyRth,
    };
    this.backfilled({ feed, minutes: this.fetchHistory(feed, params, false), start: day.start, cutoff });
  }

  private completeBackfill(feed: Feed, minutes: Bar[]): void {
    if (feed.backfill !== 'pending') return;
    feed.backfill = 'done';
    const cutoff = feed.cutoff;
    for (const res of ['D', '60', '30', '15', '5', '1'] as Resolution[]) {
      const start = bucketStart(cutoff - 1, res, feed.spec.session);
      if (start === undefined) continue;
      // the forming bucket at the cutoff: only when it is still open at the cutoff
      const formingStart = bucketStart(cutoff, res, feed.spec.session);
      if (formingStart !== start) continue;
      const part = minutes.filter((b) => b.time >= start && b.time < cutoff);
      if (part.length === 0) continue;
      feed.aggregator.seed(res, merge(start, part));
    }
    const buffered = feed.buffer.splice(0);
    for (const bar of buffered) if (bar.time >= cutoff) this.feedBar(feed, bar);
  }

  private fetchHistory(feed: Feed, params: HistoryParams, daily: boolean): Promise<Bar[]> {
    const key = JSON.stringify(params);
    const cached = this.historyCache.get(key);
    const now = this.timers.now();
    if (cached && now - cached.at < this.historyCacheMs) return cached.promise;
    for (const [k, v] of this.historyCache) if (now - v.at >= this.historyCacheMs) this.historyCache.delete(k);
    const promise = new Promise<Bar[]>((resolve, reject) => {
      const f: Inflight = {
        params,
        key,
        reqId: 0,
        bars: [],
        daily,
        resolve,
        reject,
        timer: undefined,
        cancelSend: () => undefined,
      };
      f.timer = this.timers.setTimeout(() => this.finish(f, new SourceError('HISTORY_TIMEOUT', `${params.symbol}: no history within ${this.historyTimeoutMs} ms`)), this.historyTimeoutMs);
      if (!this.running) {
        // not registered in `inflight`, so finish() would be a no-op and the promise would never settle
        this.timers.clearTimeout(f.timer);
        reject(new SourceError('SOURCE_STOPPED', 'source is not started'));
        return;
      }
      this.sendHistory(f, feed);
    });
    this.historyCache.set(key, { at: now, promise });
    promise.catch(() => this.historyCache.delete(key));
    return promise;
  }

  /** (Re)sends a history request with a fresh request id; a no-op while disconnected (re-sent on ready). */
  private sendHistory(f: Inflight, feed = this.feeds.get(f.params.symbol)): void {
    if (!feed) return;
    f.cancelSend();
    this.inflight.delete(f.reqId);
    f.reqId = this.connection.allocateRequestId();
    f.bars = [];
    this.inflight.set(f.reqId, f);
    if (!this.connection.ready) return;
    const p = f.params;
    const c = feed.spec.contract;
    const id = f.reqId;
    f.cancelSend = this.connection.request({
      kind: 'historical',
      contractKey: `${c.symbol}|${c.secType}|${c.exchange}|${p.whatToShow}`,
      identityKey: f.key,
      send: () => this.connection.api.reqHistoricalData(id, c, p.endDateTime, p.duration, p.barSize as never, p.whatToShow as never, p.useRTH ? 1 : 0, 2, false),
    });
  }

  private onHistoricalData(reqId: number, date: string, open: number, high: number, low: number, close: number, volume: number): void {
    const f = this.inflight.get(reqId);
    if (!f) return;
    if (typeof date === 'string' && date.startsWith('finished')) {
      this.finish(f, undefined);
      return;
    }
    const time = parseIbBarTime(String(date));
    if (time === undefined) return;
    f.bars.push({ time, open, high, low, close, volume: volume ?? 0 });
  }

  private finish(f: Inflight, error: SourceError | undefined): void {
    if (this.inflight.get(f.reqId) !== f) return;
    this.inflight.delete(f.reqId);
    this.timers.clearTimeout(f.timer);
    f.cancelSend();
    if (error) f.reject(error);
    else f.resolve(f.bars.sort((a, b) => a.time - b.time));
  }

  // ---- misc -------------------------------------------------------------------------------------------

  private armCloseTimer(): void {
    if (this.closeIntervalMs <= 0 || !this.running) return;
    this.closeTimer = this.timers.setTimeout(() => {
      this.closeTimer = undefined;
      const now = this.now();
      for (const feed of this.feeds.values()) if (feed.backfill !== 'pending') feed.aggregator.closeUpTo(now);
      this.armCloseTimer();
    }, this.closeIntervalMs);
    (this.closeTimer as { unref?: () => void })?.unref?.();
  }

  private health(e: IbHealthEvent): void {
    this.healthListeners.emit(e);
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** IB endDateTime in UTC: `yyyyMMdd-HH:mm:ss` (IB reads this form as UTC). */
export function formatIbDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** IB durationStr covering [from, to): seconds up to one day, then days, then years. */
export function durationFor(from: number, to: number, daily: boolean): string {
  const span = to - from;
  if (!daily && span <= DAY_MS) return `${Math.max(1, Math.ceil(span / 1000))} S`;
  const days = Math.max(1, Math.ceil(span / DAY_MS));
  if (days <= 365) return `${days} D`;
  return `${Math.ceil(days / 365)} Y`;
}

/** Bar time from IB (formatDate 2): epoch seconds for intraday bars, `yyyyMMdd` for daily bars (→ 00:00 UTC). */
export function parseIbBarTime(date: string): number | undefined {
  const d = date.trim();
  if (/^\d{8}$/.test(d)) return Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)));
  if (/^\d{9,11}$/.test(d)) return Number(d) * 1000;
  return undefined;
}

/** Re-buckets IB bars to the session alignment of `res` (identity when IB's bars already align). */
function rebucket(bars: Bar[], res: Resolution, session: Session): Bar[] {
  if (res === 'D') return bars;
  const out: Bar[] = [];
  for (const b of bars) {
    const t = bucketStart(b.time, res, session);
    if (t === undefined) continue;
    const last = out[out.length - 1];
    if (last && last.time === t) {
      last.high = Math.max(last.high, b.high);
      last.low = Math.min(last.low, b.low);
      last.close = b.close;
      last.volume += b.volume;
    } else {
      out.push({ ...b, time: t });
    }
  }
  return out;
}

function merge(time: number, bars: Bar[]): Bar {
  const sorted = [...bars].sort((a, b) => a.time - b.time);
  return {
    time,
    open: sorted[0].open,
    high: Math.max(...sorted.map((b) => b.high)),
    low: Math.min(...sorted.map((b) => b.low)),
    close: sorted[sorted.length - 1].close,
    volume: sorted.reduce((s, b) => s + b.volume, 0),
  };
}
