/**
 * PaperVenue: a simulated OrderVenue that fills against the market source's quotes.
 *
 * Fill model:
 * - Market orders fill in full on a later turn of the event loop (never inside placeOrder), at the
 *   current quote ± slippage: BUY at price × (1 + slippageBps/10⁴), SELL at price × (1 − slippageBps/10⁴).
 *   A market order for a symbol that has no quote yet waits for the first quote given to `onQuote`.
 * - Limit orders fill in full when a quote crosses the limit (BUY: quote ≤ limit; SELL: quote ≥ limit), at
 *   the slipped quote price but never worse than the limit. A limit that is marketable when placed fills
 *   like a market order on the next turn; otherwise it rests until `onQuote` brings a crossing quote.
 * - Commission per execution = max(minCommission, quantity × commissionPerShare). Defaults are 0; IBKR's
 *   US fixed tier would be commissionPerShare 0.005, minCommission 1.
 * - Rejections are values: placeOrder resolves with status 'rejected' and `reason` set to a stable code
 *   (PaperRejectCode); it never rejects its promise.
 *
 * Events: for one execution, onFill listeners are called first, then onOrder listeners with the filled
 * order; state (orders(), positions()) is already updated when either runs. Every status change is
 * reported to onOrder, including the initial 'submitted'. Listeners are called synchronously and
 * isolated: a throwing listener is reported to `onError` and never stops the others.
 */
import type { MarketSource, Quote } from '../market/source.ts';
import type { VenuePosition, Fill, Order, OrderVenue, OrderRequest } from './venue.ts';
import { applyFillToPosition, type PositionState } from './portfolio.ts';
import { Listeners } from '../util/listeners.ts';

export type PaperRejectCode =
  | 'NOT_STARTED'
  | 'UNKNOWN_SYMBOL'
  | 'INVALID_QUANTITY'
  | 'INVALID_ORDER_TYPE'
  | 'INVALID_SIDE'
  | 'INVALID_LIMIT_PRICE';

export interface PaperVenueOptions {
  /**
   * Where prices come from. A symbol is tradable when `hasSymbol` says so; without `hasSymbol`, when
   * it has a quote.
   */
  quotes: Pick<MarketSource, 'quote'> & Partial<Pick<MarketSource, 'hasSymbol'>>;
  /** Default 0. */
  slippageBps?: number;
  /** Default 0. */
  commissionPerShare?: number;
  /** Per execution; default 0. */
  minCommission?: number;
  /** epoch ms; default Date.now. */
  now?: () => number;
  /** Unique ids for orders and executions; default `paper-o-<n>` / `paper-x-<n>` per instance. */
  newId?: (kind: 'order' | 'execution') => string;
  /** Errors thrown by listeners; default: ignore. */
  onError?: (err: unknown, where: 'fill' | 'order') => void;
}

export class PaperVenue implements OrderVenue {
  readonly name = 'paper' as const;
  private readonly opts: Required<Omit<PaperVenueOptions, 'quotes'>>;
  private readonly quotes: PaperVenueOptions['quotes'];
  private readonly all = new Map<string, Order>();
  /** Open orders by id, in placement order. */
  private readonly open = new Map<string, Order>();
  private readonly held = new Map<string, PositionState>();
  private readonly fills = new Listeners<Fill>((err) => this.opts.onError(err, 'fill'), (f) => ({ ...f }));
  private readonly orderUpdates = new Listeners<Order>((err) => this.opts.onError(err, 'order'), (o) => ({ ...o }));
  private readonly timers = new Set<NodeJS.Immediate>();
  private started = false;

  constructor(options: PaperVenueOptions) {
    this.quotes = options.quotes;
    let n = 0;
    this.opts = {
      slippageBps: options.slippageBps ?? 0,
      commissionPerShare: options.commissionPerShare ?? 0,
      minCommission: options.minCommission ?? 0,
      now: options.now ?? Date.now,
      newId: options.newId ?? ((kind) => `paper-${kind === 'order' ? 'o' : 'x'}-${++n}`),
      onError: options.onError ?? (() => undefined),
    };
  }

  async start(): Promise<void> {
    this.started = true;
  }

  /** Stops pending fill turns; open orders stay open and fill again after start(). Idempotent. */
  async stop(): Promise<void> {
    this.started = false;
    for (const t of this.timers) clearImmediate(t);
    this.timers.clear();
  }

