import type { SignalMessage } from '../../generated/types.ts';
import type { MarketSource, Resolution } from '../market/source.ts';
import type { Hub } from '../pubsub/hub.ts';
import type { StrategyEvaluator, TradingSignal } from '../trading/strategy-evaluator.ts';
import type { Stream, StreamContext } from './stream.ts';
import { dashboardTopic } from './topics.ts';

export interface SignalStreamOptions {
  source: MarketSource;
  hub: Hub;
  evaluator: StrategyEvaluator;
  resolution: Resolution;
  /** Closed bars fed to the strategies at start so signals do not wait for a full warm-up. */
  warmupBars: number;
  /** How long a bar of `resolution` lasts, to ask history for the warm-up window. */
  barMs: number;
  now?: () => number;
}

/**
 * Feeds every closed bar of every symbol to the strategy evaluator, and publishes each non-HOLD signal (the
 * evaluator only notifies those) as a dashboard `signal` with its confidence, fields at the root.
 */
export class SignalStream implements Stream {
  readonly name = 'signals';
  private unsubscribers: (() => void)[] = [];

  constructor(private readonly deps: SignalStreamOptions) {}

  async start(ctx: StreamContext): Promise<void> {
    this.stop();
    const { source, evaluator, resolution } = this.deps;
    this.unsubscribers.push(evaluator.onSignal((signal) => {
      try {
        this.deps.hub.publish(dashboardTopic('signals'), toMessage(signal));
        ctx.update();
      } catch (err) {
        ctx.error(err);
      }
    }));
    const now = (this.deps.now ?? Date.now)();
    for (const symbol of source.symbols()) {
      if (this.deps.warmupBars > 0) {
        try {
          const from = now - this.deps.warmupBars * this.deps.barMs;
          const history = await source.history(symbol, resolution, from, now - this.deps.barMs);
          // Warm-up signals are history, not news: reset listeners would be heavier; evaluate silently instead.
          for (const bar of history) evaluator.onClosedBar(symbol, bar, { silent: true });
        } catch (err) {
          ctx.error(err);
        }
      }
      this.unsubscribers.push(source.subscribeBars(symbol, resolution, (bar, closed) => {
        if (!closed) return;
        try {
          evaluator.onClosedBar(symbol, bar);
          ctx.update();
        } catch (err) {
          ctx.error(err);
        }
      }));
    }
  }

  stop(): void {
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
  }
}

export function toMessage(signal: TradingSignal): SignalMessage {
  return {
    type: 'signal',
    signal_type: signal.signal_type,
    symbol: signal.symbol,
    price: signal.price,
    confidence: signal.confidence,
    timestamp: signal.timestamp,
    strategy_id: signal.strategy_id,
    reason: signal.reason,
  };
}
