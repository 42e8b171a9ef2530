/**
 * Portfolio: cash, positions and P&L built from fills and marked to quotes — what a trader's
 * dashboard shows, and what the portfolio stream publishes (only when `changedSince` says so).
 *
 * Accounting (average cost):
 * - A fill that adds to a position (or opens one) moves the average price to the quantity-weighted
 *   mean of the old average and the fill price.
 * - A fill that reduces a position realizes (fill price − average) × closed quantity (sign-adjusted for
 *   shorts) and leaves the average unchanged; a fill that crosses zero closes the old position
 *   entirely and opens the remainder at the fill price.
 * - Commissions are paid from cash and counted in realized P&L (so realized is net of commissions);
 *   hence always total_pnl = realized_pnl + unrealized_pnl = equity − initial cash.
 * - A position is marked at its last quote; before any quote, at its last fill price.
 * - Mark-to-market: `markToMarket` marks every open position to the latest quotes and then tells the `onMarked`
 *   listeners. One owner calls it on a timer (the portfolio stream); whoever else shows marked values (the
 *   live-trading feed) follows `onMarked` instead of marking again.
 * - daily_pnl = equity − equity at the start of the current day (UTC by default; `dayKey` decides).
 */
import type { Quote } from '../market/source.ts';
import type { Fill, Side } from './venue.ts';
import type { PortfolioPosition, PortfolioSnapshot as ContractPortfolioSnapshot } from '../../generated/types.ts';

export interface PositionState {
  /** Signed: short < 0. */
  quantity: number;
  avg_price: number;
}

/**
 * Pure average-cost update for one fill. `realized` is the gross P&L (no commission) of the part of
 * the fill that reduced the position; 0 for pure additions. A flat result has avg_price 0.
 */
export function applyFillToPosition(
  position: PositionState,
  side: Side,
  quantity: number,
  price: number,
): { position: PositionState; realized: number } {
  const q0 = position.quantity;
  const delta = side === 'BUY' ? quantity : -quantity;
  const q1 = q0 + delta;
  if (q0 === 0 || Math.sign(q0) === Math.sign(delta)) {
    // open or add
    return { position: { quantity: q1, avg_price: (q0 * position.avg_price + delta * price) / q1 }, realized: 0 };
  }
  const closed = Math.min(Math.abs(q0), Math.abs(delta));
  const realized = closed * (price - position.avg_price) * Math.sign(q0);
  if (q1 === 0) return { position: { quantity: 0, avg_price: 0 }, realized };
  if (Math.sign(q1) === Math.sign(q0)) return { position: { quantity: q1, avg_price: position.avg_price }, realized };
  return { position: { quantity: q1, avg_price: price }, realized }; // flipped
}

/**
 * The contract's PortfolioPosition / PortfolioSnapshot (generated from asyncapi.yaml), plus when it was taken.
 * Semantics: positions are the open ones (quantity ≠ 0) sorted by symbol; market_value = quantity × market_price
 * (negative for shorts); unrealized_pnl = quantity × (market_price − avg_price); realized_pnl is net of commissions
 * and includes symbols now flat; total_pnl = realized + unrealized (= equity − initial cash).
 */
export type PositionSnapshot = PortfolioPosition;

export interface PortfolioSnapshot extends ContractPortfolioSnapshot {
  /** ISO-8601 of `now()` when the snapshot was taken; ignored by changedSince */
  timestamp: string;
}

export interface PortfolioOptions {
  initialCash: number;
  /** epoch ms; default Date.now */
  now?: () => number;
  /** Day bucket of a time, for daily_pnl; default the UTC calendar date. */
  dayKey?: (time: number) => string;
}

interface Holding extends PositionState {
  market_price: number;
  realized_pnl: number;
}

const utcDay = (t: number): string => new Date(t).toISOString().slice(0, 10);

export class Portfolio {
  private cash: number;
  private readonly holdings = new Map<string, Holding>();
  /** Symbols that have had at least one quote (their market price no longer follows fills). */
  private readonly hasQuote = new Set<string>();
  private readonly now: () => number;
  private readonly dayKey: (time: number) => string;
  private day: string;
  private dayStartEquity: number;
  private commission = 0;
  private readonly markedListeners = new Set<() => void>();

  constructor(options: PortfolioOptions) {
    this.cash = options.initialCash;
    this.now = options.now ?? Date.now;
    this.dayKey = options.dayKey ?? utcDay;
    this.day = this.dayKey(this.now());
    this.dayStartEquity = options.initialCash;
  }

