/**
 * `npm run start:cluster`: every core of one machine (README "Scale-out: producer and edges on Redis").
 *
 * This process is a supervisor (the node:cluster primary); it serves nothing itself. It
 *   1. uses REDIS_URL, or starts `redis-server` on a free loopback port in a temporary directory (no persistence:
 *      it lives as long as the cluster). Without redis-server installed it exits 2 naming the package to install;
 *   2. forks one producer (TICKWIRE_ROLE=producer) on a private loopback port, and TICKWIRE_WORKERS edge workers
 *      (TICKWIRE_ROLE=edge, `auto` = one per core) that all listen on the public HOST:PORT: node:cluster workers that
 *      listen on the same address share it (the primary hands each accepted connection to an edge in turn). Every
 *      worker runs src/main.ts, which builds its node from the environment like `npm start` does;
 *   3. prefixes each worker's output with its name ("[edge 2] ..."), and prints one line once every node listens;
 *   4. restarts a worker that exits (crash, kill -9) with backoff: 0.5 s doubling to 10 s, jittered, reset once a
 *      worker has lived 10 s. A worker that exits 2 (bad configuration) is not restarted: the cluster stops, exit 2.
 *      A redis-server started here that dies is restarted the same way, on the same port (its data is gone: clients
 *      are told `recovered: false`);
 *   5. on SIGINT/SIGTERM forwards SIGTERM to every worker (each stops as `npm start` does: clients get 1001), waits
 *      for them (SIGKILL after 10 s), then stops the redis-server it started, last, and exits 0 (1 if a worker had to
 *      be killed or failed to stop). A second signal kills everything at once.
 *
 * redis-server runs in its own process group, so a Ctrl-C in the terminal reaches the nodes first and Redis only
 * when they are gone. If this supervisor is killed with SIGKILL, its workers exit with it (node:cluster), but a
 * redis-server it started is left running (its pid is printed at start).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { backoffDelay } from '../src/util/backoff.ts';
import { freePort, redisPing as ping } from './loopback.ts';

export const INSTALL_REDIS = 'apt-get install -y redis-server';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESTART_BACKOFF = { initialMs: 500, maxMs: 10_000, factor: 2, jitter: 0.2 };
/** A worker that lived this long before exiting restarts after the shortest delay again. */
const HEALTHY_AFTER_MS = 10_000;
const STOP_GRACE_MS = 10_000;
/** A worker that exits this many times in a row before it listens is not restarted again: the cluster stops (exit 1). */
const MAX_UNBORN = 5;

/** Workers log JSON lines unless the launcher runs on a terminal (LOG_FORMAT wins); the launcher's own lines match. */
const LOG_FORMAT = process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
const record = (level: string, line: string) => (LOG_FORMAT === 'json'
  ? JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, node: 'cluster', msg: `tickwire cluster: ${line}` })
  : `tickwire cluster: ${line}`);
const say = (line: string) => console.log(record('info', line));
const complain = (line: string) => console.error(record('error', line));


/** Copies a stream to ours line by line, each line prefixed (not JSON records: they carry their `node`). */
function relay(stream: Readable | null | undefined, to: NodeJS.WriteStream, prefix: string): void {
  if (!stream) return;
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => to.write(line.startsWith('{"') ? `${line}\n` : `${prefix}${line}\n`));
}

