/**
 * The benchmarks (`npm run bench`, about 5 minutes; `-- --quick` for a short run), three phases in one budget:
 *   fanout   Tickwire's hub + gateway side by side with naive ws, frame-once batched ws (the practical limit) and
 *            Socket.IO rooms, one topic: throughput at N = 100 / 1000 / 5000, latency at 1000 × 1000 msg/s, 10k idle
 *            subscribed connections (this file; bench/results/fanout-*.json);
 *   topics   10k connections × 5 of 500 Zipf-popular topics, Tickwire against Socket.IO rooms (bench/many-topics.ts;
 *            bench/results/topics-*.json);
 *   replay   1000 clients cut off and resubscribing with `since`: replay latency, exactly-once check, history memory
 *            (bench/replay.ts; bench/results/replay-*.json).
 * `-- --phases=fanout,replay` runs a subset. Other modes: `-- --profile` (a CPU profile of Tickwire's publish path),
 * `-- --flush` (outbound flush alternatives), `-- --idle` (only the idle connections), `-- --observability` (metrics
 * and logs on vs off), `-- --paired` (Tickwire against batched ws in alternating windows over held connections).
 *
 * Servers and clients are separate child processes on 127.0.0.1. Each measurement is one setup at one size; the
 * setups alternate (A B C D A B C D …) within this one run and every figure is also reported as a ratio to the
 * batched-ws measurement of the same round, because the machine is shared and noisy. Everything is bounded: each
 * step has a timeout, the whole run has a budget (it skips what does not fit and says so), and a hard stop kills
 * the children and exits. Results: a table on stdout and JSON in bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeVersion, fmt, median, nowMs, percentile, SETUPS, sleep, TOPIC, type Setup } from './common.ts';
import { killAll, printProfile, spawn, split, waitCount, type Proc } from './procs.ts';
import { manyTopicsRun } from './many-topics.ts';
import { replayRun } from './replay.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = new Set(process.argv.slice(2));
/** `--only=tickwire,socket.io`: a subset of the setups (the ratios then need batched-ws in the set). */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const setups = SETUPS.filter((s) => !only || only.includes(s));
const QUICK = args.has('--quick');
const PROFILE = process.argv.some((a) => a === '--profile' || a.startsWith('--profile='));

function num(name: string, fallback: number[]): number[] {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return v === undefined ? fallback : v.split(',').map(Number);
}
const PHASES = process.argv.find((a) => a.startsWith('--phases='))?.slice(9).split(',') ?? ['fanout', 'topics', 'replay'];

const CFG = {
  /** The whole run (every phase); each later phase keeps its reserve out of the fan-out phase's share. */
  budgetMs: 280_000,
  hardStopMs: 298_000,
  reserveMs: { topics: QUICK ? 40_000 : 56_000, replay: QUICK ? 25_000 : 42_000 },
  /** `--sizes=1000` / `--rounds=5` narrow or widen the throughput runs (for a closer look; not part of the record). */
  throughputSizes: num('sizes', QUICK ? [1000] : [100, 1000, 5000]),
  /** Rounds per size: the N=1000 figures carry the targets, so they get the most. */
  throughputRounds: (n: number) => num('rounds', [QUICK ? 1 : n === 1000 ? 3 : n === 100 ? 1 : 2])[0]!,
  wsClientRounds: num('ws-rounds', [1])[0]!,
  warmupMs: 400,
  windowMs: QUICK ? 1000 : 1500,
  latencyRounds: num('latency-rounds', [QUICK ? 1 : 2])[0]!,
  latencyN: 1000,
  latencyRate: 1000,
  latencyWindowMs: QUICK ? 1500 : 3000,
  probeEvery: 10,
  idleConnections: 10_000,
  idleRounds: num('idle-rounds', [QUICK ? 1 : 2])[0]!,
  clientProcs: 2,
  /** Connection attempts in flight per client process (`--concurrency=N`). */
  concurrency: Number(process.argv.find((a) => a.startsWith('--concurrency='))?.slice(14) ?? 250),
};

const started = nowMs();
const elapsed = () => nowMs() - started;
const hardStop = setTimeout(() => {
  console.error(`bench: hard stop after ${CFG.hardStopMs / 1000} s`);
  killAll();
  process.exit(1);
}, CFG.hardStopMs);
hardStop.unref();

// ---------------------------------------------------------------- child processes

const pathOf = (s: string) => (s.startsWith('tickwire') ? '/api/v1/ws' : s === 'socket.io' ? '/socket.io/?EIO=4&transport=websocket' : '/');
const protoOf = (s: string) => (s.startsWith('tickwire') ? 'tickwire' : s === 'socket.io' ? 'socket.io' : 'ws');

// ---------------------------------------------------------------- one measurement

interface Measurement {
  setup: string;
  client: 'min' | 'ws';
  n: number;
  round: number;
  mode: 'flood' | 'rate';
  offeredPerSec?: number;
  delivered: number;
  windowMs: number;
  deliveredPerSec: number;
  publishedPerSec: number;
  /** delivered / (published × n) in the window (< 1 also when messages were in flight at the edges). */
  deliveryRatio: number;
  serverCpuUsPerMsg: number;
  /** The user-mode part (paired windows): the rest is the kernel's, mostly the socket writes. */
  serverUserUsPerMsg?: number;
  /** Tickwire (paired windows): frames per socket write. */
  messagesPerWrite?: number;
  /** Paired windows: the server's garbage-collection pauses, ms per second, and its mark-compacts in the window. */
  gcMsPerSec?: number;
  majorGcs?: number;
  serverCpuPct: number;
  clientCpuPct: number[];
  stalls: number;
  openedMs: number;
  connectFailures: number;
  /** 1-minute load average at the end of the window (the machine is shared). */
  loadavg1: number;
  latencyMs?: { p50: number; p99: number; max: number; samples: number };
  error?: string;
}

