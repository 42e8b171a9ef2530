/**
 * The full seed-003 path for one year of 1-minute bars: POST /api/backtesting/start → stream client connects →
 * the run loads 525 600 simulated bars, runs, and streams every event → `complete`. Prints the wall time from the
 * POST to the complete message and the message counts. Bounded: RUNS runs per strategy, then the server stops.
 * Run: npx tsx bench/backtest-e2e.ts
 */
import WebSocket from 'ws';
import { buildApp } from '../src/app.ts';
import { defaultConfig } from '../src/config.ts';

const RUNS = 3;
const app = buildApp({ ...defaultConfig(), port: 0 }, { log: () => undefined });
const { port } = await app.start();
const base = `http://127.0.0.1:${port}`;

async function once(strategy: string): Promise<{ ms: number; counts: Record<string, number>; bytes: number; candles: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/backtesting/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', symbol: 'AAPL', timeframes: ['1'], start_date: '2023-01-01', end_date: '2023-12-31', strategy_ids: [strategy], fee_bps: 1, slippage_bps: 1 }),
  });
  const { stream_url } = (await res.json()) as { stream_url: string };
  const counts: Record<string, number> = {};
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(stream_url);
    const timer = setTimeout(() => reject(new Error('no complete within 120 s')), 120_000);
    ws.on('message', (data) => {
      bytes += (data as Buffer).length;
      const m = JSON.parse(data.toString());
      counts[m.type] = (counts[m.type] ?? 0) + 1;
      if (m.type === 'complete' || m.type === 'error') {
        clearTimeout(timer);
        const ms = performance.now() - t0;
        ws.close();
        if (m.type === 'error') reject(new Error(m.data.message));
        else resolve({ ms, counts, bytes, candles: m.data.num_candles });
      }
    });
    ws.on('error', reject);
  });
}

try {
  console.log(`node ${process.version}; one year (2023) of 1-minute AAPL bars from the simulated source, fee 1 bp, slippage 1 bp, progress every 100 candles`);
  for (const strategy of ['ma_crossover', 'rsi']) {
    const times: number[] = [];
    let last: Awaited<ReturnType<typeof once>> | undefined;
    for (let i = 0; i < RUNS; i++) {
      last = await once(strategy);
      times.push(last.ms);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(
      `${strategy.padEnd(12)} POST→complete median ${sorted[Math.floor(RUNS / 2)]!.toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')});` +
        ` ${last!.candles.toLocaleString('en-US')} candles; messages ${JSON.stringify(last!.counts)}; ${(last!.bytes / 1e6).toFixed(1)} MB streamed`,
    );
  }
} finally {
  await app.stop();
}
