/**
 * The order-flow contract behind the quotes, trades and book topics: a level-2 book, the tape and the top of book per
 * symbol. One implementation today: sim-book.ts (the simulated market). Prices and sizes are plain numbers; a book
 * side is a list of `[price, size]` levels, bids descending and asks ascending, every size > 0.
 */
export type Level = [price: number, size: number];

export interface BookState {
  time: number;
  /** Best first (descending prices). */
  bids: Level[];
  /** Best first (ascending prices). */
  asks: Level[];
}

export interface TradePrint {
  /** Unique per symbol, increasing. */
  id: number;
  time: number;
  price: number;
  size: number;
  /** The aggressor: buy lifted the ask, sell hit the bid. */
  side: 'buy' | 'sell' | 'unknown';
}

export interface TopOfBook {
  time: number;
  bid: number;
  bid_size: number;
  ask: number;
  ask_size: number;
  last: number;
  last_size: number;
}

/**
 * Called synchronously for every change of one symbol, in this order per market event: the trade (if any), then the
 * book, then the top of book. Values are snapshots: the source never mutates an object it has passed on.
 */
export interface DepthListener {
  trade?(trade: TradePrint): void;
  book?(book: BookState): void;
  quote?(quote: TopOfBook): void;
}

export interface DepthSource {
  symbols(): readonly string[];
  hasSymbol(symbol: string): boolean;
  /** Listen to one symbol; returns the function that removes the listener. A throwing listener never stops the others. */
  watch(symbol: string, listener: DepthListener): () => void;
  /** The current book (up to the source's depth), undefined before the first market event. */
  book(symbol: string): BookState | undefined;
  quote(symbol: string): TopOfBook | undefined;
  /** The recent tape, oldest first (at most `limit`, default 50). */
  recentTrades(symbol: string, limit?: number): TradePrint[];
  /** Levels per side the source keeps. */
  readonly maxDepth: number;
  /**
   * Whether a book of `symbol` can be served now (an upstream limit on depth subscriptions, e.g. IB's); absent means
   * always. Asked before a book topic is subscribed, so a refusal is a coded error, not a silent topic.
   */
  bookAvailable?(symbol: string): { ok: true } | { ok: false; message: string };
}
