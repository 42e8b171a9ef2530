/**
 * The DepthSource over Interactive Brokers: per symbol, while someone watches it, one market-depth subscription
 * (reqMktDepth, `rows` levels a side, not SMART depth) and one tick-by-tick subscription (reqTickByTickData AllLast:
 * every trade), both through the connection's pacing queue and re-issued after a reconnect.
 *
 * IB's limit on depth subscriptions (3 at once on most accounts; more with market-data boosters) is respected here:
 * at most `maxDepthSubscriptions` books at once. `bookAvailable(symbol)` says, before anything is subscribed, whether
 * one more book fits, so a subscribe over the limit is refused with a coded error instead of staying silent; a 309
 * from IB ("max number of market depth requests has been reached", i.e. a lower limit than configured) marks that
 * symbol's book unavailable, reports a health event, and frees the slot. Trades keep flowing either way.
 *
 * Book rows follow IB's position semantics: operation 0 inserts a row at `position` (shifting the rows below), 1
 * updates it, 2 deletes it (shifting up); side 1 is bids, 0 asks. Trades' aggressor side is inferred from the book:
 * at or above the best ask `buy`, at or below the best bid `sell`, else `unknown`.
 */
import { EventName, type Contract } from '@stoqey/ib';
import type { BookState, DepthListener, DepthSource, Level, TopOfBook, TradePrint } from './depth.ts';
import type { IbConnection, IbRequestError } from './ib-connection.ts';

export const IB_DEFAULT_DEPTH_SUBSCRIPTIONS = 3;

interface Feed {
  symbol: string;
  contract: Contract;
  watchers: Set<DepthListener>;
  depthReqId: number | undefined;
  tickReqId: number | undefined;
  /** Why the book is not served (limit reached, IB refused it), or undefined. */
  unavailable: string | undefined;
  bids: Level[];
  asks: Level[];
  last: { price: number; size: number } | undefined;
  tape: TradePrint[];
  tradeId: number;
  time: number;
}

export interface IbkrDepthOptions {
  connection: IbConnection;
  symbols: readonly string[];
  contractFor: (symbol: string) => Contract;
  /** Depth rows per side requested from IB. Default 10. */
  rows?: number;
  /** Books at once. Default 3 (IB's default). */
  maxDepthSubscriptions?: number;
  now?: () => number;
  /** Limit reached, IB refusals: reported, never thrown. */
  onHealth?: (event: { ok: boolean; code?: number; message: string }) => void;
}

export class IbkrDepth implements DepthSource {
  readonly maxDepth: number;
  private readonly feeds = new Map<string, Feed>();
  private readonly byReqId = new Map<number, { feed: Feed; kind: 'depth' | 'tick' }>();
  private readonly max: number;
  private readonly now: () => number;
  private offs: (() => void)[] = [];
  private readonly healthListeners = new Set<(event: { ok: boolean; code?: number; message: string }) => void>();

  constructor(private readonly options: IbkrDepthOptions) {
    this.maxDepth = options.rows ?? 10;
    this.max = options.maxDepthSubscriptions ?? IB_DEFAULT_DEPTH_SUBSCRIPTIONS;
    this.now = options.now ?? Date.now;
    for (const symbol of options.symbols) {
      this.feeds.set(symbol, { symbol, contract: options.contractFor(symbol), watchers: new Set(), depthReqId: undefined, tickReqId: undefined, unavailable: undefined, bids: [], asks: [], last: undefined, tape: [], tradeId: 0, time: 0 });
    }
  }

