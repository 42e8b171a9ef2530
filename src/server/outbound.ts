import type { Frame } from '../pubsub/frame.ts';

/** The part of a net.Socket the outbound queue uses. */
export interface WritableSocket {
  write(chunk: Buffer): boolean;
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
}

/**
 * Collects the connections that have queued frames and flushes them all once per event-loop turn (setImmediate),
 * so frames published in the same turn reach each socket in one corked write (a single writev syscall).
 */
export class FlushScheduler {
  private readonly dirty = new Set<OutboundQueue>();
  private scheduled = false;

  mark(queue: OutboundQueue): void {
    this.dirty.add(queue);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }

  private run(): void {
    this.scheduled = false;
    const queues = [...this.dirty];
    this.dirty.clear();
    for (const q of queues) q.flush();
  }
}

/**
 * One connection's outbound frames. Contract: frames leave in the order they were pushed; nothing is written after
 * `close()`; when queued + kernel-pending bytes would pass `maxBufferedBytes`, the frame is refused, the queue is
 * dropped and `onOverflow` is called once (the connection then closes with SLOW_CONSUMER).
 *
 * Why write to the socket directly: ws has no public "send these pre-framed bytes" call; ws.send frames per client.
 * Only data frames go through here; ws keeps writing its own control frames (ping/pong/close), which may be
 * interleaved between whole data frames as RFC 6455 allows. permessage-deflate is off on this server.
 */
export class OutboundQueue {
  private frames: Buffer[] = [];
  private queuedBytes = 0;
  private closed = false;

  constructor(
    private readonly socket: WritableSocket,
    private readonly scheduler: FlushScheduler,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: () => void,
    /** False once the WebSocket is closing: ws may already have written its close frame. */
    private readonly canWrite: () => boolean,
  ) {}

  /** Bytes not yet accepted by the kernel: queued here plus the socket's user-space buffer. */
  get pendingBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  push(frame: Frame): boolean {
    if (this.closed) return false;
    if (this.pendingBytes + frame.bytes.length > this.maxBufferedBytes) {
      this.close();
      this.onOverflow();
      return false;
    }
    this.frames.push(frame.bytes);
    this.queuedBytes += frame.bytes.length;
    if (this.frames.length === 1) this.scheduler.mark(this);
    return true;
  }

  flush(): void {
    if (this.closed || this.frames.length === 0) return;
    const frames = this.frames;
    this.frames = [];
    this.queuedBytes = 0;
    if (!this.canWrite()) return;
    if (frames.length === 1) {
      this.socket.write(frames[0]!);
      return;
    }
    this.socket.cork();
    for (const f of frames) this.socket.write(f);
    this.socket.uncork();
  }

  /** Drops whatever is queued; later pushes are refused. */
  close(): void {
    this.closed = true;
    this.frames = [];
    this.queuedBytes = 0;
  }
}
