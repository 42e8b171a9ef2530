/**
 * The Redis scale-out bench (`npx tsx bench/redis.ts`, about 2–3 minutes, bounded, loopback only; `--quick`: one
 * round). It starts its own redis-server on a free loopback port (test/support/redis-server.ts; stopped by PID at the
 * end) and compares, at N = 1000 subscribers of one topic (2 minimal-client processes, bench/min-client.ts):
 *   memory  Tickwire's app on the in-memory broker with the publisher in the same process (bench/fanout-server.ts
 *           `tickwire`, its paced `rate` publisher), the single-node reference;
 *   redis   a publisher process (a Hub over its own RedisBroker) and an edge process (buildApp on a RedisBroker,
 *           bench/redis-node.ts) serving the clients: every publication crosses Redis (the Lua publish script:
 *           offset, history stream, snapshot, PUBLISH) before the edge fans it out.
 * Phase "compare" (memory and redis alternate within each round, at each rate): edge CPU per delivered message and
 * the ratio redis/memory; Redis CPU per publish (INFO cpu used_cpu_sys + used_cpu_user, before/after the window, per
 * publication in the window); publish→deliver latency p50/p99 (one client in 10 reads each message's publish time).
 * Phase "edges": the same 1000 subscribers split over 1 or 2 edge processes at rising rates, aggregate deliveries/s
 * with every process's CPU (edges, publisher, Redis, clients) so the 2-core ceiling is visible.
 * Results: a table on stdout and bench/results/redis-<timestamp>.json, with the load average of each figure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { startRedis } from '../test/support/redis-server.ts';
import { codeVersion, fmt, median, nowMs, percentile, sleep } from './common.ts';
import { killAll, spawn, split, waitCount, type Proc } from './procs.ts';

const here = dirname(fileURLToPath(import.meta.url));
const QUICK = process.argv.includes('--quick');
const numArg = (name: string, fallback: number[]) => {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return v === undefined ? fallback : v.split(',').map(Number);
};
const CFG = {
  n: 1000,
  clientProcs: 2,
  compareRates: numArg('rates', [100, 500]),
  compareRounds: numArg('rounds', [QUICK ? 1 : 2])[0]!,
  edgeRates: numArg('edge-rates', QUICK ? [1000] : [500, 1000, 2000]),
  warmupMs: 600,
  windowMs: QUICK ? 2000 : 3000,
  probeEvery: 10,
  concurrency: 250,
  budgetMs: 200_000,
  hardStopMs: 240_000,
};

const started = nowMs();
const elapsed = () => nowMs() - started;
let redisStop: (() => Promise<void>) | undefined;
const hardStop = setTimeout(() => {
  console.error(`bench/redis: hard stop after ${CFG.hardStopMs / 1000} s`);
  killAll();
  void redisStop?.().finally(() => process.exit(1));
  setTimeout(() => process.exit(1), 3000).unref();
}, CFG.hardStopMs);
hardStop.unref();

interface Measurement {
  phase: 'compare' | 'edges';
  setup: 'memory' | 'redis';
  edges: number;
  round: number;
  n: number;
  offeredPerSec: number;
  windowMs: number;
  publishedPerSec: number;
  deliveredPerSec: number;
  /** delivered / (published × n) in the window. */
  deliveryRatio: number;
  /** Σ edge CPU / delivered (memory: the one process, which also publishes). */
  edgeCpuUsPerMsg: number;
  edgeCpuPct: number[];
  publisherCpuPct?: number;
  /** redis-server CPU (INFO cpu) over the window, per publication, and as % of a core. */
  redisCpuUsPerPublish?: number;
  redisCpuPct?: number;
  /** As redisCpuUsPerPublish, less redis-server's idle CPU (measured with the edges connected, nothing published). */
  redisNetCpuUsPerPublish?: number;
  clientCpuPct: number[];
  skippedPublishes?: number;
  latencyMs?: { p50: number; p99: number; max: number; samples: number };
  loadavg1: number;
  error?: string;
}

/** What the bench needs of a Redis client: INFO. */
interface InfoClient { info(section: string): Promise<unknown> }

async function redisCpuUs(client: InfoClient): Promise<number> {
  const info = String(await client.info('cpu'));
  const get = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (get('used_cpu_sys') + get('used_cpu_user')) * 1e6;
}