/**
 * One measurement window: start publishing (a flood, or the latency rate), let it settle for `warmupMs`, count for
 * `windowMs` at the server (CPU, published) and at the clients (messages received), stop publishing.
 */
async function publishWindow(server: Proc, clients: Proc[], mode: 'flood' | 'rate', warmupMs: number, windowMs: number) {
  await server.rpc(mode === 'flood' ? { cmd: 'flood' } : { cmd: 'rate', rate: CFG.latencyRate });
  await sleep(warmupMs);
  const [s0] = await Promise.all([server.rpc({ cmd: 'mark' }), ...clients.map((c) => c.rpc({ cmd: 'start' }))]);
  await sleep(windowMs);
  const [s1, ...stops] = await Promise.all([server.rpc({ cmd: 'mark' }), ...clients.map((c) => c.rpc({ cmd: 'stop' }))]);
  await server.rpc({ cmd: 'halt' });
  return {
    s0, s1, stops,
    delivered: stops.reduce((a, x) => a + x.received, 0) as number,
    ms: stops.reduce((a, x) => a + x.ms, 0) / stops.length,
    serverUs: s1.cpu.user + s1.cpu.system - (s0.cpu.user + s0.cpu.system),
    serverUserUs: (s1.cpu.user - s0.cpu.user) as number,
  };
}

async function measure(server: Proc, setup: string, clients: Proc[], kind: 'min' | 'ws', n: number, round: number,
  mode: 'flood' | 'rate', windowMs: number): Promise<Measurement> {
  const base = { setup, client: kind, n, round, mode } as const;
  try {
    const per = split(n, clients.length);
    const opened = await Promise.all(clients.map((c, i) => c.rpc({
      cmd: 'open', port: server.port, path: pathOf(setup), count: per[i], proto: protoOf(setup),
      probeEvery: mode === 'rate' ? CFG.probeEvery : 0, concurrency: CFG.concurrency, timeoutMs: 20_000,
    }, 25_000)));
    const subscribed = await waitCount(server, 'subscribers', n, 10_000);
    if (subscribed !== n) throw new Error(`only ${subscribed} of ${n} subscribed`);
    const { s0, s1, stops, delivered, ms, serverUs } = await publishWindow(server, clients, mode, CFG.warmupMs, windowMs);
    const published = s1.published - s0.published;
    const m: Measurement = {
      ...base,
      ...(mode === 'rate' ? { offeredPerSec: CFG.latencyRate } : {}),
      delivered,
      windowMs: ms,
      deliveredPerSec: delivered / (ms / 1000),
      publishedPerSec: published / ((s1.at - s0.at) / 1000),
      deliveryRatio: published ? delivered / (published * n) : 0,
      serverCpuUsPerMsg: delivered ? serverUs / delivered : NaN,
      serverCpuPct: (100 * serverUs) / ((s1.at - s0.at) * 1000),
      clientCpuPct: stops.map((s) => (100 * s.cpuUs) / (s.ms * 1000)),
      stalls: s1.stalls - s0.stalls,
      openedMs: Math.max(...opened.map((o) => o.ms)),
      connectFailures: opened.reduce((a, o) => a + o.failed, 0),
      loadavg1: s1.loadavg[0],
    };
    const open = stops.reduce((a, s) => a + s.open, 0);
    if (open !== n) m.error = `${n - open} connections closed during the window`;
    if (mode === 'rate') {
      const all = Float64Array.from(stops.flatMap((s) => s.latencies as number[])).sort();
      m.latencyMs = { p50: percentile(all, 50), p99: percentile(all, 99), max: all.length ? all[all.length - 1]! : NaN, samples: all.length };
    }
    return m;
  } catch (err) {
    await server.rpc({ cmd: 'halt' }).catch(() => undefined);
    return { ...base, error: (err as Error).message } as Measurement;
  } finally {
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'close' }, 15_000).catch(() => undefined)));
    await waitCount(server, 'connections', 0, 5000).catch(() => undefined);
  }
}

interface IdleResult {
  round: number;
  connections: number;
  /** Until every upgrade was accepted (the 10k-in-1.5-s target; no subscribe yet). */
  acceptedMs: number;
  /** From sending the 10k bars.subscribe to the server counting 10k subscribers. */
  subscribedMs: number;
  failed: number;
  rssBeforeMiB: number;
  rssPerConnKiB: number;
  heapPerConnKiB: number;
  /** The topic every connection subscribed, with its history full before the baseline (MemoryBroker.stats()). */
  history?: { topics: number; publications: number; bytes: number; heapDeltaBytes: number };
  error?: string;
}

/**
 * 10k idle connections to a fresh Tickwire server: time to accept them all (upgrades only, as the target was set),
 * then each subscribes to one bars topic whose history is full (the default 1000 publications, filled before the
 * baseline: history is per topic and reported on its own), time until all are subscribed, and the server memory per
 * subscribed connection.
 */
