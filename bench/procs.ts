/**
 * The bench's child processes (bench/run.ts and its phases): fork a bench script with tsx, wait for its ready
 * message, talk to it by IPC request/reply with a timeout per request. Every child is tracked so a hard stop can
 * kill them all; the children also exit by themselves when the parent goes (bench/common.ts serve()).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './common.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Every child forked and not yet exited (killed by the hard stop). */
export const children = new Set<ChildProcess>();

export class Proc {
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
    if (this.child.exitCode !== null || this.child.signalCode !== null) return void children.delete(this.child);
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    await Promise.race([gone, sleep(5000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    children.delete(this.child);
  }
}

export async function spawn(script: string, argv: string[] = [], extraExecArgv: string[] = []): Promise<Proc> {
  const child = fork(isAbsolute(script) ? script : join(here, script), argv, {
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

export function killAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}

/** n split into `parts` near-equal integers. */
export function split(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** Polls the server's `count` until `key` equals `want` (or the timeout); returns the last value seen. */
export async function waitCount(server: Proc, key: string, want: number, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  let got = -1;
  while (Date.now() < until) {
    got = (await server.rpc({ cmd: 'count' }))[key];
    if (got === want) return got;
    await sleep(20);
  }
  return got;
}

/** Prints the top self time of the CPU profile the process `pid` wrote into `dir` (node --cpu-prof). */
export function printProfile(dir: string, pid: number, top = 30): void {
  // With --import tsx the module loader runs in a worker thread that writes its own profile: take the busiest one.
  type Profile = { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }[] };
  const busy = (p: Profile) => p.nodes.reduce((a, n) => a + (n.callFrame.functionName === '(idle)' ? 0 : n.hitCount), 0);
  const [file, prof] = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
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
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}
