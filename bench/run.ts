/**
 * Fan-out benchmark: Tickwire's hub + gateway side by side with naive ws, frame-once batched ws (the practical
 * limit) and Socket.IO rooms. `npm run bench` (add `-- --quick` for a short run, `-- --profile` for a CPU profile of
 * Tickwire's publish path instead, `-- --flush` to compare the outbound flush alternatives).
 *
 * Servers and clients are separate child processes on 127.0.0.1. Each measurement is one setup at one size; the
 * setups alternate (A B C D A B C D …) within this one run and every figure is also reported as a ratio to the
 * batched-ws measurement of the same round, because the machine is shared and noisy. Everything is bounded: each
 * step has a timeout, the whole run has a budget (it skips what does not fit and says so), and a hard stop kills
 * the children and exits. Results: a table on stdout and JSON in bench/results/.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowMs, percentile, SETUPS, sleep, type Setup } from './common.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = new Set(process.argv.slice(2));
/** `--only=tickwire,socket.io`: a subset of the setups (the ratios then need batched-ws in the set). */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const setups = SETUPS.filter((s) => !only || only.includes(s));
const QUICK = args.has('--quick');
const PROFILE = process.argv.some((a) => a === '--profile' || a.startsWith('--profile='));

const CFG = {
  budgetMs: 270_000,
  hardStopMs: 290_000,
  throughputSizes: QUICK ? [1000] : [100, 1000, 5000],
  /** Rounds per size: the N=1000 figures carry the targets, so they get the most. */
  throughputRounds: (n: number) => (QUICK ? 1 : n === 1000 ? 3 : 2),
  wsClientRounds: QUICK ? 1 : 2,
  warmupMs: 400,
  windowMs: QUICK ? 1000 : 1500,
  latencyRounds: QUICK ? 1 : 3,
  latencyN: 1000,
  latencyRate: 1000,
  latencyWindowMs: QUICK ? 1500 : 3000,
  probeEvery: 10,
  idleConnections: 10_000,
  idleRounds: QUICK ? 1 : 2,
  clientProcs: 2,
  /** Connection attempts in flight per client process (`--concurrency=N`). */
  concurrency: Number(process.argv.find((a) => a.startsWith('--concurrency='))?.slice(14) ?? 250),
};

