/**
 * Moving-average crossover: BUY when the fast average crosses above the slow one, SELL when it
 * crosses below, HOLD otherwise. Incremental: O(1) per bar (running sum over a ring buffer for
 * SMA; the usual recursive update for EMA, seeded with the SMA of its first `period` closes).
 */
import type { Bar } from '../market/source.ts';
import type { Strategy, StrategySignal } from './strategy.ts';

export interface MaCrossoverParams {
  /** Fast period in bars; default 10. Integer ≥ 1 and < slow. */
  fast: number;
  /** Slow period in bars; default 30. */
  slow: number;
  /** 'sma' (default) or 'ema'. */
  kind: 'sma' | 'ema';
  /**
   * How decisive a cross must be for confidence 1, in multiples of the usual bar-to-bar change of the gap
   * (fast - slow); default 2. confidence = min(1, |Δgap| / (fullConfidenceSwing × mean|Δgap|)), where Δgap is this
   * bar's change of the gap and mean|Δgap| an EMA (period `slow`) of it over the bars before. Scale-free: the same
   * value works for any instrument and timeframe. (The gap itself is ~0 at any cross, so it cannot be the measure.)
   */
  fullConfidenceSwing: number;
}

export const MA_CROSSOVER_DEFAULTS: Readonly<MaCrossoverParams> = Object.freeze({
  fast: 10,
  slow: 30,
  kind: 'sma',
  fullConfidenceSwing: 2,
});

/** An incremental moving average; `value` is undefined until `period` values have been seen. */
interface MovingAverage {
  push(x: number): number | undefined;
  reset(): void;
}

class Sma implements MovingAverage {
  private readonly ring: Float64Array;
  private count = 0;
  private sum = 0;
  constructor(private readonly period: number) {
    this.ring = new Float64Array(period);
  }
  push(x: number): number | undefined {
    const slot = this.count % this.period;
    if (this.count >= this.period) this.sum -= this.ring[slot]!;
    this.ring[slot] = x;
    this.sum += x;
    this.count++;
    return this.count >= this.period ? this.sum / this.period : undefined;
  }
  reset(): void {
    this.count = 0;
    this.sum = 0;
  }
}

class Ema implements MovingAverage {
  private readonly alpha: number;
  private count = 0;
  private seedSum = 0;
  private value = 0;
  constructor(private readonly period: number) {
    this.alpha = 2 / (period + 1);
  }
  push(x: number): number | undefined {
    this.count++;
    if (this.count < this.period) {
      this.seedSum += x;
      return undefined;
    }
    if (this.count === this.period) this.value = (this.seedSum + x) / this.period;
    else this.value += this.alpha * (x - this.value);
    return this.value;
  }
  reset(): void {
    this.count = 0;
    this.seedSum = 0;
    this.value = 0;
  }
}

export class MaCrossoverStrategy implements Strategy {
  readonly id = 'ma_crossover';
  readonly name: string;
  readonly params: Readonly<MaCrossoverParams>;
  private readonly fastMa: MovingAverage;
  private readonly slowMa: MovingAverage;
  /** Sign (+1 fast above, -1 below) of the last non-zero gap; 0 before the first one. */
  private lastSign = 0;
  /** The previous bar's gap, and the EMA of |Δgap| over the bars before this one. */
  private lastGap: number | undefined;
  private meanSwing: number | undefined;

  /** Throws (a plain Error) on invalid parameters; createStrategies turns that into a coded value. */
  constructor(params: Partial<MaCrossoverParams> = {}) {
    const p = { ...MA_CROSSOVER_DEFAULTS, ...params };
    if (!Number.isInteger(p.fast) || !Number.isInteger(p.slow) || p.fast < 1 || p.fast >= p.slow) {
      throw new Error(`fast and slow must be integers with 1 <= fast < slow (got ${p.fast}/${p.slow})`);
    }
    if (p.kind !== 'sma' && p.kind !== 'ema') throw new Error(`kind must be 'sma' or 'ema' (got ${String(p.kind)})`);
    if (!(p.fullConfidenceSwing > 0)) throw new Error('fullConfidenceSwing must be > 0');
    this.params = Object.freeze(p);
    const make = (n: number): MovingAverage => (p.kind === 'sma' ? new Sma(n) : new Ema(n));
    this.fastMa = make(p.fast);
    this.slowMa = make(p.slow);
    this.name = `MA crossover (${p.kind.toUpperCase()} ${p.fast}/${p.slow})`;
  }

  /**
   * A cross is a change of sign of (fast - slow), ignoring bars where the averages are exactly
   * equal; the first sign seen after warm-up establishes the state and is not a cross.
   */
  onBar(bar: Bar): StrategySignal | null {
    const fast = this.fastMa.push(bar.close);
    const slow = this.slowMa.push(bar.close);
    if (fast === undefined || slow === undefined) return null;
    const gap = fast - slow;
    const sign = gap > 0 ? 1 : gap < 0 ? -1 : 0;
    const previous = this.lastSign;
    if (sign !== 0) this.lastSign = sign;
    const swing = this.lastGap === undefined ? 0 : Math.abs(gap - this.lastGap);
    const usual = this.meanSwing;
    const confidence = usual === undefined ? 0 : usual === 0 ? (swing > 0 ? 1 : 0) : Math.min(1, swing / (this.params.fullConfidenceSwing * usual));
    if (this.lastGap !== undefined) {
      const alpha = 2 / (this.params.slow + 1);
      this.meanSwing = usual === undefined ? swing : usual + alpha * (swing - usual);
    }
    this.lastGap = gap;
    if (previous === -1 && sign === 1) {
      return { signal_type: 'BUY', confidence, price: bar.close, reason: `fast crossed above slow: ${this.describe(fast, slow)}`, time: bar.time };
    }
    if (previous === 1 && sign === -1) {
      return { signal_type: 'SELL', confidence, price: bar.close, reason: `fast crossed below slow: ${this.describe(fast, slow)}`, time: bar.time };
    }
    return { signal_type: 'HOLD', confidence: 0, price: bar.close, reason: 'no crossover', time: bar.time };
  }

  private describe(fast: number, slow: number): string {
    const k = this.params.kind.toUpperCase();
    return `${k}${this.params.fast}=${fast.toFixed(4)} ${k}${this.params.slow}=${slow.toFixed(4)}`;
  }

  reset(): void {
    this.fastMa.reset();
    this.slowMa.reset();
    this.lastSign = 0;
    this.lastGap = undefined;
    this.meanSwing = undefined;
  }
}