async function measure(o: {
  phase: Measurement['phase']; setup: Measurement['setup']; round: number; rate: number;
  edges: Proc[]; publisher: Proc; clients: Proc[]; redis?: InfoClient;
}): Promise<Measurement> {
  const { edges, publisher, clients, rate } = o;
  const n = CFG.n;
  const base = { phase: o.phase, setup: o.setup, edges: edges.length, round: o.round, n, offeredPerSec: rate };
  const sameProc = edges.includes(publisher);
  try {
    const perEdge = split(n, edges.length);
    for (const [e, edge] of edges.entries()) {
      const per = split(perEdge[e]!, clients.length);
      const opened = await Promise.all(clients.map((c, i) => c.rpc({
        cmd: 'open', port: edge.port, path: '/api/v1/ws', count: per[i], proto: 'tickwire', probeEvery: CFG.probeEvery,
        concurrency: CFG.concurrency, timeoutMs: 20_000,
      }, 25_000)));
      const failed = opened.reduce((a, x) => a + x.failed, 0);
      if (failed) throw new Error(`${failed} connections failed`);
      const got = await waitCount(edge, 'subscribers', perEdge[e]!, 10_000);
      if (got !== perEdge[e]) throw new Error(`edge ${e}: only ${got} of ${perEdge[e]} subscribed`);
    }
    await publisher.rpc({ cmd: 'rate', rate });
    await sleep(CFG.warmupMs);
    const mark = () => Promise.all([...edges, ...(sameProc ? [] : [publisher])].map((p) => p.rpc({ cmd: 'mark' })));
    const [m0, r0] = await Promise.all([mark(), o.redis ? redisCpuUs(o.redis) : NaN, ...clients.map((c) => c.rpc({ cmd: 'start' }))]);
    await sleep(CFG.windowMs);
    const [m1, r1, ...stops] = await Promise.all([mark(), o.redis ? redisCpuUs(o.redis) : NaN, ...clients.map((c) => c.rpc({ cmd: 'stop' }))]);
    await publisher.rpc({ cmd: 'halt' });
    const cpu = (m: any) => m.cpu.user + m.cpu.system;
    const pubIdx = sameProc ? edges.indexOf(publisher) : edges.length;
    const pubSpanMs = m1[pubIdx].at - m0[pubIdx].at;
    const published = m1[pubIdx].published - m0[pubIdx].published;
    const delivered = stops.reduce((a, s) => a + s.received, 0);
    const ms = stops.reduce((a, s) => a + s.ms, 0) / stops.length;
    const edgeUs = edges.map((_, i) => cpu(m1[i]) - cpu(m0[i]));
    const all = Float64Array.from(stops.flatMap((s) => s.latencies as number[])).sort();
    const m: Measurement = {
      ...base,
      windowMs: ms,
      publishedPerSec: published / (pubSpanMs / 1000),
      deliveredPerSec: delivered / (ms / 1000),
      deliveryRatio: published ? delivered / (published * n) : 0,
      edgeCpuUsPerMsg: delivered ? edgeUs.reduce((a, b) => a + b, 0) / delivered : NaN,
      edgeCpuPct: edges.map((_, i) => (100 * edgeUs[i]!) / ((m1[i].at - m0[i].at) * 1000)),
      ...(sameProc ? {} : {
        publisherCpuPct: (100 * (cpu(m1[pubIdx]) - cpu(m0[pubIdx]))) / (pubSpanMs * 1000),
        skippedPublishes: m1[pubIdx].skipped - m0[pubIdx].skipped,
      }),
      ...(o.redis ? {
        redisCpuUsPerPublish: published ? (r1 - r0) / published : NaN,
        redisNetCpuUsPerPublish: published ? (r1 - r0 - (redisIdlePct / 100) * pubSpanMs * 1000) / published : NaN,
        redisCpuPct: (100 * (r1 - r0)) / (pubSpanMs * 1000),
      } : {}),
      clientCpuPct: stops.map((s) => (100 * s.cpuUs) / (s.ms * 1000)),
      latencyMs: { p50: percentile(all, 50), p99: percentile(all, 99), max: all.length ? all[all.length - 1]! : NaN, samples: all.length },
      loadavg1: m1[0].loadavg[0],
    };
    const open = stops.reduce((a, s) => a + s.open, 0);
    if (open !== n) m.error = `${n - open} connections closed during the window`;
    return m;
  } catch (err) {
    await publisher.rpc({ cmd: 'halt' }).catch(() => undefined);
    return { ...base, loadavg1: loadavg()[0]!, error: (err as Error).message } as Measurement;
  } finally {
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'close' }, 15_000).catch(() => undefined)));
    for (const e of edges) await waitCount(e, 'connections', 0, 5000).catch(() => undefined);
    await sleep(200);
  }
}