const started = nowMs();
const elapsed = () => nowMs() - started;
const children = new Set<ChildProcess>();
const hardStop = setTimeout(() => {
  console.error(`bench: hard stop after ${CFG.hardStopMs / 1000} s`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}, CFG.hardStopMs);
hardStop.unref();

// ---------------------------------------------------------------- child processes

class Proc {
  private seq = 0;
  private readonly waiting = new Map<number, (m: any) => void>();
  constructor(readonly child: ChildProcess, readonly port = 0) {
    child.on('message', (m: any) => {
      const w = this.waiting.get(m.id);
      if (w) {
        this.waiting.delete(m.id);
        w(m);
      }
    });
  }

  rpc(msg: object, timeoutMs = 30_000): Promise<any> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${(msg as { cmd: string }).cmd}: no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(m.error));
        else resolve(m);
      });
      this.child.send({ ...msg, id });
    });
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await Promise.race([gone, sleep(5000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    children.delete(this.child);
  }
}

async function spawn(script: string, argv: string[] = [], extraExecArgv: string[] = []): Promise<Proc> {
  const child = fork(join(here, script), argv, {
    execArgv: ['--import', 'tsx', '--expose-gc', ...extraExecArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const ready = await new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} ${argv.join(' ')}: not ready in 20 s`)), 20_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return new Proc(child, ready.port ?? 0);
}

const pathOf = (s: string) => (s.startsWith('tickwire') ? '/api/v1/ws' : s === 'socket.io' ? '/socket.io/?EIO=4&transport=websocket' : '/');
const protoOf = (s: string) => (s.startsWith('tickwire') ? 'tickwire' : s === 'socket.io' ? 'socket.io' : 'ws');

function split(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

async function waitCount(server: Proc, key: 'subscribers' | 'connections', want: number, timeoutMs: number): Promise<number> {
  const until = nowMs() + timeoutMs;
  let got = -1;
  while (nowMs() < until) {
    got = (await server.rpc({ cmd: 'count' }))[key];
    if (got === want) return got;
    await sleep(20);
  }
  return got;
}

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
  serverCpuPct: number;
  clientCpuPct: number[];
  stalls: number;
  openedMs: number;
  connectFailures: number;
  latencyMs?: { p50: number; p99: number; max: number; samples: number };
  error?: string;
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
    await server.rpc(mode === 'flood' ? { cmd: 'flood' } : { cmd: 'rate', rate: CFG.latencyRate });
    await sleep(CFG.warmupMs);
    const [s0] = await Promise.all([server.rpc({ cmd: 'mark' }), ...clients.map((c) => c.rpc({ cmd: 'start' }))]);
    await sleep(windowMs);
    const [s1, ...stops] = await Promise.all([server.rpc({ cmd: 'mark' }), ...clients.map((c) => c.rpc({ cmd: 'stop' }))]);
    await server.rpc({ cmd: 'halt' });
    const delivered = stops.reduce((a, s) => a + s.received, 0);
    const ms = stops.reduce((a, s) => a + s.ms, 0) / stops.length;
    const serverUs = s1.cpu.user + s1.cpu.system - (s0.cpu.user + s0.cpu.system);
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
  openedMs: number;
  failed: number;
  rssBeforeMiB: number;
  rssPerConnKiB: number;
  heapPerConnKiB: number;
  error?: string;
}

/** 10k idle connections to a fresh Tickwire server: time to open them all, server memory per connection. */
async function idle(round: number, clients: Proc[]): Promise<IdleResult> {
  const n = CFG.idleConnections;
  const server = await spawn('fanout-server.ts', ['tickwire']);
  try {
    // Warm the accept/upgrade path once so lazily compiled code is not counted as per-connection memory.
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'open', port: server.port, path: '/api/v1/ws', count: 100, proto: 'tickwire-idle', probeEvery: 0, concurrency: 50, timeoutMs: 10_000 })));
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'close' })));
    await waitCount(server, 'connections', 0, 5000);
    await server.rpc({ cmd: 'gc' });
    await sleep(100);
    const before = await server.rpc({ cmd: 'mark' });
    const per = split(n, clients.length);
    const opened = await Promise.all(clients.map((c, i) => c.rpc({
      cmd: 'open', port: server.port, path: '/api/v1/ws', count: per[i], proto: 'tickwire-idle', probeEvery: 0,
      concurrency: CFG.concurrency, timeoutMs: 20_000,
    }, 25_000)));
    const got = await waitCount(server, 'connections', n, 5000);
    await server.rpc({ cmd: 'gc' });
    await sleep(200);
    const after = await server.rpc({ cmd: 'mark' });
    return {
      round,
      connections: got,
      openedMs: Math.max(...opened.map((o) => o.ms)),
      failed: opened.reduce((a, o) => a + o.failed, 0),
      rssBeforeMiB: before.rss / 2 ** 20,
      rssPerConnKiB: (after.rss - before.rss) / got / 1024,
      heapPerConnKiB: (after.heapUsed + after.external - before.heapUsed - before.external) / got / 1024,
    };
  } catch (err) {
    return { round, error: (err as Error).message } as IdleResult;
  } finally {
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'close' }, 15_000).catch(() => undefined)));
    await server.exit();
  }
}

// ---------------------------------------------------------------- summaries

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—');

interface Row {
  setup: string;
  client: 'min' | 'ws';
  n: number;
  rounds: number;
  deliveredPerSec: number;
  ratioToBatched: number;
  ratioToSocketIo: number;
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
  console.log('client  N      setup        delivered msg/s  ×batched  ×socket.io  server µs/msg  server CPU%  client CPU% (max proc)');
  for (const r of rows) {
    console.log(`${r.client.padEnd(7)} ${String(r.n).padEnd(6)} ${r.setup.padEnd(13)} ${fmt(r.deliveredPerSec).padStart(15)}  ${fmt(r.ratioToBatched, 2).padStart(8)}  ${fmt(r.ratioToSocketIo, 2).padStart(10)}  ${fmt(r.serverCpuUsPerMsg, 3).padStart(13)}  ${fmt(r.serverCpuPct).padStart(11)}  ${fmt(r.clientCpuPctMax).padStart(10)}${r.errors.length ? `  ! ${r.errors.join('; ')}` : ''}`);
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
  console.log(`\nConnections (${CFG.idleConnections} idle connections to Tickwire /api/v1/ws, fresh server per round)`);
  console.log('round  open ms  accepted  failed  RSS KiB/conn  heap+external KiB/conn');
  for (const r of rs) {
    if (r.error) console.log(`${String(r.round).padEnd(6)} ! ${r.error}`);
    else console.log(`${String(r.round).padEnd(6)} ${fmt(r.openedMs).padStart(7)}  ${String(r.connections).padStart(8)}  ${String(r.failed).padStart(6)}  ${fmt(r.rssPerConnKiB, 2).padStart(12)}  ${fmt(r.heapPerConnKiB, 2).padStart(10)}`);
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
  // With --import tsx the module loader runs in a worker thread that writes its own profile: take the busiest one.
  type Profile = { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }[] };
  const busy = (p: Profile) => p.nodes.reduce((a, n) => a + (n.callFrame.functionName === '(idle)' ? 0 : n.hitCount), 0);
  const [file, prof] = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${server.child.pid}.`))
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile] as const)
    .sort((a, b) => busy(b[1]) - busy(a[1]))[0]!;
  const total = prof.nodes.reduce((a, n) => a + n.hitCount, 0);
  const self = new Map<string, number>();
  const idleHits = prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((a, n) => a + n.hitCount, 0);
  console.log(`idle: ${((100 * idleHits) / total).toFixed(1)}% of samples`);
  for (const n of prof.nodes) {
    const f = n.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|work\/main)\//, '')}:${f.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + n.hitCount);
  }
  console.log(`\nTop self time (${join(dir, file)}, ${total} samples; open it in Chrome DevTools for the tree):`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
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

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (PROFILE) return profile();
  if (args.has('--flush')) return flushVariants();
  if (args.has('--idle')) {
    // Only the idle-connections rounds (`npm run bench -- --idle`).
    const clients = await Promise.all(Array.from({ length: CFG.clientProcs }, () => spawn('min-client.ts')));
    const rs: IdleResult[] = [];
    for (let round = 1; round <= 3; round++) rs.push(await idle(round, clients));
    for (const c of clients) await c.exit();
    return printIdle(rs);
  }
  console.log(`fan-out bench: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; budget ${CFG.budgetMs / 1000} s`);
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
    if (elapsed() + costMs < CFG.budgetMs) return true;
    skipped.push(label);
    return false;
  };

  // Idle connections first: tens of thousands of client sockets closed by the later phases sit in TIME_WAIT and
  // slow the clients' own connect() (ephemeral port search), which would be counted as server accept time.
  const idles: IdleResult[] = [];
  for (let round = 1; round <= (setups.includes('tickwire') ? CFG.idleRounds : 0); round++) {
    if (!fits(`idle connections round ${round}`, 15_000)) continue;
    const r = await idle(round, minClients);
    idles.push(r);
    console.log(`${(elapsed() / 1000).toFixed(0).padStart(4)} s  idle round ${round}: ${r.error ?? `${r.connections} in ${fmt(r.openedMs)} ms, ${fmt(r.rssPerConnKiB, 2)} KiB RSS/conn`}`);
  }

  const throughput: Measurement[] = [];
  const plan: { kind: 'min' | 'ws'; n: number; rounds: number }[] = [
    ...CFG.throughputSizes.map((n) => ({ kind: 'min' as const, n, rounds: CFG.throughputRounds(n) })),
    { kind: 'ws', n: 1000, rounds: CFG.wsClientRounds },
  ];
  for (const p of plan) {
    for (let round = 1; round <= p.rounds; round++) {
      for (const setup of setups) {
        const label = `throughput ${p.kind} N=${p.n} ${setup} round ${round}`;
        if (!fits(label, 5000 + p.n)) continue;
        const m = await measure(servers.get(setup)!, setup, clientsOf(p.kind), p.kind, p.n, round, 'flood', CFG.windowMs);
        throughput.push(m);
        console.log(`${(elapsed() / 1000).toFixed(0).padStart(4)} s  ${label}: ${fmt(m.deliveredPerSec)} msg/s, ${fmt(m.serverCpuUsPerMsg, 3)} µs/msg, client CPU ${m.clientCpuPct?.map((c) => fmt(c)).join('/')}%${m.error ? `  ! ${m.error}` : ''}`);
      }
    }
  }

  const latency: Measurement[] = [];
  const latencyPlan = [{ kind: 'min' as const, rounds: CFG.latencyRounds }, { kind: 'ws' as const, rounds: 1 }];
  for (const p of latencyPlan) {
    for (let round = 1; round <= p.rounds; round++) {
      for (const setup of setups) {
        const label = `latency ${p.kind} ${setup} round ${round}`;
        if (!fits(label, CFG.latencyWindowMs + 3000 + 25_000)) continue;
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
    'throughput N=1000 ≥ 0.8× batched-ws': { value: t1000?.ratioToBatched, met: (t1000?.ratioToBatched ?? 0) >= 0.8 },
    'throughput N=1000 ≥ 5× socket.io': { value: t1000?.ratioToSocketIo, met: (t1000?.ratioToSocketIo ?? 0) >= 5 },
    'latency: ≥ 99% delivered': { value: lat?.deliveredPct, met: (lat?.deliveredPct ?? 0) >= 99 },
    'latency: p99 ≤ 25 ms (min client)': { value: lat?.p99, met: (lat?.p99 ?? Infinity) <= 25 },
    'idle: ≤ 10 KiB RSS per connection': { value: median(okIdle.map((r) => r.rssPerConnKiB)), met: median(okIdle.map((r) => r.rssPerConnKiB)) <= 10 },
    'idle: 10k accepted in ≤ 1.5 s': { value: median(okIdle.map((r) => r.openedMs)), met: okIdle.length > 0 && okIdle.every((r) => r.connections === CFG.idleConnections) && median(okIdle.map((r) => r.openedMs)) <= 1500 },
  };
  console.log('\nTargets (Tickwire, minimal client)');
  for (const [k, v] of Object.entries(targets)) console.log(`${v.met ? 'met   ' : 'MISSED'}  ${k}: ${fmt(v.value ?? NaN, 2)}`);
  if (skipped.length) console.log(`\nSkipped (did not fit the ${CFG.budgetMs / 1000} s budget): ${skipped.join(', ')}`);

  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `fanout-${new Date().toISOString().replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    config: CFG,
    durationS: Math.round(elapsed() / 1000),
    targets,
    throughput: rows,
    latency: latencyRows,
    idle: idles,
    skipped,
    measurements: { throughput, latency: latency.map((m) => m) },
  }, null, 2) + '\n');
  console.log(`\nwrote ${file.replace(process.cwd() + '/', '')} in ${(elapsed() / 1000).toFixed(0)} s`);
}

try {
  await main();
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  clearTimeout(hardStop);
}
