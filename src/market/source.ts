/**
 * The market data source contract. Two implementations: source-simulated.ts (default) and source-ibkr.ts.
 * Both must pass test/market/source.conformance.ts. Streams and handlers only ever see this interface.
 *
 * Times are epoch milliseconds (UTC), as charting datafeeds expect. A bar's `time` is the start of its period.
 */

/** Bar resolutions the contract accepts (minutes, or "D" for one exchange session). */
export type Resolution = '1' | '5' | '15' | '30' | '60' | 'D';
export const RESOLUTIONS: readonly Resolution[] = ['1', '5', '15', '30', '60', 'D'];

export interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Last price and change against the previous session close. */
export interface Quote {
  symbol: string;
  price: number;
  /** price - previous_close */
  change: number;
  /** change / previous_close * 100, rounded to 2 decimals */
  change_pct: number;
  previous_close: number;
  time: number;
  /** true when the source only has delayed data for this symbol */
  delayed: boolean;
}

/**
 * Called for every change of a bar of one (symbol, resolution):
 * same `time` as the previous call = the forming bar was updated (replace it);
 * a later `time` = a new bar started; the previous bar is then final. `closed` is true
 * exactly once per bar, when the source knows the bar's period has ended.
 */
export type BarListener = (bar: Bar, closed: boolean) => void;

/**
 * `recovered` is true exactly when the upstream connection came back after it was lost (a reconnect, or TWS's
 * "connectivity restored"), so recovery attempts count reconnects, not every good news after a problem.
 */
export type SourceHealthListener = (event: { ok: boolean; code?: number; message: string; recovered?: boolean }) => void;

/** Options of one history request. */
export interface HistoryOptions {
  /**
   * 'always' (24/7) or 'exchange' (each symbol's exchange hours and holidays), see calendar.ts. Only the simulated
   * source honours it (default: its MARKET_CALENDAR); a real source's history follows its exchange.
   */
  calendar?: 'always' | 'exchange';
}

export interface MarketSource {
  readonly name: 'simulated' | 'ibkr';
  start(): Promise<void>;
  /** Stops timers and connections; idempotent. */
  stop(): Promise<void>;
  /** Symbols this source serves. A subscribe for any other symbol is refused with UNKNOWN_SYMBOL. */
  symbols(): readonly string[];
  hasSymbol(symbol: string): boolean;
  /**
   * Listen to bars of (symbol, resolution). Sources share one upstream subscription per symbol across
   * all resolutions and listeners. Returns the function that removes this listener.
   */
  subscribeBars(symbol: string, resolution: Resolution, listener: BarListener): () => void;
  /** The forming (or last) bar of (symbol, resolution), if any. */
  currentBar(symbol: string, resolution: Resolution): Bar | undefined;
  /** Last known quote of a symbol, if any. */
  quote(symbol: string): Quote | undefined;
  /** Historical bars with from <= time < to, oldest first. */
  history(symbol: string, resolution: Resolution, from: number, to: number, options?: HistoryOptions): Promise<Bar[]>;
  /** Upstream health events (connection lost, pacing violation, recovered...). Returns unsubscribe. */
  onHealth(listener: SourceHealthListener): () => void;
}