function line(m: Measurement): string {
  if (m.error && !m.deliveredPerSec) return `  ${m.setup.padEnd(6)} edges=${m.edges} rate=${m.offeredPerSec}: ERROR ${m.error}`;
  const l = m.latencyMs;
  return `  ${m.setup.padEnd(6)} edges=${m.edges} rate=${String(m.offeredPerSec).padStart(4)}/s  delivered ${fmt(m.deliveredPerSec / 1000)} k/s` +
    ` (${fmt(100 * m.deliveryRatio, 1)}%)  edge ${fmt(m.edgeCpuUsPerMsg, 3)} µs/msg [${m.edgeCpuPct.map((p) => fmt(p)).join('+')}% CPU]` +
    (m.publisherCpuPct !== undefined ? `  pub ${fmt(m.publisherCpuPct)}%` : '') +
    (m.redisCpuUsPerPublish !== undefined ? `  redis ${fmt(m.redisCpuUsPerPublish, 1)} µs/publish (${fmt(m.redisCpuPct!)}%)` : '') +
    `  clients ${m.clientCpuPct.map((p) => fmt(p)).join('+')}%` +
    (l ? `  p50 ${fmt(l.p50, 1)} p99 ${fmt(l.p99, 1)} ms` : '') + `  load ${fmt(m.loadavg1, 2)}` + (m.error ? `  (${m.error})` : '');
}