  /** Applies one execution. The caller guarantees each execution_id is applied once (venue contract). */
  applyFill(fill: Fill): void {
    this.rollDay();
    const h = this.holdings.get(fill.symbol) ?? { quantity: 0, avg_price: 0, market_price: fill.price, realized_pnl: 0 };
    const { position, realized } = applyFillToPosition(h, fill.side, fill.quantity, fill.price);
    const notional = fill.quantity * fill.price;
    this.cash += fill.side === 'BUY' ? -notional : notional;
    this.cash -= fill.commission;
    this.commission += fill.commission;
    h.quantity = position.quantity;
    h.avg_price = position.avg_price;
    h.realized_pnl += realized - fill.commission;
    if (!this.hasQuote.has(fill.symbol)) h.market_price = fill.price;
    this.holdings.set(fill.symbol, h);
  }

  /** Marks a symbol to the quote's price. Quotes of symbols never traded are remembered for later. */
  mark(quote: Pick<Quote, 'symbol' | 'price'>): void {
    this.rollDay();
    this.hasQuote.add(quote.symbol);
    const h = this.holdings.get(quote.symbol);
    if (h) h.market_price = quote.price;
    else this.holdings.set(quote.symbol, { quantity: 0, avg_price: 0, market_price: quote.price, realized_pnl: 0 });
  }

  /**
   * Marks every open position to `quote(symbol)` (a symbol without a quote keeps its mark), then calls every
   * `onMarked` listener. A throwing listener does not stop the others; the first error is rethrown after all ran.
   */
  markToMarket(quote: (symbol: string) => Pick<Quote, 'symbol' | 'price'> | undefined): void {
    for (const [symbol, h] of this.holdings) {
      if (h.quantity === 0) continue;
      const q = quote(symbol);
      if (q) this.mark(q);
    }
    const errors: unknown[] = [];
    for (const listener of [...this.markedListeners]) {
      try {
        listener();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  }

  /** Called after each markToMarket. Returns the remover. */
  onMarked(listener: () => void): () => void {
    const own = () => listener();
    this.markedListeners.add(own);
    return () => {
      this.markedListeners.delete(own);
    };
  }

  /** Total commissions paid (already inside cash and realized P&L). */
  get totalCommission(): number {
    return this.commission;
  }

  /** Field names and shape follow asyncapi.yaml PortfolioUpdateMessage (minus `type`). */
  snapshot(): PortfolioSnapshot {
    this.rollDay();
    const positions: PositionSnapshot[] = [];
    let unrealized = 0;
    let realized = 0;
    let value = 0;
    for (const symbol of [...this.holdings.keys()].sort()) {
      const h = this.holdings.get(symbol)!;
      realized += h.realized_pnl;
      if (h.quantity === 0) continue;
      const market_value = h.quantity * h.market_price;
      const unrealized_pnl = h.quantity * (h.market_price - h.avg_price);
      value += market_value;
      unrealized += unrealized_pnl;
      positions.push({
        symbol,
        quantity: h.quantity,
        avg_price: h.avg_price,
        market_price: h.market_price,
        market_value,
        unrealized_pnl,
        realized_pnl: h.realized_pnl,
      });
    }
    const equity = this.cash + value;
    return {
      positions,
      cash: this.cash,
      equity,
      unrealized_pnl: unrealized,
      realized_pnl: realized,
      total_pnl: realized + unrealized,
      daily_pnl: equity - this.dayStartEquity,
      timestamp: new Date(this.now()).toISOString(),
    };
  }

  private equity(): number {
    let e = this.cash;
    for (const h of this.holdings.values()) e += h.quantity * h.market_price;
    return e;
  }

  /** On the first event of a new day, the equity as it stood before that event becomes the day's start. */
  private rollDay(): void {
    const day = this.dayKey(this.now());
    if (day === this.day) return;
    this.day = day;
    this.dayStartEquity = this.equity();
  }
}

/**
 * True when `next` differs from `previous` in anything a dashboard shows (every field but
 * `timestamp`); true when there is no previous snapshot. Numbers compare exactly.
 */
export function changedSince(previous: PortfolioSnapshot | undefined, next: PortfolioSnapshot): boolean {
  if (!previous) return true;
  const keys = ['cash', 'equity', 'unrealized_pnl', 'realized_pnl', 'total_pnl', 'daily_pnl'] as const;
  for (const k of keys) if (previous[k] !== next[k]) return true;
  if (previous.positions.length !== next.positions.length) return true;
  for (let i = 0; i < next.positions.length; i++) {
    const a = previous.positions[i]!;
    const b = next.positions[i]!;
    if (
      a.symbol !== b.symbol ||
      a.quantity !== b.quantity ||
      a.avg_price !== b.avg_price ||
      a.market_price !== b.market_price ||
      a.market_value !== b.market_value ||
      a.unrealized_pnl !== b.unrealized_pnl ||
      a.realized_pnl !== b.realized_pnl
    ) {
      return true;
    }
  }
  return false;
}
