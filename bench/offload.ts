/**
 * Heavy work and the event loop (issue 18): `/health` latency and a bar subscriber's update gaps while 20 chart-history
 * requests (daily bars, distinct ranges) and 4 backtests (3 months of 1-minute bars) run, with the work on the event
 * loop ("before") and on the worker pool ("after"). One process, loopback, bounded: one load round per variant.
 * Run: npx tsx bench/offload.ts   (figures to bench/results/offload-<time>.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import WebSocket from 'ws';
import { buildApp } from '../src/app.ts';
import { defaultConfig, type Config } from '../src/config.ts';
import { SimulatedSource } from '../src/market/source-simulated.ts';
import { createComputePool, historyOffload } from '../src/workers/history-offload.ts';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

async function variant(offload: boolean): Promise<Record<string, number>> {
  const pool = offload ? createComputePool() : undefined;
  const config: Config = { ...defaultConfig(), port: 0, host: '127.0.0.1' };
  config.http = { ...config.http, expensiveRatePerMin: 100_000 };
  config.backtest = { ...config.backtest, startsPerMinute: 1000, maxConcurrent: 4 };
  const source = new SimulatedSource({ tickIntervalMs: 20, generate: pool ? historyOffload(pool) : undefined, historyCacheBars: 0 });
  const app = buildApp(config, { source, computePool: pool, log: () => undefined });
  const { port } = await app.start();
  const base = `http://127.0.0.1:${port}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`);
  await new Promise((r) => ws.once('open', r));
  const arrivals: number[] = [];
  ws.on('message', (d) => { if (d.toString().includes('"bars.update"')) arrivals.push(performance.now()); });
  ws.send(JSON.stringify({ type: 'bars.subscribe', id: 's', payload: { symbol: 'AAPL', resolution: '1' } }));
  await new Promise((r) => setTimeout(r, 1000));
  const health: number[] = [];
  let polling = true;
  const poller = (async () => {
    for (let i = 0; polling && i < 2000; i++) {
      const t = performance.now();
      await (await fetch(`${base}/health`)).arrayBuffer();
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const began = performance.now();
  const symbols = ['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA'];
  const history = Array.from({ length: 20 }, (_, i) => fetch(`${base}/dashboard/api/bars?symbol=${symbols[i % 5]}&resolution=D&count=${500 - i}`).then((r) => r.arrayBuffer()));
  const ids = await Promise.all(Array.from({ length: 4 }, async (_, i) => {
    const res = await fetch(`${base}/api/backtesting/start?stream=false`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `b${i}`, symbol: symbols[i], timeframes: ['1'], start_date: '2024-01-01', end_date: '2024-03-31', strategy_ids: ['rsi', 'ma_crossover'] }) });
    return ((await res.json()) as { backtest_id: string }).backtest_id;
  }));
  await Promise.all(history);
  for (let i = 0; i < 1200; i++) {
    const states = await Promise.all(ids.map(async (id) => ((await (await fetch(`${base}/api/backtesting/${id}`)).json()) as { status: string }).status));
    if (states.every((s) => s === 'completed' || s === 'failed')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const loadMs = performance.now() - began;
  polling = false;
  await poller;
  const during = arrivals.filter((t) => t >= began && t <= began + loadMs);
  const gaps = during.slice(1).map((t, i) => t - during[i]!);
  ws.close();
  await app.stop();
  await pool?.close();
  return {
    load_s: +(loadMs / 1000).toFixed(1),
    updates: during.length,
    gap_p99_ms: +pct(gaps, 99).toFixed(0),
    gap_max_ms: +Math.max(0, ...gaps).toFixed(0),
    health_p99_ms: +pct(health, 99).toFixed(0),
    health_max_ms: +Math.max(0, ...health).toFixed(0),
  };
}

const before = await variant(false);
const after = await variant(true);
const machine = { cores: availableParallelism(), loadavg_1m: +loadavg()[0]!.toFixed(1), node: process.version };
console.log('20 history requests (daily bars) + 4 backtests (3 months of 1-minute bars); bar stream every 20 ms');
console.log(`machine: ${machine.cores} cores, load average ${machine.loadavg_1m} (shared: figures are noisy)`);
console.log('                 load s  updates  gap p99  gap max  /health p99  /health max');
for (const [name, r] of [['event loop', before], ['worker pool', after]] as const) {
  console.log(`  ${name.padEnd(13)} ${String(r.load_s).padStart(6)}  ${String(r.updates).padStart(7)}  ${String(r.gap_p99_ms).padStart(5)} ms  ${String(r.gap_max_ms).padStart(5)} ms  ${String(r.health_p99_ms).padStart(8)} ms  ${String(r.health_max_ms).padStart(8)} ms`);
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/offload-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ machine, before, after }, null, 2));
console.log(`written ${file}`);