/** A redis-server of our own: loopback only, no persistence, its own process group (see the file comment). */
class OwnRedis {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'tickwire-cluster-redis-'));
  port = 0;
  /** Called when the server exits without being asked to. */
  onCrash: (how: string) => void = () => undefined;
  private stopping = false;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return path.join(this.dir, 'redis.log');
  }

  private logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') || '(empty)';
    } catch {
      return '(no log)';
    }
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts it: on a free port the first time (a few tries), on the same port after that. Waits for a PONG (10 s at most). */
  async start(): Promise<void> {
    if (this.port) return this.launch();
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      try {
        await this.launch();
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--loglevel', 'warning', '--logfile', this.logFile];
    const proc = spawn('redis-server', args, { stdio: 'ignore', detached: true });
    this.proc = proc;
    let gone: string | undefined;
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
      gone = signal ?? `code ${code}`;
      if (!this.stopping && this.proc === proc) this.onCrash(`${gone}; its log ends: ${this.logTail()}`);
      resolve();
    }));
    proc.once('error', (err) => (gone = err.message));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (gone !== undefined) throw new Error(`redis-server on port ${this.port} exited (${gone}) before it answered: ${this.logTail()}`);
      if (await ping(this.port)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGTERM, SIGKILL after 5 s; removes its directory. */
  async stop(): Promise<void> {
    this.stopping = true;
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise<void>((r) => (timer = setTimeout(() => (proc.kill('SIGKILL'), r()), 5000)))]);
      clearTimeout(timer);
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last resort when this process exits: synchronous. */
  kill(): void {
    this.stopping = true;
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Slot {
  name: string;
  env: Record<string, string>;
  worker?: Worker;
  startedAt: number;
  failures: number;
  /** Exits in a row without having listened (a port in use, a crash at start). */
  unborn: number;
  restartTimer?: NodeJS.Timeout;
  listening?: { address: string; port: number };
}

async function main(): Promise<number | undefined> {
  const env = process.env;
  if (env.TICKWIRE_ROLE && env.TICKWIRE_ROLE !== 'standalone') say(`ignoring TICKWIRE_ROLE=${env.TICKWIRE_ROLE}: this script sets each worker's role`);
  // Every worker reads the same environment (plus its role): check it once here, as an edge would.
  const checked = loadConfig({ ...env, TICKWIRE_ROLE: 'edge', REDIS_URL: env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  if (!checked.ok) {
    console.error('tickwire cluster: invalid configuration:');
    for (const e of checked.errors) console.error(`  ${e.message}`);
    return 2;
  }
  const config = checked.config;
  const workersSetting = env.TICKWIRE_WORKERS ?? 'auto';
  const edges = workersSetting === 'auto' ? os.availableParallelism() : Number(workersSetting);

  let redis: OwnRedis | undefined;
  let redisUrl = env.REDIS_URL;
  if (!redisUrl) {
    const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      complain(`redis-server is not installed (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}). Install it (${INSTALL_REDIS}) or set REDIS_URL to a running Redis >= 6.2.`);
      return 2;
    }
    redis = new OwnRedis();
    process.once('exit', () => redis?.kill());
    try {
      await redis.start();
    } catch (err) {
      complain(`cannot start redis-server: ${(err as Error).message}`);
      redis.kill();
      return 1;
    }
    redisUrl = redis.url;
    say(`started redis-server (pid ${redis.pid}) at ${redisUrl} (no persistence; log ${redis.logFile}); it stops with the cluster`);
  }

  const producerPort = await freePort();
  const producerUrl = `http://127.0.0.1:${producerPort}`;
  const common = { REDIS_URL: redisUrl, LOG_FORMAT };
  const slots: Slot[] = [
    { name: 'producer', env: { ...common, TICKWIRE_ROLE: 'producer', HOST: '127.0.0.1', PORT: String(producerPort), TICKWIRE_PUBLIC_URL: producerUrl }, startedAt: 0, failures: 0, unborn: 0 },
    ...Array.from({ length: edges }, (_, i): Slot => ({ name: `edge ${i + 1}`, env: { ...common, TICKWIRE_ROLE: 'edge', HOST: config.host, PORT: String(config.port) }, startedAt: 0, failures: 0, unborn: 0 })),
  ];

  // From source (tsx) the workers run src/main.ts through tsx; in the compiled build (npm run build) src/main.js.
  const fromSource = import.meta.url.endsWith('.ts');
  cluster.setupPrimary({ exec: path.join(root, 'src', fromSource ? 'main.ts' : 'main.js'), execArgv: fromSource ? ['--import', 'tsx'] : [], cwd: root, silent: true });

  let stopping = false;
  let exitCode = 0;
  let announced = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    if (stopping) return;
    slot.listening = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork(slot.env);
    slot.worker = worker;
    relay(worker.process.stdout, process.stdout, `[${slot.name}] `);
    relay(worker.process.stderr, process.stderr, `[${slot.name}] `);
    worker.on('listening', (address) => {
      slot.listening = { address: address.address ?? config.host, port: address.port };
      if (!announced && slots.every((s) => s.listening)) {
        announced = true;
        const edge = slots[1]!.listening!;
        const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
        say(`listening: ${edges} edge worker(s) on http://${host}:${edge.port} (ws://${host}:${edge.port}/api/v1/ws), producer on ${producerUrl}, redis ${redisUrl!.replace(/\/\/[^@/]*@/, '//***@')}`);
      }
    });
    worker.on('exit', (code, signal) => {
      if (slot.worker === worker) slot.worker = undefined;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (stopping) {
        if (code !== 0) exitCode = 1;
        say(`${slot.name} (pid ${worker.process.pid}) stopped (${how})`);
        if (slots.every((s) => !s.worker)) finish(exitCode);
        return;
      }
      if (code === 2) {
        complain(`${slot.name} (pid ${worker.process.pid}) refused its configuration (exit 2); stopping`);
        void shutdown('configuration', 2);
        return;
      }
      slot.unborn = slot.listening ? 0 : slot.unborn + 1;
      if (slot.unborn >= MAX_UNBORN) {
        complain(`${slot.name} exited ${slot.unborn} times in a row before listening (last: ${how}); stopping`);
        void shutdown('giving up', 1);
        return;
      }
      if (Date.now() - slot.startedAt >= HEALTHY_AFTER_MS) slot.failures = 0;
      const delay = backoffDelay(slot.failures++, RESTART_BACKOFF);
      complain(`${slot.name} (pid ${worker.process.pid}) exited (${how}); restarting in ${(delay / 1000).toFixed(1)} s`);
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    });
  };

  if (redis) {
    let failures = 0;
    let startedAt = Date.now();
    redis.onCrash = (how) => {
      if (stopping) return;
      if (Date.now() - startedAt >= HEALTHY_AFTER_MS) failures = 0;
      const delay = backoffDelay(failures++, RESTART_BACKOFF);
      complain(`redis-server exited (${how}); restarting it on the same port in ${(delay / 1000).toFixed(1)} s (its data is lost: clients resync)`);
      setTimeout(() => {
        if (stopping) return;
        startedAt = Date.now();
        // A failed start ends in an exit, which comes back here.
        redis!.start().then(() => say(`redis-server restarted (pid ${redis!.pid})`), () => undefined);
      }, delay).unref();
    };
  }

  const shutdown = async (why: string, code = 0) => {
    if (stopping) {
      complain(`${why} again: killing everything now`);
      for (const s of slots) s.worker?.process.kill('SIGKILL');
      redis?.kill();
      process.exit(1);
    }
    stopping = true;
    exitCode = code;
    say(`${why}: stopping ${slots.filter((s) => s.worker).length} worker(s)${redis ? ', then redis-server' : ''}`);
    for (const s of slots) clearTimeout(s.restartTimer);
    const running = slots.filter((s) => s.worker);
    for (const s of running) s.worker!.process.kill('SIGTERM');
    if (running.length === 0) finish(exitCode);
    const force = setTimeout(() => {
      for (const s of slots) {
        if (!s.worker) continue;
        complain(`${s.name} (pid ${s.worker.process.pid}) did not stop within ${STOP_GRACE_MS / 1000} s: SIGKILL`);
        s.worker.process.kill('SIGKILL');
      }
    }, STOP_GRACE_MS);
    const result = await finished;
    clearTimeout(force);
    await redis?.stop();
    say(`stopped${redis ? ' (redis-server last)' : ''}`);
    process.exit(result);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  say(`starting 1 producer and ${edges} edge worker(s) (TICKWIRE_WORKERS=${workersSetting}) on ${os.availableParallelism()} core(s)`);
  for (const slot of slots) fork(slot);
  return undefined;
}

const code = await main();
if (code !== undefined) process.exit(code);
