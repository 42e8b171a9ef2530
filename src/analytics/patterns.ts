/**
 * Candlestick patterns on one closed candle, as the contract's PatternData describes them. Pure functions.
 *
 * With body = |close − open|, range = high − low, upper wick = high − max(open, close),
 * lower wick = min(open, close) − low (a candle with range 0 has no pattern):
 * - bullish_engulfing: the previous candle is bearish (close < open), this one bullish (close > open), and this
 *   body fully covers the previous one (open ≤ previous close, close ≥ previous open) and is larger.
 *   strength = 1 − previous body / this body.  bearish_engulfing: the mirror image.
 * - doji: body ≤ 10% of the range; direction neutral; strength = 1 − 5 × body / range (1 for no body,
 *   0.5 at the 10% limit).
 * - hammer: lower wick ≥ 2 × body and upper wick ≤ body, after a decline; bullish; strength = lower wick / range.
 * - shooting_star: upper wick ≥ 2 × body and lower wick ≤ body, after an advance; bearish;
 *   strength = upper wick / range.
 * "After a decline" = the close before this candle is below the close TREND_LOOKBACK (3) candles earlier;
 * "after an advance" = above it. Without that much history, hammer and shooting star are not detected.
 * One candle may show several patterns (a dragonfly doji after a decline is both a doji and a hammer).
 * Strengths are rounded to 4 decimals.
 */
import type { PatternData } from '../../generated/types.ts';
import type { Bar } from '../market/source.ts';

export type PatternName = PatternData['pattern'];
export type Direction = PatternData['direction'];

export interface PatternDetection {
  pattern: PatternName;
  direction: Direction;
  /** `time` of the candle that shows the pattern */
  time: number;
  /** 0..1 */
  strength: number;
}

export const DOJI_BODY_RATIO = 0.1;
export const WICK_MULTIPLE = 2;
export const TREND_LOOKBACK = 3;

type Candle = Pick<Bar, 'time' | 'open' | 'high' | 'low' | 'close'>;

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/** The patterns the candle at `index` (default: the last) shows, given the candles before it. */
export function detectPatterns(bars: readonly Candle[], index = bars.length - 1): PatternDetection[] {
  const c = bars[index];
  if (!c) return [];
  const range = c.high - c.low;
  if (!(range > 0)) return [];
  const out: PatternDetection[] = [];
  const found = (pattern: PatternName, direction: Direction, strength: number): void => {
    out.push({ pattern, direction, time: c.time, strength: round4(clamp01(strength)) });
  };
  const body = Math.abs(c.close - c.open);
  const upper = c.high - Math.max(c.open, c.close);
  const lower = Math.min(c.open, c.close) - c.low;

  const p = bars[index - 1];
  if (p) {
    const pBody = Math.abs(p.close - p.open);
    if (p.close < p.open && c.close > c.open && c.open <= p.close && c.close >= p.open && body > pBody) {
      found('bullish_engulfing', 'bullish', 1 - pBody / body);
    }
    if (p.close > p.open && c.close < c.open && c.open >= p.close && c.close <= p.open && body > pBody) {
      found('bearish_engulfing', 'bearish', 1 - pBody / body);
    }
  }
  if (body <= DOJI_BODY_RATIO * range) found('doji', 'neutral', 1 - (5 * body) / range);

  const before = bars[index - 1];
  const earlier = bars[index - 1 - TREND_LOOKBACK];
  if (before && earlier) {
    if (before.close < earlier.close && lower >= WICK_MULTIPLE * body && upper <= body) found('hammer', 'bullish', lower / range);
    if (before.close > earlier.close && upper >= WICK_MULTIPLE * body && lower <= body) found('shooting_star', 'bearish', upper / range);
  }
  return out;
}

/**
 * The signed pattern reading used by the confluence score: the most recent candle within the last `lookback`
 * candles that shows any pattern; Σ direction × strength of its patterns (bullish +1, bearish −1, neutral 0),
 * clamped to −1..1; 0 when none of those candles shows a pattern.
 */
export function latestPatternSignal(bars: readonly Candle[], lookback = 5): number {
  for (let i = bars.length - 1; i >= Math.max(0, bars.length - lookback); i--) {
    const found = detectPatterns(bars, i);
    if (!found.length) continue;
    const sum = found.reduce((s, d) => s + (d.direction === 'bullish' ? d.strength : d.direction === 'bearish' ? -d.strength : 0), 0);
    return Math.max(-1, Math.min(1, round4(sum)));
  }
  return 0;
}