  async placeOrder(request: OrderRequest): Promise<Order> {
    const order: Order = {
      order_id: this.opts.newId('order'),
      symbol: request.symbol,
      side: request.side,
      quantity: request.quantity,
      type: request.type,
      ...(request.limit_price !== undefined ? { limit_price: request.limit_price } : {}),
      status: 'submitted',
      filled_quantity: 0,
      created_at: new Date(this.opts.now()).toISOString(),
    };
    const code = this.validate(request);
    if (code) {
      order.status = 'rejected';
      order.reason = code;
    } else {
      this.open.set(order.order_id, order);
      const t = setImmediate(() => {
        this.timers.delete(t);
        const q = this.quotes.quote(order.symbol);
        if (q) this.tryFill(order, q);
      });
      this.timers.add(t);
    }
    this.all.set(order.order_id, order);
    this.emitOrder(order);
    return { ...order };
  }

  /** Cancels an open order (reported to onOrder); a no-op for unknown or already final orders. */
  async cancelOrder(orderId: string): Promise<void> {
    const order = this.open.get(orderId);
    if (!order) return;
    this.open.delete(orderId);
    order.status = 'cancelled';
    this.emitOrder(order);
  }

  /**
   * Feeds a new quote: fills, synchronously and in placement order, every open order of that symbol
   * the quote makes fillable. Ignored while stopped.
   */
  onQuote(quote: Pick<Quote, 'symbol' | 'price'>): void {
    if (!this.started) return;
    for (const order of [...this.open.values()]) if (order.symbol === quote.symbol) this.tryFill(order, quote);
  }

  orders(): Order[] {
    return [...this.all.values()].map((o) => ({ ...o }));
  }

  /** Non-flat positions, sorted by symbol. */
  positions(): VenuePosition[] {
    return [...this.held.entries()]
      .filter(([, p]) => p.quantity !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([symbol, p]) => ({ symbol, quantity: p.quantity, avg_price: p.avg_price }));
  }

  onFill(listener: (fill: Fill) => void): () => void {
    return this.fills.add(listener);
  }

  onOrder(listener: (order: Order) => void): () => void {
    return this.orderUpdates.add(listener);
  }

  private validate(r: OrderRequest): PaperRejectCode | undefined {
    if (!this.started) return 'NOT_STARTED';
    const known = this.quotes.hasSymbol ? this.quotes.hasSymbol(r.symbol) : this.quotes.quote(r.symbol) !== undefined;
    if (!known) return 'UNKNOWN_SYMBOL';
    if (r.side !== 'BUY' && r.side !== 'SELL') return 'INVALID_SIDE';
    if (!(Number.isFinite(r.quantity) && r.quantity > 0)) return 'INVALID_QUANTITY';
    if (r.type === 'LMT') {
      if (!(Number.isFinite(r.limit_price) && r.limit_price! > 0)) return 'INVALID_LIMIT_PRICE';
    } else if (r.type !== 'MKT') return 'INVALID_ORDER_TYPE';
    return undefined;
  }

  private tryFill(order: Order, quote: Pick<Quote, 'price'>): void {
    if (!this.started || order.status !== 'submitted') return;
    const slip = this.opts.slippageBps / 10_000;
    let price = order.side === 'BUY' ? quote.price * (1 + slip) : quote.price * (1 - slip);
    if (order.type === 'LMT') {
      const limit = order.limit_price!;
      if (order.side === 'BUY' ? quote.price > limit : quote.price < limit) return;
      price = order.side === 'BUY' ? Math.min(price, limit) : Math.max(price, limit);
    }
    const fill: Fill = {
      execution_id: this.opts.newId('execution'),
      order_id: order.order_id,
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      price,
      commission: Math.max(this.opts.minCommission, order.quantity * this.opts.commissionPerShare),
      timestamp: new Date(this.opts.now()).toISOString(),
    };
    this.open.delete(order.order_id);
    order.status = 'filled';
    order.filled_quantity = order.quantity;
    order.avg_fill_price = price;
    const before = this.held.get(order.symbol) ?? { quantity: 0, avg_price: 0 };
    this.held.set(order.symbol, applyFillToPosition(before, order.side, order.quantity, price).position);
    this.fills.emit(fill);
    this.emitOrder(order);
  }

  private emitOrder(order: Order): void {
    this.orderUpdates.emit(order);
  }


}