  start(): void {
    if (this.offs.length) return;
    const c = this.options.connection;
    this.offs = [
      c.onReady(() => {
        this.byReqId.clear();
        for (const f of this.feeds.values()) {
          f.depthReqId = undefined;
          f.tickReqId = undefined;
          f.bids = [];
          f.asks = [];
          if (f.watchers.size) this.request(f);
        }
      }),
      c.onRequestError((e) => this.onError(e)),
      c.on(EventName.updateMktDepth, (reqId: number, position: number, operation: number, side: number, price: number, size: number) => this.onDepth(reqId, position, operation, side, price, size)),
      c.on(EventName.tickByTickAllLast, (reqId: number, _type: number, time: string, price: number, size: number) => this.onTrade(reqId, time, price, size)),
    ];
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off?.();
  }

  symbols(): readonly string[] {
    return [...this.feeds.keys()];
  }

  hasSymbol(symbol: string): boolean {
    return this.feeds.has(symbol);
  }

  /** Whether a book of `symbol` can be served now: it is already open, or one more fits IB's depth limit. */
  bookAvailable(symbol: string): { ok: true } | { ok: false; message: string } {
    const f = this.feeds.get(symbol);
    if (!f) return { ok: false, message: `unknown symbol ${symbol}` };
    if (f.unavailable) return { ok: false, message: f.unavailable };
    if (f.depthReqId !== undefined || f.watchers.size) return { ok: true };
    const open = this.openBooks();
    if (open.length >= this.max) return { ok: false, message: `IB allows ${this.max} market-depth subscriptions at once; open now: ${open.join(', ')}` };
    return { ok: true };
  }

  watch(symbol: string, listener: DepthListener): () => void {
    const f = this.feeds.get(symbol);
    if (!f) return () => undefined;
    f.watchers.add(listener);
    if (f.watchers.size === 1) this.request(f);
    return () => {
      if (!f.watchers.delete(listener) || f.watchers.size) return;
      this.cancel(f);
    };
  }

  book(symbol: string): BookState | undefined {
    const f = this.feeds.get(symbol);
    return f && (f.bids.length || f.asks.length) ? { time: f.time, bids: f.bids.map(([p, s]) => [p, s]), asks: f.asks.map(([p, s]) => [p, s]) } : undefined;
  }

  quote(symbol: string): TopOfBook | undefined {
    const f = this.feeds.get(symbol);
    if (!f || !f.last || !f.bids.length || !f.asks.length) return undefined;
    return { time: f.time, bid: f.bids[0]![0], bid_size: f.bids[0]![1], ask: f.asks[0]![0], ask_size: f.asks[0]![1], last: f.last.price, last_size: f.last.size };
  }

  recentTrades(symbol: string, limit = 50): TradePrint[] {
    return (this.feeds.get(symbol)?.tape ?? []).slice(-limit).map((t) => ({ ...t }));
  }

  private openBooks(): string[] {
    return [...this.feeds.values()].filter((f) => f.depthReqId !== undefined).map((f) => f.symbol);
  }

  private request(f: Feed): void {
    const c = this.options.connection;
    if (!c.ready) return; // re-issued on ready
    if (f.tickReqId === undefined) {
      const id = (f.tickReqId = c.allocateRequestId());
      this.byReqId.set(id, { feed: f, kind: 'tick' });
      c.request({ kind: 'message', send: () => c.api.reqTickByTickData(id, f.contract, 'AllLast' as never, 0, false) });
    }
    if (f.depthReqId === undefined && !f.unavailable) {
      if (this.openBooks().length >= this.max) {
        this.report({ ok: false, message: `market depth for ${f.symbol} not requested: IB allows ${this.max} at once (${this.openBooks().join(', ')} open)` });
        return;
      }
      const id = (f.depthReqId = c.allocateRequestId());
      this.byReqId.set(id, { feed: f, kind: 'depth' });
      c.request({ kind: 'message', send: () => c.api.reqMktDepth(id, f.contract, this.maxDepth, false, []) });
    }
  }

