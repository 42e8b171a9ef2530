/**
 * A real redis-server for integration tests: on a free loopback port, in its own temporary directory, without
 * persistence unless asked (`persistence: true` turns on the append-only file, fsync'd on every write, so a SIGKILL
 * loses nothing). Readiness is a PING answered with +PONG, polled until a deadline; the process is stopped by its
 * PID. `restart()` starts it again on the same port and directory (so a persistent server keeps its data).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, redisPing as ping } from '../../scripts/loopback.ts';

export const INSTALL_REDIS = 'apt-get install -y redis-server';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGKILL (the default) or SIGTERM, and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory and waits for a PONG. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM) and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  persistence?: boolean;
  readyTimeoutMs?: number;
}


export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) throw new Error(`redis-server is not installed (${probe.error.message}); install it with: ${INSTALL_REDIS}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tickwire-redis-'));
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const killOnExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const launch = async (port: number): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--loglevel', 'warning'];
    args.push(...(options.persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    let code: number | string | null | undefined;
    exited = new Promise((resolve) => proc.once('exit', (c, s) => ((code = c ?? s), resolve())));
    proc.once('error', (err) => ((output += String(err)), (code = 'spawn error')));
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (code !== undefined) throw new Error(`redis-server on port ${port} exited (${code}) before it was ready: ${output.slice(-1000)}`);
      if (await ping(port)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer PING within ${readyTimeoutMs} ms: ${output.slice(-1000)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  // A port found free can be taken before redis binds it: try a few.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch(port);
      break;
    } catch (err) {
      if (attempt >= 3) {
        process.off('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    kill,
    restart: async () => {
      await kill('SIGKILL');
      await launch(port);
    },
    stop: async () => {
      await kill('SIGTERM');
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
