/**
 * Indicators over candle sequences, as pure functions (the oldest candle first). RSI reuses the live strategy's
 * incremental Wilder RSI (src/trading/strategy-rsi.ts), so the confluence momentum and the `rsi` strategy always
 * agree on the same bars.
 */
import type { Bar } from '../market/source.ts';
import { RsiStrategy } from '../trading/strategy-rsi.ts';

/** Simple moving average of the last `period` closes; undefined when there are fewer closes. */
export function sma(bars: readonly Pick<Bar, 'close'>[], period: number): number | undefined {
  if (!(Number.isInteger(period) && period >= 1) || bars.length < period) return undefined;
  let sum = 0;
  for (let i = bars.length - period; i < bars.length; i++) sum += bars[i]!.close;
  return sum / period;
}

/**
 * Wilder RSI(period) after the last bar; undefined during warm-up (fewer than period + 1 closes). Computed over
 * the whole sequence, so a longer history converges closer to the RSI of the full series.
 */
export function rsi(bars: readonly Bar[], period = 14): number | undefined {
  const r = new RsiStrategy({ period });
  for (const b of bars) r.onBar(b);
  return r.rsi;
}