  private cancel(f: Feed): void {
    const c = this.options.connection;
    const depth = f.depthReqId;
    const tick = f.tickReqId;
    f.depthReqId = undefined;
    f.tickReqId = undefined;
    f.bids = [];
    f.asks = [];
    f.unavailable = undefined; // a later watch may try again (the limit may have room by then)
    if (depth !== undefined) this.byReqId.delete(depth);
    if (tick !== undefined) this.byReqId.delete(tick);
    if (!c.ready) return;
    if (depth !== undefined) c.request({ kind: 'message', send: () => c.api.cancelMktDepth(depth, false) });
    if (tick !== undefined) c.request({ kind: 'message', send: () => c.api.cancelTickByTickData(tick) });
  }

  private onError(e: IbRequestError): void {
    const entry = this.byReqId.get(e.reqId);
    if (!entry) return;
    const f = entry.feed;
    if (entry.kind === 'depth') {
      this.byReqId.delete(e.reqId);
      f.depthReqId = undefined;
      f.unavailable = e.code === 309 ? `IB refused market depth for ${f.symbol}: its limit of depth subscriptions is reached (309)` : `IB refused market depth for ${f.symbol} (${e.code}: ${e.message})`;
    }
    this.report({ ok: false, code: e.code, message: `${entry.kind === 'depth' ? 'market depth' : 'tick-by-tick'} ${f.symbol}: ${e.code} ${e.message}` });
  }

  /** Limit reached, IB refusals (besides `options.onHealth`). Returns unsubscribe. */
  onHealth(listener: (event: { ok: boolean; code?: number; message: string }) => void): () => void {
    this.healthListeners.add(listener);
    return () => void this.healthListeners.delete(listener);
  }

  private report(event: { ok: boolean; code?: number; message: string }): void {
    for (const l of [this.options.onHealth, ...this.healthListeners]) {
      try {
        l?.(event);
      } catch {
        // a reporting listener never breaks the data path
      }
    }
  }

  private onDepth(reqId: number, position: number, operation: number, side: number, price: number, size: number): void {
    const entry = this.byReqId.get(reqId);
    if (!entry || entry.kind !== 'depth') return;
    const f = entry.feed;
    const rows = side === 1 ? f.bids : f.asks;
    if (!(position >= 0) || position > rows.length) return; // out of order: ignore rather than corrupt the book
    if (operation === 0) rows.splice(position, 0, [price, Number(size)]);
    else if (operation === 1 && position < rows.length) rows[position] = [price, Number(size)];
    else if (operation === 2 && position < rows.length) rows.splice(position, 1);
    else return;
    if (rows.length > this.maxDepth) rows.length = this.maxDepth;
    f.time = Math.max(f.time, this.now());
    const book = this.book(f.symbol)!;
    const q = this.quote(f.symbol);
    for (const l of [...f.watchers]) {
      this.safely(() => l.book?.(book));
      if (q) this.safely(() => l.quote?.(q));
    }
  }

  private onTrade(reqId: number, time: string, price: number, size: number): void {
    const entry = this.byReqId.get(reqId);
    if (!entry || entry.kind !== 'tick') return;
    const f = entry.feed;
    const bid = f.bids[0]?.[0];
    const ask = f.asks[0]?.[0];
    const side: TradePrint['side'] = ask !== undefined && price >= ask ? 'buy' : bid !== undefined && price <= bid ? 'sell' : 'unknown';
    const t = Number(time) * 1000;
    const at = Number.isFinite(t) && t > 0 ? t : this.now(); // IB's trade time (seconds)
    f.time = Math.max(f.time, at);
    const trade: TradePrint = { id: ++f.tradeId, time: at, price, size: Number(size), side };
    f.last = { price, size: Number(size) };
    f.tape.push(trade);
    if (f.tape.length > 200) f.tape.splice(0, f.tape.length - 200);
    const q = this.quote(f.symbol);
    for (const l of [...f.watchers]) {
      this.safely(() => l.trade?.({ ...trade }));
      if (q) this.safely(() => l.quote?.(q));
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch {
      // a throwing listener never stops the others
    }
  }
}
