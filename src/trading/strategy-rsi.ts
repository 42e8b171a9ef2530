/**
 * RSI with Wilder's smoothing. BUY when RSI crosses up through `oversold`, SELL when it crosses
 * down through `overbought`, HOLD otherwise. Incremental: O(1) per bar.
 *
 * Wilder RSI over period n: the first average gain/loss is the simple mean of the first n close-to-close
 * changes (so the first RSI comes on bar n+1); afterwards avg = (avg * (n - 1) + current) / n.
 * RSI = 100 - 100 / (1 + avgGain / avgLoss); 100 when avgLoss = 0 (50 when both are 0).
 */
import type { Bar } from '../market/source.ts';
import type { Strategy, StrategySignal } from './strategy.ts';

export interface RsiParams {
  /** Default 14. Integer ≥ 1. */
  period: number;
  /** Default 30. */
  oversold: number;
  /** Default 70. Must be > oversold. */
  overbought: number;
}

export const RSI_DEFAULTS: Readonly<RsiParams> = Object.freeze({ period: 14, oversold: 30, overbought: 70 });

export class RsiStrategy implements Strategy {
  readonly id = 'rsi';
  readonly name: string;
  readonly params: Readonly<RsiParams>;
  private prevClose: number | undefined;
  private changes = 0;
  private avgGain = 0;
  private avgLoss = 0;
  private prevRsi: number | undefined;
  /** Most extreme RSI of the current excursion below oversold / above overbought. */
  private low = Infinity;
  private high = -Infinity;

  /** Throws (a plain Error) on invalid parameters; createStrategies turns that into a coded value. */
  constructor(params: Partial<RsiParams> = {}) {
    const p = { ...RSI_DEFAULTS, ...params };
    if (!Number.isInteger(p.period) || p.period < 1) throw new Error(`period must be an integer >= 1 (got ${p.period})`);
    if (!(p.oversold > 0 && p.oversold < p.overbought && p.overbought < 100)) {
      throw new Error(`need 0 < oversold < overbought < 100 (got ${p.oversold}/${p.overbought})`);
    }
    this.params = Object.freeze(p);
    this.name = `RSI (${p.period}, ${p.oversold}/${p.overbought})`;
  }

  /** The current RSI, or undefined during warm-up (fewer than period + 1 closes). */
  get rsi(): number | undefined {
    return this.prevRsi;
  }

  /**
   * Confidence: BUY = 0.5 + 0.5 * (oversold - lowest RSI of the excursion) / oversold;
   * SELL = 0.5 + 0.5 * (highest RSI of the excursion - overbought) / (100 - overbought).
   * A brief dip just below the threshold gives ~0.5; a dip to RSI 0 (or a spike to 100) gives 1.
   */
  onBar(bar: Bar): StrategySignal | null {
    const { period, oversold, overbought } = this.params;
    const prevClose = this.prevClose;
    this.prevClose = bar.close;
    if (prevClose === undefined) return null;
    const change = bar.close - prevClose;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    this.changes++;
    if (this.changes < period) {
      this.avgGain += gain;
      this.avgLoss += loss;
      return null;
    }
    if (this.changes === period) {
      this.avgGain = (this.avgGain + gain) / period;
      this.avgLoss = (this.avgLoss + loss) / period;
    } else {
      this.avgGain = (this.avgGain * (period - 1) + gain) / period;
      this.avgLoss = (this.avgLoss * (period - 1) + loss) / period;
    }
    const rsi = rsiOf(this.avgGain, this.avgLoss);
    const prev = this.prevRsi;
    this.prevRsi = rsi;
    if (rsi <= oversold) this.low = Math.min(this.low, rsi);
    if (rsi >= overbought) this.high = Math.max(this.high, rsi);

    let signal: StrategySignal = { signal_type: 'HOLD', confidence: 0, price: bar.close, reason: `RSI ${rsi.toFixed(2)}`, time: bar.time };
    if (prev !== undefined && prev <= oversold && rsi > oversold) {
      const confidence = Math.min(1, 0.5 + (0.5 * (oversold - this.low)) / oversold);
      signal = { ...signal, signal_type: 'BUY', confidence, reason: `RSI crossed up through ${oversold}: ${prev.toFixed(2)} -> ${rsi.toFixed(2)}` };
    } else if (prev !== undefined && prev >= overbought && rsi < overbought) {
      const confidence = Math.min(1, 0.5 + (0.5 * (this.high - overbought)) / (100 - overbought));
      signal = { ...signal, signal_type: 'SELL', confidence, reason: `RSI crossed down through ${overbought}: ${prev.toFixed(2)} -> ${rsi.toFixed(2)}` };
    }
    if (rsi > oversold) this.low = Infinity;
    if (rsi < overbought) this.high = -Infinity;
    return signal;
  }

  reset(): void {
    this.prevClose = undefined;
    this.changes = 0;
    this.avgGain = 0;
    this.avgLoss = 0;
    this.prevRsi = undefined;
    this.low = Infinity;
    this.high = -Infinity;
  }
}

function rsiOf(avgGain: number, avgLoss: number): number {
  if (avgLoss === 0) return avgGain === 0 ? 50 : 100;
  return 100 - 100 / (1 + avgGain / avgLoss);
}