async function idle(round: number, clients: Proc[]): Promise<IdleResult> {
  const n = CFG.idleConnections;
  const server = await spawn('fanout-server.ts', ['tickwire']);
  try {
    // Warm the accept/upgrade/subscribe path once so lazily compiled code is not counted as per-connection memory.
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'open', port: server.port, path: '/api/v1/ws', count: 100, proto: 'tickwire', probeEvery: 0, concurrency: 50, timeoutMs: 10_000 })));
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'close' })));
    await waitCount(server, 'connections', 0, 5000);
    await server.rpc({ cmd: 'gc' });
    const empty = await server.rpc({ cmd: 'mark' });
    await server.rpc({ cmd: 'fill', topic: TOPIC, count: 1000 });
    await server.rpc({ cmd: 'gc' });
    await sleep(100);
    const before = await server.rpc({ cmd: 'mark' });
    const per = split(n, clients.length);
    const opened = await Promise.all(clients.map((c, i) => c.rpc({
      cmd: 'open', port: server.port, path: '/api/v1/ws', count: per[i], proto: 'tickwire-idle', probeEvery: 0,
      concurrency: CFG.concurrency, timeoutMs: 20_000,
    }, 25_000)));
    await waitCount(server, 'connections', n, 5000);
    const t0 = nowMs();
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'subscribe-all', topic: TOPIC })));
    const got = await waitCount(server, 'subscribers', n, 10_000);
    const subscribedMs = nowMs() - t0;
    await sleep(200);
    await server.rpc({ cmd: 'gc' });
    await sleep(200);
    const after = await server.rpc({ cmd: 'mark' });
    return {
      round,
      connections: got,
      acceptedMs: Math.max(...opened.map((o) => o.ms)),
      subscribedMs,
      failed: opened.reduce((a, o) => a + o.failed, 0),
      rssBeforeMiB: before.rss / 2 ** 20,
      rssPerConnKiB: (after.rss - before.rss) / got / 1024,
      heapPerConnKiB: (after.heapUsed + after.external - before.heapUsed - before.external) / got / 1024,
      history: { ...after.history, heapDeltaBytes: before.heapUsed - empty.heapUsed },
    };
  } catch (err) {
    return { round, error: (err as Error).message } as IdleResult;
  } finally {
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'close' }, 15_000).catch(() => undefined)));
    await server.exit();
  }
}

// ---------------------------------------------------------------- summaries


interface Row {
  setup: string;
  client: 'min' | 'ws';
  n: number;
  rounds: number;
  deliveredPerSec: number;
  ratioToBatched: number;
  ratioToSocketIo: number;
  /** To batched ws whose frames carry `"seq"` like Tickwire's (the same bytes per message). */
  ratioToBatchedSeq: number;
  serverCpuUsPerMsg: number;
  serverCpuPct: number;
  clientCpuPctMax: number;
  errors: string[];
}

function summarize(ms: Measurement[]): Row[] {
  const rows: Row[] = [];
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) {
    const k = `${m.client}|${m.n}|${m.setup}`;
    groups.set(k, [...(groups.get(k) ?? []), m]);
  }
  const sameRound = (m: Measurement, setup: string) => ms.find((o) => o.client === m.client && o.n === m.n && o.round === m.round && o.setup === setup && o.mode === m.mode);
  for (const [, g] of groups) {
    const ok = g.filter((m) => !m.error || m.delivered);
    const ratio = (setup: string) => median(ok.map((m) => m.deliveredPerSec / (sameRound(m, setup)?.deliveredPerSec ?? NaN)));
    rows.push({
      setup: g[0]!.setup,
      client: g[0]!.client,
      n: g[0]!.n,
      rounds: ok.length,
      deliveredPerSec: median(ok.map((m) => m.deliveredPerSec)),
      ratioToBatched: ratio('batched-ws'),
      ratioToSocketIo: ratio('socket.io'),
      ratioToBatchedSeq: ratio('batched-ws-seq'),
      serverCpuUsPerMsg: median(ok.map((m) => m.serverCpuUsPerMsg)),
      serverCpuPct: median(ok.map((m) => m.serverCpuPct)),
      clientCpuPctMax: median(ok.map((m) => Math.max(...m.clientCpuPct))),
      errors: g.filter((m) => m.error).map((m) => `round ${m.round}: ${m.error}`),
    });
  }
  return rows;
}

function printThroughput(rows: Row[]): void {
  console.log('\nThroughput (flood, 16 messages per turn; medians over rounds; ratios are per round, then median)');
  console.log('client  N      setup           delivered msg/s  ×batched  ×batched+seq  ×socket.io  server µs/msg  server CPU%  client CPU% (max proc)');
  for (const r of rows) {
    console.log(`${r.client.padEnd(7)} ${String(r.n).padEnd(6)} ${r.setup.padEnd(15)} ${fmt(r.deliveredPerSec).padStart(15)}  ${fmt(r.ratioToBatched, 2).padStart(8)}  ${fmt(r.ratioToBatchedSeq, 2).padStart(12)}  ${fmt(r.ratioToSocketIo, 2).padStart(10)}  ${fmt(r.serverCpuUsPerMsg, 3).padStart(13)}  ${fmt(r.serverCpuPct).padStart(11)}  ${fmt(r.clientCpuPctMax).padStart(10)}${r.errors.length ? `  ! ${r.errors.join('; ')}` : ''}`);
  }
}

interface LatencyRow {
  setup: string;
  client: 'min' | 'ws';
  rounds: number;
  achievedPerClientPerSec: number;
  deliveredPct: number;
  p50: number;
  p99: number;
  max: number;
  serverCpuPct: number;
  clientCpuPctMax: number;
  errors: string[];
}

