/**
 * Runs strategies over the closed bars of many symbols and tells listeners about every BUY/SELL.
 *
 * Each symbol gets its own set of strategy instances (created lazily on its first bar), so the
 * indicators of one symbol never see another symbol's prices. HOLD signals are not published.
 */
import type { Bar } from '../market/source.ts';
import type { Strategy } from './strategy.ts';

/** A signal as published on the `signals` stream (wire names, root-level fields; seed 000 §1). */
export interface TradingSignal {
  symbol: string;
  strategy_id: string;
  signal_type: 'BUY' | 'SELL';
  confidence: number;
  price: number;
  /** ISO-8601 of the closed bar's `time` (the start of its period). */
  timestamp: string;
  reason: string;
}

export type SignalListener = (signal: TradingSignal) => void;

/** Where a failure happened: a strategy's onBar, or a signal listener. */
export interface EvaluatorErrorContext {
  where: 'strategy' | 'listener';
  symbol: string;
  strategy_id: string;
}

export interface StrategyEvaluatorOptions {
  /** Builds a fresh set of strategy instances for one symbol; called once per symbol. */
  createStrategies: (symbol: string) => Strategy[];
  /** Receives errors thrown by strategies and listeners; default: ignore. Must not throw. */
  onError?: (err: unknown, context: EvaluatorErrorContext) => void;
}

export class StrategyEvaluator {
  private readonly perSymbol = new Map<string, Strategy[]>();
  private listeners: SignalListener[] = [];
  private readonly createFor: (symbol: string) => Strategy[];
  private readonly onError: (err: unknown, context: EvaluatorErrorContext) => void;

  constructor(options: StrategyEvaluatorOptions) {
    this.createFor = options.createStrategies;
    this.onError = options.onError ?? (() => undefined);
  }

  /**
   * Feeds one CLOSED bar of `symbol` to each of its strategies, in registration order, and notifies
   * listeners synchronously of every non-HOLD signal, in that order, before returning. Bars of a
   * symbol must arrive in time order (the source contract guarantees it). A throwing strategy is
   * reported and skipped for this bar; a throwing listener is reported and the others still run.
   * Returns the signals it published. With `silent`, strategies advance but listeners are not told (warm-up
   * from history: old signals are not news).
   */
  onClosedBar(symbol: string, bar: Bar, options: { silent?: boolean } = {}): TradingSignal[] {
    let strategies = this.perSymbol.get(symbol);
    if (!strategies) {
      strategies = this.createFor(symbol);
      this.perSymbol.set(symbol, strategies);
    }
    const published: TradingSignal[] = [];
    for (const strategy of strategies) {
      let s;
      try {
        s = strategy.onBar(bar);
      } catch (err) {
        this.report(err, { where: 'strategy', symbol, strategy_id: strategy.id });
        continue;
      }
      if (!s || s.signal_type === 'HOLD') continue;
      const signal: TradingSignal = {
        symbol,
        strategy_id: strategy.id,
        signal_type: s.signal_type,
        confidence: s.confidence,
        price: s.price,
        timestamp: new Date(s.time).toISOString(),
        reason: s.reason,
      };
      published.push(signal);
      if (options.silent) continue;
      // snapshot: a listener that (un)subscribes during dispatch affects the next signal, not this one
      for (const listener of this.listeners) {
        try {
          listener(signal);
        } catch (err) {
          this.report(err, { where: 'listener', symbol, strategy_id: strategy.id });
        }
      }
    }
    return published;
  }

  /** Registers a listener; returns the function that removes it (idempotent). */
  onSignal(listener: SignalListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Symbols that have strategy instances (i.e. have received at least one bar). */
  symbols(): string[] {
    return [...this.perSymbol.keys()];
  }

  /** Resets the strategies of one symbol, or of all symbols. */
  reset(symbol?: string): void {
    for (const [sym, strategies] of this.perSymbol) {
      if (symbol === undefined || sym === symbol) for (const s of strategies) s.reset();
    }
  }

  private report(err: unknown, context: EvaluatorErrorContext): void {
    try {
      this.onError(err, context);
    } catch {
      // onError must not throw; if it does, evaluation carries on regardless
    }
  }
}
