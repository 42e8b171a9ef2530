/**
 * Market structure over a candle sequence (oldest first), as the contract's StructureData describes it. Pure.
 *
 * - A swing high is a candle whose high is strictly above the highs of the N candles on each side (N = 2); a
 *   swing low, a low strictly below the lows of the N candles on each side. A swing is confirmed only once N
 *   candles follow it, so the last N candles are never swings.
 * - trend: 'up' when the last two swing highs are rising AND the last two swing lows are rising (higher highs and
 *   higher lows); 'down' when both are falling; otherwise (including fewer than two of either) 'range'.
 * - The result keeps the most recent `keep` (5) swings of each kind, newest last.
 */
import type { StructureData, SwingPoint } from '../../generated/types.ts';
import type { Bar } from '../market/source.ts';

export type Trend = StructureData['trend'];

export interface Structure {
  trend: Trend;
  swing_highs: SwingPoint[];
  swing_lows: SwingPoint[];
}

export const SWING_N = 2;
export const SWINGS_KEPT = 5;

type Candle = Pick<Bar, 'time' | 'high' | 'low'>;

export function findSwings(bars: readonly Candle[], n = SWING_N): { highs: SwingPoint[]; lows: SwingPoint[] } {
  const highs: SwingPoint[] = [];
  const lows: SwingPoint[] = [];
  for (let i = n; i + n < bars.length; i++) {
    const c = bars[i]!;
    let isHigh = true;
    let isLow = true;
    for (let j = i - n; j <= i + n && (isHigh || isLow); j++) {
      if (j === i) continue;
      const o = bars[j]!;
      if (!(c.high > o.high)) isHigh = false;
      if (!(c.low < o.low)) isLow = false;
    }
    if (isHigh) highs.push({ time: c.time, price: c.high });
    if (isLow) lows.push({ time: c.time, price: c.low });
  }
  return { highs, lows };
}

export function trendOf(highs: readonly SwingPoint[], lows: readonly SwingPoint[]): Trend {
  if (highs.length < 2 || lows.length < 2) return 'range';
  const [h1, h2] = highs.slice(-2) as [SwingPoint, SwingPoint];
  const [l1, l2] = lows.slice(-2) as [SwingPoint, SwingPoint];
  if (h2.price > h1.price && l2.price > l1.price) return 'up';
  if (h2.price < h1.price && l2.price < l1.price) return 'down';
  return 'range';
}

export function marketStructure(bars: readonly Candle[], options: { n?: number; keep?: number } = {}): Structure {
  const { highs, lows } = findSwings(bars, options.n ?? SWING_N);
  const keep = options.keep ?? SWINGS_KEPT;
  return { trend: trendOf(highs, lows), swing_highs: highs.slice(-keep), swing_lows: lows.slice(-keep) };
}

/** True when two structures differ in trend or in any kept swing (what "publish when it changes" compares). */
export function structureChanged(a: Structure | undefined, b: Structure): boolean {
  if (!a) return true;
  if (a.trend !== b.trend) return true;
  const same = (x: SwingPoint[], y: SwingPoint[]): boolean =>
    x.length === y.length && x.every((p, i) => p.time === y[i]!.time && p.price === y[i]!.price);
  return !same(a.swing_highs, b.swing_highs) || !same(a.swing_lows, b.swing_lows);
}