function summarizeLatency(ms: Measurement[]): LatencyRow[] {
  const out: LatencyRow[] = [];
  for (const client of ['min', 'ws'] as const) {
    for (const setup of [...new Set(ms.map((m) => m.setup))]) {
      const g = ms.filter((m) => m.setup === setup && m.client === client);
      if (!g.length) continue;
      const ok = g.filter((m) => m.latencyMs);
      out.push({
        setup,
        client,
        rounds: ok.length,
        achievedPerClientPerSec: median(ok.map((m) => m.deliveredPerSec / m.n)),
        deliveredPct: median(ok.map((m) => (100 * m.deliveredPerSec) / (m.n * CFG.latencyRate))),
        p50: median(ok.map((m) => m.latencyMs!.p50)),
        p99: median(ok.map((m) => m.latencyMs!.p99)),
        max: Math.max(...ok.map((m) => m.latencyMs!.max)),
        serverCpuPct: median(ok.map((m) => m.serverCpuPct)),
        clientCpuPctMax: median(ok.map((m) => Math.max(...m.clientCpuPct))),
        errors: g.filter((m) => m.error).map((m) => `round ${m.round}: ${m.error}`),
      });
    }
  }
  return out;
}

function printLatency(rows: LatencyRow[]): void {
  console.log(`\nLatency (N=${CFG.latencyN}, ${CFG.latencyRate} msg/s offered; publish-to-receive on 1 in ${CFG.probeEvery} connections; medians over rounds, max of max)`);
  console.log('client  setup        msg/s per client  delivered%  p50 ms  p99 ms  max ms  server CPU%  client CPU% (max proc)');
  for (const r of rows) {
    console.log(`${r.client.padEnd(7)} ${r.setup.padEnd(13)} ${fmt(r.achievedPerClientPerSec).padStart(16)}  ${fmt(r.deliveredPct, 1).padStart(10)}  ${fmt(r.p50, 2).padStart(6)}  ${fmt(r.p99, 2).padStart(6)}  ${fmt(r.max, 1).padStart(6)}  ${fmt(r.serverCpuPct).padStart(11)}  ${fmt(r.clientCpuPctMax).padStart(10)}${r.errors.length ? `  ! ${r.errors.join('; ')}` : ''}`);
  }
}

function printIdle(rs: IdleResult[]): void {
  console.log(`\nConnections (${CFG.idleConnections} idle connections to Tickwire /api/v1/ws, accepted, then each subscribed to ${TOPIC} with its history full; fresh server per round)`);
  console.log('round  accepted ms  then subscribed ms  subscribed  failed  RSS KiB/conn  heap+external KiB/conn  history of the topic');
  for (const r of rs) {
    if (r.error) console.log(`${String(r.round).padEnd(6)} ! ${r.error}`);
    else console.log(`${String(r.round).padEnd(6)} ${fmt(r.acceptedMs).padStart(11)}  ${fmt(r.subscribedMs).padStart(18)}  ${String(r.connections).padStart(10)}  ${String(r.failed).padStart(6)}  ${fmt(r.rssPerConnKiB, 2).padStart(12)}  ${fmt(r.heapPerConnKiB, 2).padStart(22)}  ${r.history ? `${r.history.publications} publications, ${fmt(r.history.bytes / 1024)} KiB of JSON (stats), ${fmt(r.history.heapDeltaBytes / 1024)} KiB heap` : ''}`);
  }
}

// ---------------------------------------------------------------- profile mode

async function profile(): Promise<void> {
  const dir = join(tmpdir(), `tickwire-bench-profile-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // `--profile=<flush variant>` profiles Tickwire with one of the flush alternatives instead of src as it is.
  const variant = process.argv.find((a) => a.startsWith('--profile='))?.slice(10);
  const server = await spawn('fanout-server.ts', ['tickwire', ...(variant ? [variant] : [])], ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const clients = await Promise.all(Array.from({ length: CFG.clientProcs }, () => spawn('min-client.ts')));
  const m = await measure(server, 'tickwire', clients, 'min', 1000, 1, 'flood', 5000);
  console.log(`profiled: ${fmt(m.deliveredPerSec)} delivered msg/s, ${fmt(m.serverCpuUsPerMsg, 3)} µs/msg ${m.error ?? ''}`);
  await server.exit();
  for (const c of clients) await c.exit();
  printProfile(dir, server.child.pid!);
}

// ---------------------------------------------------------------- flush alternatives

/** `--variants=cork,shared-concat` compares a subset. */
const FLUSH_VARIANTS = process.argv.find((a) => a.startsWith('--variants='))?.slice(11).split(',') ?? ['cork', 'concat', 'shared-concat', 'microtask'];

/** Tickwire with each flush alternative (bench/fanout-server.ts patchFlush) against batched-ws, alternating. */
async function flushVariants(): Promise<void> {
  const labels = [...FLUSH_VARIANTS.map((v) => `tickwire:${v}`), 'batched-ws'];
  const servers = new Map<string, Proc>();
  for (const l of labels) servers.set(l, await spawn('fanout-server.ts', l.startsWith('tickwire:') ? ['tickwire', l.slice(9)] : [l]));
  const clients = await Promise.all(Array.from({ length: CFG.clientProcs }, () => spawn('min-client.ts')));
  const rounds = QUICK ? 1 : Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
  const tp: Measurement[] = [];
  const lat: Measurement[] = [];
  for (const n of [1000, 5000]) {
    for (let round = 1; round <= rounds; round++) {
      for (const l of labels) {
        if (elapsed() > CFG.budgetMs - 20_000) continue;
        const m = await measure(servers.get(l)!, l, clients, 'min', n, round, 'flood', CFG.windowMs);
        tp.push(m);
        console.log(`${(elapsed() / 1000).toFixed(0).padStart(4)} s  N=${n} ${l} round ${round}: ${fmt(m.deliveredPerSec)} msg/s, ${fmt(m.serverCpuUsPerMsg, 3)} µs/msg${m.error ? `  ! ${m.error}` : ''}`);
      }
    }
  }
  for (let round = 1; round <= rounds; round++) {
    for (const l of labels) {
      if (elapsed() > CFG.budgetMs - 20_000) continue;
      const m = await measure(servers.get(l)!, l, clients, 'min', CFG.latencyN, round, 'rate', CFG.latencyWindowMs);
      lat.push(m);
      console.log(`${(elapsed() / 1000).toFixed(0).padStart(4)} s  latency ${l} round ${round}: p50 ${fmt(m.latencyMs?.p50 ?? NaN, 2)} p99 ${fmt(m.latencyMs?.p99 ?? NaN, 2)} ms${m.error ? `  ! ${m.error}` : ''}`);
    }
  }
  for (const p of [...servers.values(), ...clients]) await p.exit();
  printThroughput(summarize(tp));
  printLatency(summarizeLatency(lat));
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `flush-variants-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, throughput: summarize(tp), latency: summarizeLatency(lat), measurements: { tp, lat } }, null, 2) + '\n');
  console.log(`\nwrote ${file.replace(process.cwd() + '/', '')}`);
}

