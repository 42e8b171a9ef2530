/**
 * The confluence score (contract ConfluenceData): four components, each in −1..1, weighted into one number.
 *
 * - trend (weight 0.3): market structure trend: up = 1, down = −1, range = 0 (structure.ts).
 * - momentum (weight 0.25): RSI(14) mapped from 0..100 to 1..−1 around 50, exactly as the contract words it:
 *   (50 − RSI) / 50, so an oversold market (RSI 0) reads +1 and an overbought one (RSI 100) −1; 0 during warm-up.
 * - moving_average (weight 0.25): gap of SMA(10) over SMA(30) as a fraction of SMA(30), full scale at 0.5%:
 *   clamp((fast − slow) / slow / 0.005, −1, 1); 0 during warm-up.
 * - pattern (weight 0.2): latestPatternSignal over the last 5 candles (patterns.ts).
 * score = 100 × Σ weight × component, rounded to 2 decimals (−100..100). bias: bullish when score ≥ 20,
 * bearish when score ≤ −20, else neutral. Components are rounded to 4 decimals.
 */
import type { ConfluenceData } from '../../generated/types.ts';
import type { Bar } from '../market/source.ts';
import { rsi, sma } from './indicators.ts';
import { latestPatternSignal } from './patterns.ts';
import { marketStructure, type Trend } from './structure.ts';

export const CONFLUENCE_WEIGHTS = Object.freeze({ trend: 0.3, momentum: 0.25, moving_average: 0.25, pattern: 0.2 });
export const BIAS_THRESHOLD = 20;
export const RSI_PERIOD = 14;
export const FAST_SMA = 10;
export const SLOW_SMA = 30;
export const FULL_SCALE_GAP = 0.005;
export const PATTERN_LOOKBACK = 5;

export type Confluence = Pick<ConfluenceData, 'score' | 'bias' | 'components'>;

export interface ConfluenceInputs {
  trend: Trend;
  /** undefined during warm-up */
  rsi?: number;
  fastSma?: number;
  slowSma?: number;
  /** −1..1 (latestPatternSignal) */
  pattern: number;
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;
const clamp1 = (x: number): number => Math.max(-1, Math.min(1, x));

export function confluence(inputs: ConfluenceInputs): Confluence {
  const trend = inputs.trend === 'up' ? 1 : inputs.trend === 'down' ? -1 : 0;
  const momentum = inputs.rsi === undefined ? 0 : clamp1((50 - inputs.rsi) / 50);
  const { fastSma: fast, slowSma: slow } = inputs;
  const moving_average = fast === undefined || slow === undefined || !(slow !== 0) ? 0 : clamp1((fast - slow) / slow / FULL_SCALE_GAP);
  const pattern = clamp1(inputs.pattern);
  const components = {
    trend: round(trend, 4),
    momentum: round(momentum, 4),
    moving_average: round(moving_average, 4),
    pattern: round(pattern, 4),
  };
  const w = CONFLUENCE_WEIGHTS;
  const raw = 100 * (w.trend * trend + w.momentum * momentum + w.moving_average * moving_average + w.pattern * pattern);
  const score = Math.max(-100, Math.min(100, round(raw, 2))) + 0; // + 0 turns −0 into 0
  const bias = score >= BIAS_THRESHOLD ? 'bullish' : score <= -BIAS_THRESHOLD ? 'bearish' : 'neutral';
  return { score, bias, components };
}

/** Confluence after the last candle of `bars` (oldest first), every component computed from the sequence. */
export function confluenceOf(bars: readonly Bar[], trend: Trend = marketStructure(bars).trend): Confluence {
  return confluence({
    trend,
    rsi: rsi(bars, RSI_PERIOD),
    fastSma: sma(bars, FAST_SMA),
    slowSma: sma(bars, SLOW_SMA),
    pattern: latestPatternSignal(bars, PATTERN_LOOKBACK),
  });
}
