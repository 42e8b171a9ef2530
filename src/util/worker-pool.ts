/**
 * A small pool of worker threads running one entry module, for CPU-heavy work that must not stall the event loop
 * serving WebSockets (simulated-history generation, which is most of a backtest's CPU).
 *
 * Contract: `run(task)` resolves with the worker's result or rejects with its error; tasks run at most `size` at a
 * time, the rest wait in FIFO order; more than `maxQueued` waiting tasks are refused at once (an Error with
 * `code: 'POOL_FULL'`) instead of piling up. A worker that dies fails its task and is replaced on the next one.
 * Workers are unref'd (an idle pool never keeps the process alive); `close()` terminates them and fails what waits.
 *
 * The entry is resolved by the caller relative to its own `import.meta.url`, so the same code runs from src/ under
 * tsx (a .ts entry: the worker registers tsx's loader before importing it) and from a compiled build (.js: loaded as is).
 * Protocol: the pool posts `{id, task}` (and `{cancel: id}` on abort); the worker posts any number of `{id, event}`,
 * then `{id, result}` or `{id, error}` (transferables allowed).
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface WorkerPoolOptions {
  /** The worker module (a file: URL). */
  entry: URL;
  /** Threads at most; default: cores - 1, between 1 and 4 (one core stays with the event loop). */
  size?: number;
  /** Tasks waiting at most; default 64. */
  maxQueued?: number;
}

/** tsx's ESM register API (its ESM build: the CommonJS one cannot register hooks from a worker). */
function tsxApiUrl(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(path.join(path.dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
}

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export interface RunOptions {
  /** Called with every `{id, event}` the worker posts before its result. */
  onEvent?: (event: any) => void;
  /** Aborting posts `{cancel: id}` to the worker running the task (a waiting task is dropped and rejected). */
  signal?: AbortSignal;
}

interface Job {
  id: number;
  task: unknown;
  options: RunOptions;
  resolve: (value: any) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

export class WorkerPool {
  readonly size: number;
  private readonly maxQueued: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    this.size = Math.max(1, options.size ?? defaultPoolSize());
    this.maxQueued = options.maxQueued ?? 64;
  }

  /** Tasks running and waiting (status, tests). */
  get load(): { running: number; queued: number } {
    return { running: this.slots.filter((s) => s.job).length, queued: this.queue.length };
  }

  run<T>(task: unknown, options: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(Object.assign(new Error('worker pool closed'), { code: 'POOL_CLOSED' }));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(Object.assign(new Error(`worker pool full: ${this.queue.length} tasks waiting`), { code: 'POOL_FULL' }));
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = { id: this.nextId++, task, options, resolve, reject };
      options.signal?.addEventListener('abort', () => {
        const waiting = this.queue.indexOf(job);
        if (waiting >= 0) {
          this.queue.splice(waiting, 1);
          reject(Object.assign(new Error('cancelled'), { code: 'CANCELLED' }));
          return;
        }
        this.slots.find((s) => s.job === job)?.worker.postMessage({ cancel: job.id });
      }, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(Object.assign(new Error('worker pool closed'), { code: 'POOL_CLOSED' }));
    const slots = this.slots.splice(0);
    for (const s of slots) s.job?.reject(Object.assign(new Error('worker pool closed'), { code: 'POOL_CLOSED' }));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, task: job.task });
    }
  }

  private spawn(): Slot {
    const worker = this.options.entry.pathname.endsWith('.ts')
      // Under tsx (tests, dev): Node 20 does not run `--import tsx` in workers, so register tsx first, then load.
      ? new Worker(`(async () => { (await import(${JSON.stringify(tsxApiUrl())})).register(); await import(${JSON.stringify(this.options.entry.href)}); })().catch((err) => { console.error(err); process.exit(1); });`, { eval: true })
      : new Worker(this.options.entry);
    const slot: Slot = { worker, job: undefined };
    worker.unref();
    worker.on('message', (msg: { id: number; event?: unknown; result?: unknown; error?: { message: string; code?: string } }) => {
      const job = slot.job;
      if (!job || msg.id !== job.id) return;
      if ('event' in msg) {
        try {
          job.options.onEvent?.(msg.event);
        } catch {
          // a failing listener never stops the task (house rule 11)
        }
        return;
      }
      slot.job = undefined;
      worker.unref();
      if (msg.error) job.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
      else job.resolve(msg.result);
      this.pump();
    });
    const fail = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.job?.reject(err);
      slot.job = undefined;
      if (!this.closed) this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }
}
