/**
 * A stream: a small module the StreamManager starts and stops. It reports through its context: `update()` after
 * each successful publish cycle, `error(err)` for a failed cycle (it keeps running). A stream that cannot start
 * throws (or rejects) from `start()`: the manager stops it and restarts it with backoff, counting a recovery attempt.
 */
export interface StreamContext {
  update(): void;
  error(err: unknown): void;
}

export interface Stream {
  readonly name: string;
  start(ctx: StreamContext): void | Promise<void>;
  /** Must release every timer and listener; idempotent. */
  stop(): void | Promise<void>;
}

/**
 * Runs `cycle` every `intervalMs` (unref'd: it never keeps the process alive): a cycle that returns true counts as
 * an update, a throwing one as an error (the stream keeps running). Returns the function that stops it.
 */
export function every(intervalMs: number, ctx: StreamContext, cycle: () => boolean): () => void {
  const timer = setInterval(() => {
    try {
      if (cycle()) ctx.update();
    } catch (err) {
      ctx.error(err);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
