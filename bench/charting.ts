/**
 * Charting benchmarks (issue 16): (1) `bars.history` latency for 5,000 1-minute bars over /api/v1/ws and over
 * /udf/history, on the simulated market; (2) book update fan-out: `book:AAPL:10` at ~100 updates/s to 1,000
 * subscribers (one connection each, in a child process), measuring delivered updates/s, u gaps, latency and the
 * server's CPU. Bounded: 40 history requests per path, a 10 s fan-out window. Run: npx tsx bench/charting.ts
 * Results: a table on stdout and bench/results/charting-<timestamp>.json. On a shared machine the figures move with
 * the load average (printed beside them).
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { buildApp } from '../src/app.ts';
import { defaultConfig, type Config } from '../src/config.ts';
import { SimulatedSource } from '../src/market/source-simulated.ts';
import { codeVersion, percentile, sleep } from './common.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const FANOUT_MS = Number(process.env.BENCH_FANOUT_MS ?? 10_000);
const REQUESTS = 40;

function config(): Config {
  const c = defaultConfig();
  return { ...c, port: 0, host: '127.0.0.1', websocket: { ...c.websocket, maxConnections: SUBSCRIBERS + 50, rateLimitPerSec: 1000, rateBurst: 1000 } } as Config;
}

async function historyBench(base: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws`);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const pending = new Map<string, (m: any) => void>();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    pending.get(m.id)?.(m);
  });
  const ask = (payload: object, id: string) => new Promise<any>((resolve) => {
    pending.set(id, resolve);
    ws.send(JSON.stringify({ type: 'bars.history', id, payload }));
  });
  const wsTimes: number[] = [];
  let bytes = 0;
  const base0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < REQUESTS; i++) {
    const to = base0 + i * 7 * 86_400_000; // a different window each time: no cache can answer it
    const t = performance.now();
    const reply = await ask({ symbol: 'AAPL', resolution: '1', to, countBack: 5000 }, `h${i}`);
    wsTimes.push(performance.now() - t);
    if (reply.payload.bars.length !== 5000) throw new Error(`expected 5000 bars, got ${reply.payload.bars.length}`);
    bytes = JSON.stringify(reply).length;
  }
  ws.close();
  const udfTimes: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const to = (base0 + i * 7 * 86_400_000 + 3 * 86_400_000) / 1000;
    const t = performance.now();
    const body = (await (await fetch(`${base}/udf/history?symbol=AAPL&resolution=1&from=${to - 86_400 * 30}&to=${to}&countback=5000`)).json()) as any;
    udfTimes.push(performance.now() - t);
    if (body.t.length !== 5000) throw new Error(`UDF: expected 5000 bars, got ${body.t.length}`);
  }
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { p50_ms: +percentile(s, 50).toFixed(1), p95_ms: +percentile(s, 95).toFixed(1), max_ms: +s.at(-1)!.toFixed(1) };
  };
  return { ws: { ...stat(wsTimes), reply_bytes: bytes }, udf: stat(udfTimes), load: loadavg()[0] };
}

async function fanoutBench(base: string) {
  const child = fork(path.join(here, 'charting-clients.ts'), [`${base.replace('http', 'ws')}/api/v1/ws`, 'book:AAPL:10', String(SUBSCRIBERS)], { execArgv: ['--import', 'tsx'] });
  const ask = <T>(msg: string, key: string) => new Promise<T>((resolve) => {
    const on = (m: any) => {
      if (key in m) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    child.send(msg);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { ready } = await ask<{ ready: number }>('ready?', 'ready');
    if (ready >= SUBSCRIBERS) break;
    if (Date.now() > deadline) throw new Error(`only ${ready} of ${SUBSCRIBERS} subscribers after 60 s`);
    await sleep(200);
  }
  await sleep(1000);
  await ask('reset', 'reset');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(FANOUT_MS);
  const report = await ask<{ received: number; gaps: number; published: number; p50: number; p99: number; max: number }>('report', 'received');
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  child.send('exit');
  const deliveredPerSec = report.received / secs;
  return {
    subscribers: SUBSCRIBERS,
    seconds: +secs.toFixed(1),
    published_per_s: +(report.published / secs).toFixed(1),
    updates_per_s_per_subscriber: +(deliveredPerSec / SUBSCRIBERS).toFixed(1),
    delivered_per_s: Math.round(deliveredPerSec),
    u_gaps: report.gaps,
    latency_p50_ms: report.p50,
    latency_p99_ms: report.p99,
    latency_max_ms: report.max,
    server_cpu_pct: +(((cpu.user + cpu.system) / 1000 / (secs * 1000)) * 100).toFixed(0),
    server_cpu_us_per_delivery: +(((cpu.user + cpu.system) / Math.max(1, report.received))).toFixed(2),
    load: loadavg()[0],
  };
}

// The market is driven here at RATE ticks/s with catch-up (a 10 ms interval timer falls behind on a loaded machine);
// its own timer is set slow so it barely adds ticks. One tick = one trade = (nearly always) one book update.
const RATE = 100;
const source = new SimulatedSource({ symbols: ['AAPL', 'MSFT'], tickIntervalMs: 60_000, tickMarketMs: 10, continueFromHistory: true });
let stepped = 0;
const driveStart = performance.now();
const driver = setInterval(() => {
  const due = Math.floor(((performance.now() - driveStart) / 1000) * RATE);
  if (due > stepped) source.step(due - stepped);
  stepped = due;
}, 20);
const app = buildApp(config(), { source, log: () => undefined });
const { port } = await app.start();
const base = `http://127.0.0.1:${port}`;
try {
  console.log('bars.history: 5,000 1-minute bars per request (simulated market; 40 requests, each a new window)');
  const h = await historyBench(base);
  console.log(`  /api/v1/ws bars.history  p50 ${h.ws.p50_ms} ms  p95 ${h.ws.p95_ms} ms  max ${h.ws.max_ms} ms  (${(h.ws.reply_bytes / 1024).toFixed(0)} KiB per reply)`);
  console.log(`  /udf/history             p50 ${h.udf.p50_ms} ms  p95 ${h.udf.p95_ms} ms  max ${h.udf.max_ms} ms   load ${h.load.toFixed(2)}`);
  console.log(`book fan-out: book:AAPL:10 at ~100 updates/s to ${SUBSCRIBERS} subscribers for ${FANOUT_MS / 1000} s`);
  const f = await fanoutBench(base);
  console.log(`  ${f.published_per_s} updates/s published, ${f.updates_per_s_per_subscriber} received per subscriber, ${f.delivered_per_s} deliveries/s, u gaps ${f.u_gaps}`);
  console.log(`  latency p50 ${f.latency_p50_ms} ms  p99 ${f.latency_p99_ms} ms  max ${f.latency_max_ms} ms`);
  console.log(`  server CPU ${f.server_cpu_pct}% of a core (${f.server_cpu_us_per_delivery} µs per delivery)   load ${f.load.toFixed(2)}`);
  mkdirSync(path.join(here, 'results'), { recursive: true });
  const file = path.join(here, 'results', `charting-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ code: codeVersion(), history: h, fanout: f }, null, 2));
  console.log(`results: ${path.relative(process.cwd(), file)}`);
} finally {
  clearInterval(driver);
  await app.stop();
}
