/**
 * How fast the simulated market generates history (it feeds strategy warm-up, chart backfill and backtests).
 * Bounded: 5 rounds per case. Run: npx tsx bench/history.ts
 */
import { SimulatedSource } from '../src/market/source-simulated.ts';
import { US_EQUITY_SESSION } from '../src/market/session.ts';
import type { Resolution } from '../src/market/source.ts';

const from = Date.UTC(2024, 0, 1);
const to = Date.UTC(2025, 0, 1);
const cases: { label: string; source: SimulatedSource; resolution: Resolution }[] = [
  { label: '1-minute, 24/7', source: new SimulatedSource({ historyCacheBars: 0 }), resolution: '1' },
  { label: '1-minute, US session', source: new SimulatedSource({ session: US_EQUITY_SESSION, historyCacheBars: 0 }), resolution: '1' },
  { label: '60-minute, 24/7', source: new SimulatedSource({ historyCacheBars: 0 }), resolution: '60' },
  { label: 'daily, 24/7', source: new SimulatedSource({ historyCacheBars: 0 }), resolution: 'D' },
];

console.log('one year of history for one symbol (median of 5 runs)');
for (const c of cases) {
  const times: number[] = [];
  let bars = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    bars = (await c.source.history('AAPL', c.resolution, from, to)).length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const ms = times[2]!;
  console.log(`  ${c.label.padEnd(22)} ${String(bars).padStart(7)} bars  ${ms.toFixed(0).padStart(5)} ms  ${((bars / ms) * 1000 / 1e6).toFixed(2)} M bars/s`);
}