// ---------------------------------------------------------------- observability on vs off

/**
 * `-- --observability`: Tickwire's fan-out throughput with metrics and logs on (counted, scraped every second, JSON
 * logs through pino's asynchronous destination) against off (nothing counted, no logs), at N = 1000 and 5000
 * (`--sizes=`). The issue's bar: on within 5% of off.
 *
 * Why this shape: the two servers differ by a few percent at most, and on this shared machine the same server's
 * throughput moves by ±20% from one measurement to the next. So each server keeps its own N connections (own client
 * processes) for the whole size, and the flood alternates between them in many short windows (`--pairs=`, default
 * 20; `--window=` ms, default 600), off/on then on/off, with nothing reconnecting in between. The figure is the
 * ratio of the totals (every delivered message of every window, over the windows' time), with the median of the
 * per-pair ratios beside it. bench/results/observability-*.json.
 */
async function observabilityOnOff(): Promise<void> {
  const off = { label: 'tickwire:off', argv: ['tickwire', '--observability=off'] };
  const on = { label: 'tickwire:on', argv: ['tickwire', '--observability=on'] };
  const summary = await pairedWindows([off, on], num('sizes', [1000, 5000]), 'observability');
  console.log('\nobservability on / off (1.00 = no cost): throughput = ratio of the totals over all windows; median of the per-pair ratios; server CPU per message');
  for (const [n, r] of Object.entries(summary)) {
    const v = r['tickwire:on']!;
    console.log(`  N=${n}: throughput ${fmt(v.throughputRatio, 3)} (median pair ${fmt(v.medianPairRatio, 3)}), server CPU per message ${fmt(v.cpuPerMsgRatio, 3)} (${v.pairs} pairs)`);
  }
}

/**
 * `-- --paired`: Tickwire against batched ws (and batched ws with seq) at N = 1000 (`--sizes=`) the same way: each
 * setup holds its connections, floods alternate in short windows, ratios of the totals. The figure beside the
 * fan-out phase's (which reconnects every client for every measurement and so carries more noise). `--only=` picks
 * the setups (the first is the reference), `setup:arg` passes an argument: `--only=batched-ws-seq,tickwire:--raw,
 * tickwire` splits Tickwire's cost into the app's process and its hub (bench/fanout-server.ts rawInApp);
 * `--only=tickwire@/tmp/before,tickwire` compares a change with the code before it.
 */
async function pairedFanout(): Promise<void> {
  // `setup@/other/checkout` runs that checkout's server (its bench/fanout-server.ts, with its own src): two versions
  // of Tickwire side by side in one run (the other checkout needs node_modules, a symlink to these will do).
  const setupsHere = (only ?? ['batched-ws', 'tickwire', 'batched-ws-seq']).map((s) => {
    const [spec, tree] = s.split('@');
    return { label: s, argv: spec!.split(':'), ...(tree ? { script: join(tree, 'bench', 'fanout-server.ts') } : {}) };
  });
  const summary = await pairedWindows(setupsHere, num('sizes', [1000]), 'paired');
  console.log(`\npaired windows, each setup / ${setupsHere[0]!.label} (throughput = ratio of the totals; median of the per-pair ratios; server CPU per message)`);
  for (const [n, r] of Object.entries(summary)) {
    for (const [label, v] of Object.entries(r)) console.log(`  N=${n} ${label.padEnd(15)} ${fmt(v.perSec).padStart(10)} msg/s  ×${fmt(v.throughputRatio, 3)} (median pair ${fmt(v.medianPairRatio, 3)}), CPU/msg ×${fmt(v.cpuPerMsgRatio, 3)} (${fmt(v.cpuUsPerMsg, 3)} µs, user ${fmt(v.userUsPerMsg, 3)} µs); each process ${v.perReplica.map((x) => fmt(x, 2)).join(' / ')}`);
  }
}

/**
 * Throughput of several server setups told apart by a few percent on a machine whose figures move ±20% from one
 * measurement to the next: each setup keeps its own N connections (own client processes) for the whole size, and
 * the flood alternates between the setups in many short windows (`--pairs=`, default 20; `--window=` ms, default
 * 600), in rotating order, with nothing reconnecting in between. Every setup is compared with the first: the ratio of
 * the totals (every delivered message of every window over the windows' time) and the median of the per-round
 * ratios. Writes bench/results/<name>-*.json; returns, per N, per setup, the comparison with the first setup.
 */
/**
 * `--pin`: every server on CPU 0 and every client process on CPU 1 (taskset, all threads), so each server has a core
 * of its own in every window instead of wherever the kernel puts it beside the clients that round.
 */
const PIN = args.has('--pin');
/** `--server-node-flags=--perf-basic-prof`: node options for the paired servers (e.g. JIT symbols for `perf record`). */
const SERVER_NODE_FLAGS = process.argv.find((a) => a.startsWith('--server-node-flags='))?.slice(20).split(',') ?? [];
function pin(p: Proc, cpu: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpu, String(p.child.pid)], { stdio: 'ignore' });
}

