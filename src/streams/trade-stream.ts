import type { TradeExecutedMessage } from '../../generated/types.ts';
import type { Hub } from '../pubsub/hub.ts';
import type { Fill, OrderBroker } from '../trading/order-broker.ts';
import type { StrategyEvaluator, TradingSignal } from '../trading/strategy-evaluator.ts';
import { bridge, type Bridged } from '../util/bridge.ts';
import type { Stream, StreamContext } from './stream.ts';
import { dashboardTopic } from './topics.ts';

export interface TradeStreamOptions {
  hub: Hub;
  broker: OrderBroker;
  /** When set, the broker trades on signals: BUY opens `orderQuantity` when flat, SELL closes a long. */
  autoTrade?: { evaluator: StrategyEvaluator; orderQuantity: number };
  /** Called with every fill after it was published (the portfolio stream applies it). */
  onFill?: (fill: Fill) => void;
}

/**
 * Every fill becomes one `trade_executed` (the broker already folds duplicate executions). Broker and evaluator
 * callbacks are synchronous; order placement is async and goes through the bridge helper, serialized so two
 * signals never race into two positions.
 */
export class TradeStream implements Stream {
  readonly name = 'trades';
  private unsubscribers: (() => void)[] = [];
  private placer: Bridged<TradingSignal> | undefined;

  constructor(private readonly deps: TradeStreamOptions) {}

  start(ctx: StreamContext): void {
    this.stop();
    const { hub, broker, autoTrade } = this.deps;
    this.unsubscribers.push(broker.onFill((fill) => {
      try {
        hub.publish(dashboardTopic('trades'), toMessage(fill));
        this.deps.onFill?.(fill);
        ctx.update();
      } catch (err) {
        ctx.error(err);
      }
    }));
    if (autoTrade) {
      const placer = bridge((signal: TradingSignal) => this.actOn(signal, autoTrade.orderQuantity), { onError: (err) => ctx.error(err), serialize: true });
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

  private async actOn(signal: TradingSignal, quantity: number): Promise<void> {
    const held = this.deps.broker.positions().find((p) => p.symbol === signal.symbol)?.quantity ?? 0;
    if (signal.signal_type === 'BUY' && held <= 0) {
      await this.deps.broker.placeOrder({ symbol: signal.symbol, side: 'BUY', quantity, type: 'MKT' });
    } else if (signal.signal_type === 'SELL' && held > 0) {
      await this.deps.broker.placeOrder({ symbol: signal.symbol, side: 'SELL', quantity: held, type: 'MKT' });
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
