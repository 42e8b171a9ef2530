/**
 * The strategy registry: builds the implementations of the Strategy contract (strategy.ts) by their wire id.
 * The one module that knows every implementation, so the interface file imports none of them.
 */
import type { Strategy } from './strategy.ts';
import { MaCrossoverStrategy, type MaCrossoverParams } from './strategy-ma-crossover.ts';
import { RsiStrategy, type RsiParams } from './strategy-rsi.ts';

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