async function pairedWindows(setupsHere: { label: string; argv: string[]; script?: string }[], sizes: number[], name: string) {
  // Replicas: one server process of the same setup differs from the next by up to ±10% on this machine, for its whole
  // life (seen: two batched-ws-seq processes in one run, 1.00 and 1.13), so each setup runs as several processes and
  // its figure is their total.
  const replicas = Number(process.argv.find((a) => a.startsWith('--replicas='))?.slice(11) ?? 3);
  const pairs = Number(process.argv.find((a) => a.startsWith('--pairs='))?.slice(8) ?? Math.ceil((QUICK ? 6 : 20) / replicas));
  // Replica-major (A1 B1 A2 B2 ...): processes started one after the other share whatever the machine was doing then,
  // so each setup's processes are spread over the start-up instead of started together.
  const entries = Array.from({ length: replicas }, (_, r) => setupsHere.map((s) => ({ ...s, key: `${s.label}#${r + 1}`, replica: r + 1 }))).flat();
  const windowMs = Number(process.argv.find((a) => a.startsWith('--window='))?.slice(9) ?? 600);
  const windows: (Measurement & { label: string; replica: number })[] = [];
  const summary: Record<number, Record<string, { throughputRatio: number; medianPairRatio: number; cpuPerMsgRatio: number; pairs: number; perSec: number; cpuUsPerMsg: number; userUsPerMsg: number; perReplica: number[] }>> = {};
  for (const n of sizes) {
    const servers = new Map<string, Proc>();
    const clients = new Map<string, Proc[]>();
    try {
      for (const { key, argv, script } of entries) {
        const server = await spawn(script ?? 'fanout-server.ts', argv, SERVER_NODE_FLAGS);
        servers.set(key, server);
        const cs = await Promise.all(Array.from({ length: CFG.clientProcs }, () => spawn('min-client.ts')));
        if (PIN) {
          pin(server, '0');
          for (const c of cs) pin(c, '1');
        }
        clients.set(key, cs);
        const per = split(n, cs.length);
        await Promise.all(cs.map((c, i) => c.rpc({ cmd: 'open', port: server.port, path: pathOf(argv[0]!), count: per[i], proto: protoOf(argv[0]!), probeEvery: 0, concurrency: CFG.concurrency, timeoutMs: 20_000 }, 25_000)));
        const subscribed = await waitCount(server, 'subscribers', n, 10_000);
        if (subscribed !== n) throw new Error(`${key}: only ${subscribed} of ${n} subscribed`);
      }
      for (let round = 1; round <= pairs; round++) {
        // Rotate the order, so a drift in the machine's load favours no setup.
        const order = entries.map((_, i) => entries[(i + round) % entries.length]!);
        for (const { key, label, argv, replica } of order) {
          if (elapsed() > CFG.budgetMs - 20_000) continue;
          const server = servers.get(key)!;
          const cs = clients.get(key)!;
          const { s0, s1, stops, delivered, ms, serverUs, serverUserUs } = await publishWindow(server, cs, 'flood', 200, windowMs);
          const open = stops.reduce((a, x) => a + x.open, 0);
          windows.push({
            label, replica, setup: argv[0] as Setup, client: 'min', n, round, mode: 'flood', delivered, windowMs: ms,
            deliveredPerSec: delivered / (ms / 1000), publishedPerSec: (s1.published - s0.published) / ((s1.at - s0.at) / 1000),
            deliveryRatio: NaN, serverCpuUsPerMsg: delivered ? serverUs / delivered : NaN, serverUserUsPerMsg: delivered ? serverUserUs / delivered : NaN, serverCpuPct: (100 * serverUs) / ((s1.at - s0.at) * 1000),
            clientCpuPct: stops.map((x) => (100 * x.cpuUs) / (x.ms * 1000)), stalls: s1.stalls - s0.stalls, openedMs: 0, connectFailures: 0,
            gcMsPerSec: (s1.gc.ms - s0.gc.ms) / ((s1.at - s0.at) / 1000), majorGcs: s1.gc.major - s0.gc.major,
            ...(s1.outbound ? { messagesPerWrite: (s1.outbound.messages - s0.outbound.messages) / (s1.outbound.writes - s0.outbound.writes) } : {}),
            loadavg1: s1.loadavg[0], ...(open !== n ? { error: `${n - open} connections closed during the window` } : {}),
          });
        }
      }
    } finally {
      for (const cs of clients.values()) await Promise.all(cs.map((c) => c.rpc({ cmd: 'close' }, 15_000).catch(() => undefined)));
      for (const p of [...servers.values(), ...[...clients.values()].flat()]) await p.exit();
    }
    const of = (l: string) => windows.filter((w) => w.n === n && w.label === l && !w.error);
    const rate = (ws: Measurement[]) => ws.reduce((a, w) => a + w.delivered, 0) / (ws.reduce((a, w) => a + w.windowMs, 0) / 1000);
    const cpu = (ws: Measurement[]) => ws.reduce((a, w) => a + w.serverCpuUsPerMsg * w.delivered, 0) / ws.reduce((a, w) => a + w.delivered, 0);
    const user = (ws: Measurement[]) => ws.reduce((a, w) => a + (w.serverUserUsPerMsg ?? NaN) * w.delivered, 0) / ws.reduce((a, w) => a + w.delivered, 0);
    const base = of(setupsHere[0]!.label);
    summary[n] = {};
    for (const { label } of setupsHere) {
      const mine = of(label);
      // Per round: this setup's replicas together against the reference's.
      const rounds = [...new Set(mine.map((w) => w.round))];
      const pairRatios = rounds.map((r) => rate(mine.filter((w) => w.round === r)) / rate(base.filter((w) => w.round === r))).filter((x) => x === x);
      const perReplica = Array.from({ length: replicas }, (_, i) => rate(mine.filter((w) => w.replica === i + 1)) / rate(base));
      summary[n]![label] = {
        throughputRatio: rate(mine) / rate(base), medianPairRatio: median(pairRatios), cpuPerMsgRatio: cpu(mine) / cpu(base),
        pairs: pairRatios.length, perSec: rate(mine), cpuUsPerMsg: cpu(mine), userUsPerMsg: user(mine), perReplica,
      };
    }
    console.log(`${(elapsed() / 1000).toFixed(0).padStart(4)} s  N=${n}: ${setupsHere.map(({ label }) => `${label} ${fmt(summary[n]![label]!.perSec)} msg/s`).join(', ')} (${pairs} rounds of ${windowMs} ms windows, ${replicas} processes per setup)`);
  }
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg(), code: codeVersion(), method: { pairs, windowMs, replicas, setups: setupsHere, pinned: PIN }, summary, windows }, null, 2) + '\n');
  console.log(`\nwrote ${file.replace(process.cwd() + '/', '')}`);
  return summary;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (PROFILE) return profile();
  if (args.has('--flush')) return flushVariants();
  if (args.has('--observability')) return observabilityOnOff();
  if (args.has('--paired')) return pairedFanout();
  if (args.has('--idle')) {
    // Only the idle-connections rounds (`npm run bench -- --idle`).
    const clients = await Promise.all(Array.from({ length: CFG.clientProcs }, () => spawn('min-client.ts')));
    const rs: IdleResult[] = [];
    for (let round = 1; round <= 3; round++) rs.push(await idle(round, clients));
    for (const c of clients) await c.exit();
    return printIdle(rs);
  }
  console.log(`bench: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; phases ${PHASES.join(', ')}; budget ${CFG.budgetMs / 1000} s; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; code ${codeVersion().commit?.slice(0, 7) ?? '?'}${codeVersion().srcDirty ? ' with uncommitted edits in src/ or generated/' : ''}`);
  const results: { phase: string; file: string; targets: Record<string, { value: unknown; met: boolean | undefined }> }[] = [];
  // Order: the fan-out phase's idle connections, the replay phase, the rest of the fan-out phase, the many-topic phase.
  let replay: (typeof results)[number] | undefined;
  const runReplay = PHASES.includes('replay')
    ? async () => { replay = { phase: 'replay', ...(await replayRun({ quick: QUICK, deadline: nowMs() + CFG.reserveMs.replay })) }; }
    : undefined;
  const topicsReserve = PHASES.includes('topics') ? CFG.reserveMs.topics : 0;
  if (PHASES.includes('fanout')) results.push({ phase: 'fanout', ...(await fanout(CFG.budgetMs - topicsReserve, runReplay)) });
  else await runReplay?.();
  if (replay) results.push(replay);
  if (PHASES.includes('topics')) results.push({ phase: 'topics', ...(await manyTopicsRun({ quick: QUICK, deadline: started + CFG.budgetMs })) });
  console.log(`\nAll targets (${(elapsed() / 1000).toFixed(0)} s; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  for (const r of results) {
    for (const [k, v] of Object.entries(r.targets)) {
      if (v.met === undefined) continue;
      console.log(`${v.met ? 'met   ' : 'MISSED'}  ${k}: ${typeof v.value === 'number' ? fmt(v.value, 2) : String(v.value)}`);
    }
  }
  console.log(`results: ${results.map((r) => r.file.replace(process.cwd() + '/', '')).join(', ')}`);
}

/** The one-topic fan-out phase within `budgetMs` from the start of the run. */
async function fanout(budgetMs: number, afterIdle?: () => Promise<void>): Promise<{ file: string; targets: Record<string, { value: unknown; met: boolean | undefined }> }> {
  const servers = new Map<Setup, Proc>();
  for (const s of [...setups]) {
    try {
      servers.set(s, await spawn('fanout-server.ts', [s]));
    } catch (err) {
      console.log(`setup ${s} skipped: ${(err as Error).message} (is socket.io installed? npm install)`);
      setups.splice(setups.indexOf(s), 1);
    }
  }
  const minClients = await Promise.all(Array.from({ length: CFG.clientProcs }, () => spawn('min-client.ts')));
  const wsClients = await Promise.all(Array.from({ length: CFG.clientProcs }, () => spawn('fanout-client.ts')));
  const clientsOf = (k: 'min' | 'ws') => (k === 'min' ? minClients : wsClients);
  const skipped: string[] = [];
  const fits = (label: string, costMs: number) => {
    if (elapsed() + costMs < budgetMs) return true;
    skipped.push(label);
    return false;
  };

  // Idle connections first (then the replay phase, `afterIdle`), while the machine holds few closed sockets: tens of
  // thousands of client sockets closed by the later phases sit in TIME_WAIT, and connection timing matters to both.
  const idles: IdleResult[] = [];
  for (let round = 1; round <= (setups.includes('tickwire') ? CFG.idleRounds : 0); round++) {
    if (!fits(`idle connections round ${round}`, 15_000)) continue;
    const r = await idle(round, minClients);
    idles.push(r);
    console.log(`${(elapsed() / 1000).toFixed(0).padStart(4)} s  idle round ${round}: ${r.error ?? `${r.connections} accepted in ${fmt(r.acceptedMs)} ms, then subscribed in ${fmt(r.subscribedMs)} ms, ${fmt(r.rssPerConnKiB, 2)} KiB RSS/conn`}`);
  }
  await afterIdle?.();

  const throughput: Measurement[] = [];
  const plan: { kind: 'min' | 'ws'; n: number; rounds: number }[] = [
    ...CFG.throughputSizes.map((n) => ({ kind: 'min' as const, n, rounds: CFG.throughputRounds(n) })),
    { kind: 'ws', n: 1000, rounds: CFG.wsClientRounds },
  ];
  for (const p of plan) {
    for (let round = 1; round <= p.rounds; round++) {
      for (const setup of setups) {
        if (setup === 'batched-ws-seq' && p.kind !== 'min') continue;
        const label = `throughput ${p.kind} N=${p.n} ${setup} round ${round}`;
        if (!fits(label, 5000 + p.n)) continue;
        const m = await measure(servers.get(setup)!, setup, clientsOf(p.kind), p.kind, p.n, round, 'flood', CFG.windowMs);
        throughput.push(m);
        console.log(`${(elapsed() / 1000).toFixed(0).padStart(4)} s  ${label}: ${fmt(m.deliveredPerSec)} msg/s, ${fmt(m.serverCpuUsPerMsg, 3)} µs/msg, client CPU ${m.clientCpuPct?.map((c) => fmt(c)).join('/')}%${m.error ? `  ! ${m.error}` : ''}`);
      }
    }
  }

  const latency: Measurement[] = [];
  const latencyPlan = [{ kind: 'min' as const, rounds: CFG.latencyRounds }, { kind: 'ws' as const, rounds: num('ws-latency-rounds', [1])[0]! }];
  for (const p of latencyPlan) {
    for (let round = 1; round <= p.rounds; round++) {
      for (const setup of setups) {
        if (setup === 'batched-ws-seq') continue; // the same latency as batched-ws: only its throughput tells apart
        const label = `latency ${p.kind} ${setup} round ${round}`;
        if (!fits(label, CFG.latencyWindowMs + 8000)) continue;
        const m = await measure(servers.get(setup)!, setup, clientsOf(p.kind), p.kind, CFG.latencyN, round, 'rate', CFG.latencyWindowMs);
        latency.push(m);
        console.log(`${(elapsed() / 1000).toFixed(0).padStart(4)} s  ${label}: ${fmt(m.deliveredPerSec / CFG.latencyN)} msg/s per client, p50 ${fmt(m.latencyMs?.p50 ?? NaN, 2)} p99 ${fmt(m.latencyMs?.p99 ?? NaN, 2)} max ${fmt(m.latencyMs?.max ?? NaN, 1)} ms${m.error ? `  ! ${m.error}` : ''}`);
      }
    }
  }
  for (const s of servers.values()) await s.exit();

  for (const c of [...minClients, ...wsClients]) await c.exit();

  const rows = summarize(throughput);
  const latencyRows = summarizeLatency(latency);
  printThroughput(rows);
  printLatency(latencyRows);
  printIdle(idles);
  const t1000 = rows.find((r) => r.client === 'min' && r.n === 1000 && r.setup === 'tickwire');
  const lat = latencyRows.find((r) => r.client === 'min' && r.setup === 'tickwire');
  const okIdle = idles.filter((r) => !r.error);
  const targets = {
    'throughput N=1000 ≥ 0.95× batched-ws': { value: t1000?.ratioToBatched, met: (t1000?.ratioToBatched ?? 0) >= 0.95 },
    'throughput N=1000 ≥ 5× socket.io': { value: t1000?.ratioToSocketIo, met: (t1000?.ratioToSocketIo ?? 0) >= 5 },
    // Not a target: the same ratio against frames of Tickwire's size (what the position's bytes cost is left out).
    'throughput N=1000 × batched-ws with seq (frames of the same size)': { value: t1000?.ratioToBatchedSeq, met: undefined },
    'latency: ≥ 99% delivered': { value: lat?.deliveredPct, met: (lat?.deliveredPct ?? 0) >= 99 },
    'latency: p99 ≤ 25 ms (min client)': { value: lat?.p99, met: (lat?.p99 ?? Infinity) <= 25 },
    'idle: ≤ 10 KiB RSS per connection': { value: median(okIdle.map((r) => r.rssPerConnKiB)), met: median(okIdle.map((r) => r.rssPerConnKiB)) <= 10 },
    'idle: 10k accepted in ≤ 1.5 s': { value: median(okIdle.map((r) => r.acceptedMs)), met: okIdle.length > 0 && okIdle.every((r) => r.connections === CFG.idleConnections) && median(okIdle.map((r) => r.acceptedMs)) <= 1500 },
  };
  console.log('\nTargets (Tickwire, minimal client)');
  for (const [k, v] of Object.entries(targets)) console.log(`${v.met === undefined ? 'info  ' : v.met ? 'met   ' : 'MISSED'}  ${k}: ${fmt(v.value ?? NaN, 2)}`);
  if (skipped.length) console.log(`\nSkipped (did not fit the ${(budgetMs / 1000).toFixed(0)} s budget): ${skipped.join(', ')}`);

  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `fanout-${new Date().toISOString().replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    code: codeVersion(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg: loadavg() },
    config: { ...CFG, budgetMs },
    durationS: Math.round(elapsed() / 1000),
    targets,
    throughput: rows,
    latency: latencyRows,
    idle: idles,
    skipped,
    measurements: { throughput, latency: latency.map((m) => m) },
  }, null, 2) + '\n');
  console.log(`\nwrote ${file.replace(process.cwd() + '/', '')} in ${(elapsed() / 1000).toFixed(0)} s`);
  return { file, targets };
}

try {
  await main();
} finally {
  killAll();
  clearTimeout(hardStop);
}
