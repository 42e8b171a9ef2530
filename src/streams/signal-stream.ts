import type { SignalMessage } from '../../generated/types.ts';
import type { Bar, MarketSource, Resolution } from '../market/source.ts';
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
 *
 * The evaluator is shared (auto-trading listens to it too) and outlives this stream's restarts, so each bar of a
 * symbol reaches it once and in time order: a bar not newer than the last one fed (a warm-up after a restart
 * overlapping what was already fed, a repeated live bar) is skipped. A `stop()` while `start()` is still loading
 * history ends that start: it subscribes nothing and feeds nothing more.
 */
export class SignalStream implements Stream {
  readonly name = 'signals';
  private unsubscribers: (() => void)[] = [];
  /** Bumped by stop(): a start() of an older generation is obsolete. */
  private generation = 0;
  /** Time of the last closed bar fed to the evaluator, per symbol; kept across restarts, like the evaluator. */
  private readonly fedUpTo = new Map<string, number>();

  constructor(private readonly deps: SignalStreamOptions) {}

  async start(ctx: StreamContext): Promise<void> {
    this.stop();
    const generation = this.generation;
    const current = (): boolean => generation === this.generation;
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
          let history = await source.history(symbol, resolution, from, now - this.deps.barMs);
          // A stock on the simulated exchange calendar, started at night or on a weekend: warm up on the last
          // sessions' bars (a real source is not asked again: its history requests are paced).
          for (let wider = 8; source.name === 'simulated' && history.length < this.deps.warmupBars / 2 && wider <= 512; wider *= 8) {
            history = (await source.history(symbol, resolution, now - wider * this.deps.warmupBars * this.deps.barMs, now - this.deps.barMs)).slice(-this.deps.warmupBars);
          }
          if (!current()) return;
          // Warm-up signals are history, not news: reset listeners would be heavier; evaluate silently instead.
          for (const bar of history) this.feed(symbol, bar, true);
        } catch (err) {
          if (!current()) return;
          ctx.error(err);
        }
      }
      this.unsubscribers.push(source.subscribeBars(symbol, resolution, (bar, closed) => {
        if (!closed) return;
        try {
          this.feed(symbol, bar, false);
          ctx.update();
        } catch (err) {
          ctx.error(err);
        }
      }));
    }
  }

  stop(): void {
    this.generation++;
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
  }

  private feed(symbol: string, bar: Bar, silent: boolean): void {
    const last = this.fedUpTo.get(symbol);
    if (last !== undefined && bar.time <= last) return;
    this.fedUpTo.set(symbol, bar.time);
    this.deps.evaluator.onClosedBar(symbol, bar, { silent });
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