const results: Measurement[] = [];
/** redis-server's CPU (% of a core) with the nodes connected and nothing published (its cron, the directory, interest). */
let redisIdlePct = 0;
const redisStats: Record<string, number> = {};
const redisServer = await startRedis();
redisStop = () => redisServer.stop();
console.log(`redis-server pid ${redisServer.pid} on ${redisServer.url}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const info = createClient({ url: redisServer.url });
info.on('error', () => undefined);
await info.connect();
const procs: Proc[] = [];
try {
  const clients = await Promise.all(Array.from({ length: CFG.clientProcs }, () => spawn('min-client.ts')));
  procs.push(...clients);
  const memory = await spawn('fanout-server.ts', ['tickwire']);
  const publisher = await spawn('redis-node.ts', ['publisher', redisServer.url]);
  const edgeA = await spawn('redis-node.ts', ['edge', redisServer.url]);
  procs.push(memory, publisher, edgeA);
  {
    const r0 = await redisCpuUs(info);
    const t0 = nowMs();
    await sleep(CFG.windowMs);
    redisIdlePct = (100 * ((await redisCpuUs(info)) - r0)) / ((nowMs() - t0) * 1000);
    console.log(`redis-server idle (nodes connected, nothing published): ${fmt(redisIdlePct, 2)}% of a core`);
  }

  console.log(`\ncompare: N=${CFG.n}, memory broker (publisher in-process) vs Redis (publisher process → Redis → edge process)`);
  for (let round = 1; round <= CFG.compareRounds; round++) {
    for (const rate of CFG.compareRates) {
      for (const setup of (round % 2 ? ['memory', 'redis'] : ['redis', 'memory']) as Measurement['setup'][]) {
        if (elapsed() > CFG.budgetMs * 0.55) break;
        const m = setup === 'memory'
          ? await measure({ phase: 'compare', setup, round, rate, edges: [memory], publisher: memory, clients })
          : await measure({ phase: 'compare', setup, round, rate, edges: [edgeA], publisher, clients, redis: info });
        results.push(m);
        console.log(line(m));
      }
    }
  }
  await memory.exit();

  const edgeB = await spawn('redis-node.ts', ['edge', redisServer.url]);
  procs.push(edgeB);
  console.log(`\nedges: N=${CFG.n} split over 1 or 2 edge processes (Redis), rising rates`);
  for (const rate of CFG.edgeRates) {
    for (const edges of [[edgeA], [edgeA, edgeB]]) {
      if (elapsed() > CFG.budgetMs) {
        console.log(`  budget spent: skipped rate ${rate} with ${edges.length} edge(s)`);
        continue;
      }
      const m = await measure({ phase: 'edges', setup: 'redis', round: 1, rate, edges, publisher, clients, redis: info });
      results.push(m);
      console.log(line(m));
    }
  }
} finally {
  // Whether Redis cut a subscriber off (pub/sub output buffer limit) or the nodes reconnected during the run.
  const stats = String(await info.info('stats').catch(() => ''));
  for (const k of ['client_output_buffer_limit_disconnections', 'total_connections_received']) redisStats[k] = Number(new RegExp(`^${k}:([0-9]+)`, 'm').exec(stats)?.[1] ?? NaN);
  console.log(`redis INFO stats: ${JSON.stringify(redisStats)}`);
  await Promise.all(procs.map((p) => p.exit().catch(() => undefined)));
  await info.quit().catch(() => undefined);
  await redisServer.stop();
}

// ---------------------------------------------------------------- summary
const ok = (m: Measurement) => !m.error && Number.isFinite(m.edgeCpuUsPerMsg);
const summary: Record<string, unknown> = {};
console.log('\nsummary (medians over rounds):');
for (const rate of CFG.compareRates) {
  const of = (s: string) => results.filter((m) => m.phase === 'compare' && m.setup === s && m.offeredPerSec === rate && ok(m));
  const mem = of('memory');
  const red = of('redis');
  const cpuMem = median(mem.map((m) => m.edgeCpuUsPerMsg));
  const cpuRed = median(red.map((m) => m.edgeCpuUsPerMsg));
  const p99Mem = median(mem.map((m) => m.latencyMs!.p99));
  const p99Red = median(red.map((m) => m.latencyMs!.p99));
  const s = {
    deliveriesPerSecOffered: rate * CFG.n,
    edgeCpuUsPerMsg: { memory: cpuMem, redis: cpuRed, ratio: cpuRed / cpuMem, target: 1.1 },
    redisCpuUsPerPublish: median(red.map((m) => m.redisCpuUsPerPublish!)),
    redisNetCpuUsPerPublish: median(red.map((m) => m.redisNetCpuUsPerPublish!)),
    latencyMs: { memoryP50: median(mem.map((m) => m.latencyMs!.p50)), memoryP99: p99Mem, redisP50: median(red.map((m) => m.latencyMs!.p50)), redisP99: p99Red, ratioP99: p99Red / p99Mem, target: 2 },
    deliveryRatio: { memory: median(mem.map((m) => m.deliveryRatio)), redis: median(red.map((m) => m.deliveryRatio)) },
    loadavg1: [...mem, ...red].map((m) => m.loadavg1),
  };
  summary[`rate${rate}`] = s;
  console.log(`  ${rate} msg/s × ${CFG.n} (${fmt(rate * CFG.n / 1000)} k deliveries/s offered): edge CPU ${fmt(cpuMem, 3)} → ${fmt(cpuRed, 3)} µs/msg = ${fmt(cpuRed / cpuMem, 2)}× (target ≤ 1.1×); ` +
    `Redis ${fmt(s.redisCpuUsPerPublish, 1)} µs/publish (${fmt(s.redisNetCpuUsPerPublish, 1)} net of idle); p99 ${fmt(p99Mem, 1)} → ${fmt(p99Red, 1)} ms = ${fmt(p99Red / p99Mem, 2)}× (target ≤ 2×); load ${s.loadavg1.map((x) => x.toFixed(1)).join(', ')}`);
}
for (const rate of CFG.edgeRates) {
  const e = (k: number) => results.find((m) => m.phase === 'edges' && m.offeredPerSec === rate && m.edges === k);
  const one = e(1);
  const two = e(2);
  if (one && two) console.log(`  edges, ${rate} msg/s: 1 edge ${fmt(one.deliveredPerSec / 1000)} k/s, 2 edges ${fmt(two.deliveredPerSec / 1000)} k/s (${fmt(two.deliveredPerSec / one.deliveredPerSec, 2)}×)`);
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const out = join(here, 'results', `redis-${stamp}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({
  when: new Date().toISOString(), ...codeVersion(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model,
  totalMemGiB: totalmem() / 2 ** 30, config: CFG, redisIdlePct, redisStats, summary, results, loadavgEnd: loadavg(),
}, null, 2));
console.log(`\n${out} (${fmt(elapsed() / 1000)} s)`);
process.exit(0);
