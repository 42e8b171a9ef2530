import type { TradeExecutedMessage } from '../../generated/types.ts';
import type { Hub } from '../pubsub/hub.ts';
import type { Fill, OrderVenue } from '../trading/venue.ts';
import type { StrategyEvaluator, TradingSignal } from '../trading/strategy-evaluator.ts';
import { bridge, type Bridged } from '../util/bridge.ts';
import type { Stream, StreamContext } from './stream.ts';
import { dashboardTopic } from './topics.ts';

export interface TradeStreamOptions {
  hub: Hub;
  venue: OrderVenue;
  /**
   * When set, the venue trades on signals: BUY opens `orderQuantity` when flat (fewer when `cash()` cannot pay for
   * them at the signal price, none when it cannot pay for one), SELL closes a long.
   */
  autoTrade?: {
    evaluator: StrategyEvaluator;
    orderQuantity: number;
    cash?: () => number;
    /** Asked before every order (src/trading/order-policy.ts): a reason means no order is placed for this signal. */
    refusal?: () => string | undefined;
    /** Told about each signal not acted on because of a refusal. */
    onRefused?: (signal: TradingSignal, reason: string) => void;
  };
  /** Called with every fill after it was published (the portfolio stream applies it). */
  onFill?: (fill: Fill) => void;
}

/**
 * Every fill becomes one `trade_executed` (the venue already folds duplicate executions). Venue and evaluator
 * callbacks are synchronous; order placement is async and goes through the bridge helper, serialized so two
 * signals never race into two positions.
 */
export class TradeStream implements Stream {
  readonly name = 'trades';
  private unsubscribers: (() => void)[] = [];
  private placer: Bridged<TradingSignal> | undefined;
  private readonly targets = new Map<string, number>();

  constructor(private readonly deps: TradeStreamOptions) {}

  start(ctx: StreamContext): void {
    this.stop();
    const { hub, venue, autoTrade } = this.deps;
    this.unsubscribers.push(venue.onFill((fill) => {
      try {
        hub.publish(dashboardTopic('trades'), toMessage(fill));
        this.deps.onFill?.(fill);
        ctx.update();
      } catch (err) {
        ctx.error(err);
      }
    }));
    if (autoTrade) {
      const placer = bridge((signal: TradingSignal) => this.actOn(signal, autoTrade.orderQuantity, autoTrade.cash), { onError: (err) => ctx.error(err), serialize: true });
      this.placer = placer;
      this.unsubscribers.push(autoTrade.evaluator.onSignal(placer));
    }
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
    await this.placer?.idle();
    this.placer = undefined;
  }

  /**
   * Long-only: BUY opens `quantity` when flat, SELL closes the long. Decisions use the position we are heading to
   * (set when an order is placed), not the venue's filled position, so two signals before a fill never double up.
   */
  private async actOn(signal: TradingSignal, wanted: number, cash?: () => number): Promise<void> {
    const refused = this.deps.autoTrade?.refusal?.();
    if (refused !== undefined) {
      this.deps.autoTrade?.onRefused?.(signal, refused);
      return;
    }
    const { symbol } = signal;
    const target = this.targets.get(symbol) ?? this.deps.venue.positions().find((p) => p.symbol === symbol)?.quantity ?? 0;
    // 1% headroom for slippage and commission.
    const quantity = cash ? Math.min(wanted, Math.floor((cash() * 0.99) / signal.price)) : wanted;
    if (signal.signal_type === 'BUY' && target <= 0 && quantity > 0) {
      this.targets.set(symbol, quantity);
      const order = await this.deps.venue.placeOrder({ symbol, side: 'BUY', quantity, type: 'MKT' });
      if (order.status === 'rejected') this.targets.set(symbol, target);
    } else if (signal.signal_type === 'SELL' && target > 0) {
      this.targets.set(symbol, 0);
      const order = await this.deps.venue.placeOrder({ symbol, side: 'SELL', quantity: target, type: 'MKT' });
      if (order.status === 'rejected') this.targets.set(symbol, target);
    }
  }
}

export function toMessage(fill: Fill): TradeExecutedMessage {
  return {
    type: 'trade_executed',
    symbol: fill.symbol,
    side: fill.side,
    quantity: fill.quantity,
    price: fill.price,
    timestamp: fill.timestamp,
    order_id: fill.order_id,
    execution_id: fill.execution_id,
    commission: fill.commission,
  };
}
