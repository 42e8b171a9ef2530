/**
 * The strategy contract (interface only; the registry that builds the implementations by id is strategies.ts).
 *
 * A strategy is a pure, incremental state machine over CLOSED bars of one symbol: the live
 * evaluator (strategy-evaluator.ts) and the backtest engine (src/backtest/engine.ts) run the very
 * same instances, so a signal seen live is the signal a backtest over the same bars would produce.
 */
import type { Bar } from '../market/source.ts';

export type SignalType = 'BUY' | 'SELL' | 'HOLD';

export interface StrategySignal {
  signal_type: SignalType;
  /** 0..1; how strongly the strategy believes in the signal (each implementation documents its formula). */
  confidence: number;
  /** The close of the bar that produced the signal. */
  price: number;
  /** Short human-readable explanation; not a stable code. */
  reason: string;
  /** The `time` of the bar that produced the signal (epoch ms, start of the bar's period). */
  time: number;
}

export interface Strategy {
  /** Registry id, e.g. 'ma_crossover'; stable, used on the wire as `strategy_id`. */
  readonly id: string;
  /** Display name including parameters, e.g. 'MA crossover (EMA 10/30)'. */
  readonly name: string;
  /**
   * Called once per CLOSED bar, in time order; O(1) amortized per bar (incremental indicators, no
   * window recomputation) so a year of 1-minute bars runs in well under a second.
   * Returns null while warming up (not enough bars for the indicators), otherwise a signal
   * (HOLD when there is nothing to do). Never throws for finite input.
   */
  onBar(bar: Bar): StrategySignal | null;
  /** Forgets all state: the next onBar behaves like the first one ever. */
  reset(): void;
}
