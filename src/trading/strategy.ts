/**
 * The strategy contract, and the registry that builds strategies by id.
 *
 * A strategy is a pure, incremental state machine over CLOSED bars of one symbol: the live
 * evaluator (strategy-evaluator.ts) and the backtest engine (src/backtest/engine.ts) run the very
 * same instances, so a signal seen live is the signal a backtest over the same bars would produce.
 */
import type { Bar } from '../market/source.ts';
import { MaCrossoverStrategy, type MaCrossoverParams } from './strategy-ma-crossover.ts';
import { RsiStrategy, type RsiParams } from './strategy-rsi.ts';

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

/** Parameters per strategy id; every field is optional and has a documented default. */
export interface StrategyParams {
  ma_crossover?: Partial<MaCrossoverParams>;
  rsi?: Partial<RsiParams>;
}

export type StrategyId = 'ma_crossover' | 'rsi';

const FACTORIES: { readonly [K in StrategyId]: (params: StrategyParams) => Strategy } = {
  ma_crossover: (p) => new MaCrossoverStrategy(p.ma_crossover),
  rsi: (p) => new RsiStrategy(p.rsi),
};

/** The ids createStrategies accepts, in a stable order. */
export const STRATEGY_IDS: readonly StrategyId[] = Object.freeze(Object.keys(FACTORIES) as StrategyId[]);

export function isStrategyId(id: string): id is StrategyId {
  return Object.prototype.hasOwnProperty.call(FACTORIES, id);
}

export type CreateStrategiesResult =
  | { ok: true; strategies: Strategy[] }
  | { ok: false; code: 'UNKNOWN_STRATEGY' | 'INVALID_STRATEGY_PARAMS'; message: string };

/**
 * Builds fresh, independent instances (one per id, in the given order). Errors are values:
 * an unknown id yields UNKNOWN_STRATEGY, parameters an implementation refuses yield
 * INVALID_STRATEGY_PARAMS. Never throws.
 */
export function createStrategies(ids: readonly string[], params: StrategyParams = {}): CreateStrategiesResult {
  const strategies: Strategy[] = [];
  for (const id of ids) {
    if (!isStrategyId(id)) return { ok: false, code: 'UNKNOWN_STRATEGY', message: `unknown strategy id: ${id}` };
    try {
      strategies.push(FACTORIES[id](params));
    } catch (err) {
      return { ok: false, code: 'INVALID_STRATEGY_PARAMS', message: `${id}: ${(err as Error).message}` };
    }
  }
  return { ok: true, strategies };
}

