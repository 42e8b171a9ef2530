/**
 * The order venue contract: where orders go and fills come from. Two implementations:
 * venue-paper.ts (default; fills at the market source's price) and venue-ibkr.ts.
 * Both must pass test/trading/venue.conformance.ts.
 *
 * Delivery contract: every execution is reported to onFill listeners exactly once, keyed by
 * `execution_id` (duplicates and corrections from upstream are folded before listeners see them).
 * Listeners are called synchronously; a throwing listener never stops the others.
 */
export type Side = 'BUY' | 'SELL';
export type OrderType = 'MKT' | 'LMT';
export type OrderStatus = 'submitted' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected';

export interface OrderRequest {
  symbol: string;
  side: Side;
  quantity: number;
  type: OrderType;
  limit_price?: number;
}

export interface Order {
  order_id: string;
  symbol: string;
  side: Side;
  quantity: number;
  type: OrderType;
  limit_price?: number;
  status: OrderStatus;
  filled_quantity: number;
  avg_fill_price?: number;
  /** ISO-8601 */
  created_at: string;
  /** why it was rejected, when status is 'rejected' */
  reason?: string;
}

export interface Fill {
  execution_id: string;
  order_id: string;
  symbol: string;
  side: Side;
  quantity: number;
  price: number;
  commission: number;
  /** ISO-8601 */
  timestamp: string;
}

/** A venue-side position: signed quantity (short < 0) at an average cost. */
export interface VenuePosition {
  symbol: string;
  quantity: number;
  avg_price: number;
}

export interface OrderVenue {
  readonly name: 'paper' | 'ibkr';
  start(): Promise<void>;
  stop(): Promise<void>;
  placeOrder(request: OrderRequest): Promise<Order>;
  cancelOrder(orderId: string): Promise<void>;
  orders(): Order[];
  positions(): VenuePosition[];
  onFill(listener: (fill: Fill) => void): () => void;
  onOrder(listener: (order: Order) => void): () => void;
}
