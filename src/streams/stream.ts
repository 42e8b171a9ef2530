/**
 * A stream: a small module the StreamManager starts and stops. It reports through its context: `update()` after
 * each successful publish cycle, `error(err)` for a failed cycle (it keeps running), `fail(err)` when it cannot go
 * on (the manager stops it and restarts it with backoff, counting a recovery attempt).
 */
export interface StreamContext {
  update(): void;
  error(err: unknown): void;
  fail(err: unknown): void;
}

export interface Stream {
  readonly name: string;
  start(ctx: StreamContext): void | Promise<void>;
  /** Must release every timer and listener; idempotent. */
  stop(): void | Promise<void>;
}
