import type { Frame, TopicBatch } from '../pubsub/frame.ts';

/** The part of a net.Socket the outbound queue uses. */
export interface WritableSocket {
  write(chunk: Buffer): boolean;
  readonly writableLength: number;
}

/**
 * Collects the connections that have queued frames and flushes them all once per event-loop turn (setImmediate),
 * so the frames published in one turn reach each socket in one write (one syscall).
 *
 * Why this flush (`npm run bench -- --flush`: 2 cores, Node 20, 1000 / 5000 subscribers of one topic, 16 messages
 * per turn, alternating rounds; server CPU per delivered message and throughput as a ratio to the frame-once batched
 * ws setup; bench/results/flush-variants-*.json):
 *   cork + one write per frame + uncork (one writev)                        0.64 / 0.72 µs   0.76 / 0.80×
 *   Buffer.concat per connection + one write                               0.64 / 0.72 µs   0.69 / 0.75×
 *   one concatenation per pass, shared by connections with the same frames  0.54 / 0.60 µs   0.89 / 0.87×
 *   queueMicrotask instead of setImmediate (with cork)                      0.67 / 0.71 µs   0.68 / 0.78×
 *   frame-once batched ws, the practical limit                              0.44 / 0.50 µs   1.00×
 * A CPU profile of the publish path is ~75% the write syscall itself either way; what the shared concatenation saves
 * is the per-frame work of corked writes (a write request per frame, a 16-entry writev). queueMicrotask gains
 * nothing and would flush after every I/O callback, so frames arriving in separate callbacks of one turn would no
 * longer share a write.
 * So: setImmediate, and a concatenation shared by the queues of one pass (`concat`), the same trick as frame-once one
 * level up. Subscribers of the same topics get their dirty queues marked next to each other (the hub delivers to a
 * topic's subscribers in one loop), so comparing with the previous queue's frames is enough; others concatenate
 * their own.
 */
export class FlushScheduler {
  private dirty = new Set<OutboundQueue>();
  private scheduled = false;
  private lastFrames: readonly Buffer[] = [];
  private lastBytes: Buffer | undefined;
  /** Running totals for the metrics (read at scrape time): frames and bytes written, socket writes. */
  readonly stats = { messages: 0, bytes: 0, writes: 0 };
  /** Topic batches first written in the current pass (their latency is observed once, when the pass ends). */
  private born: number[] = [];

  /**
   * @param onDelivered called once per topic batch with the seconds from its first frame reaching the hub to the end
   *   of the flush pass that wrote it to every subscriber (publish-to-write latency; not per subscriber).
   */
  constructor(private readonly onDelivered?: (seconds: number) => void) {}

  /** A batch's first read in this pass (metrics only). */
  batchWritten(batch: TopicBatch): void {
    if (this.onDelivered && !batch.observed) {
      batch.observed = true;
      this.born.push(batch.bornAt);
    }
  }

  mark(queue: OutboundQueue): void {
    this.dirty.add(queue);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }

  /**
   * `frames` back to back in one buffer (`total` bytes). Within one flush pass, a call with the very same frames
   * (same Buffer objects, same order) as the previous call returns the same buffer instead of copying again.
   */
  concat(frames: readonly Buffer[], total: number): Buffer {
    const last = this.lastFrames;
    if (this.lastBytes && last.length === frames.length) {
      let same = true;
      for (let i = 0; same && i < frames.length; i++) same = frames[i] === last[i];
      if (same) return this.lastBytes;
    }
    this.lastFrames = frames;
    this.lastBytes = Buffer.concat(frames as Buffer[], total);
    return this.lastBytes;
  }

  private run(): void {
    this.scheduled = false;
    const queues = this.dirty;
    this.dirty = new Set();
    for (const q of queues) q.flush();
    this.lastFrames = [];
    this.lastBytes = undefined;
    if (this.born.length) {
      const now = performance.now();
      for (const t of this.born) this.onDelivered!((now - t) / 1000);
      this.born = [];
    }
  }
}

/** A queued topic batch: its frames from `start` on (see TopicBatch); `skip` = bytes of the frames before `start`. */
interface BatchEntry {
  batch: TopicBatch;
  start: number;
  skip: number;
}

/**
 * One connection's outbound frames. Contract: frames leave in the order they were pushed (a topic batch counts as
 * pushed when it was handed over: frames the topic publishes later in the same turn go with it, so per-topic order
 * holds and frames of different topics may interleave differently than they were published); nothing is written
 * after `close()`; when queued + kernel-pending bytes would pass `maxBufferedBytes` (checked on each single frame,
 * and for batches when the queue flushes), the queue is dropped and `onOverflow` is called once (the connection then
 * closes with SLOW_CONSUMER).
 *
 * Why write to the socket directly: ws has no public "send these pre-framed bytes" call; ws.send frames per client.
 * Only data frames go through here; ws keeps writing its own control frames (ping/pong/close), which may be
 * interleaved between whole data frames as RFC 6455 allows. permessage-deflate is off on this server.
 */
export class OutboundQueue {
  private entries: (Buffer | BatchEntry)[] = [];
  /** The batch entries among `entries` (at most one per subscribed topic per turn): their size grows until flushed. */
  private batches: BatchEntry[] = [];
  private queuedBytes = 0;
  private closed = false;

  constructor(
    private readonly socket: WritableSocket,
    private readonly scheduler: FlushScheduler,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: () => void,
    /** False once the WebSocket is closing: ws may already have written its close frame. */
    private readonly canWrite: () => boolean,
    /** Tests: sees every batched frame as it is written (single frames are seen by the caller of push). */
    private readonly inspect?: (frame: Frame) => void,
  ) {}

  /**
   * Bytes not yet accepted by the kernel: queued single frames, queued topic batches (as they are now: a batch keeps
   * growing until this queue flushes it) and the socket's user-space buffer.
   */
  get pendingBytes(): number {
    let batched = 0;
    for (const b of this.batches) batched += b.batch.byteLength - b.skip;
    return this.queuedBytes + batched + this.socket.writableLength;
  }

  push(frame: Frame): boolean {
    if (this.closed) return false;
    if (this.pendingBytes + frame.bytes.length > this.maxBufferedBytes) {
      this.overflow();
      return false;
    }
    this.entries.push(frame.bytes);
    this.queuedBytes += frame.bytes.length;
    if (this.entries.length === 1) this.scheduler.mark(this);
    return true;
  }

  /** Queues a topic batch from frame `start` on (frames appended to it until it is read come along). */
  pushBatch(batch: TopicBatch, start: number): void {
    if (this.closed) return;
    let skip = 0;
    for (let i = 0; i < start && i < batch.frames.length; i++) skip += batch.frames[i]!.bytes.length;
    const entry = { batch, start, skip };
    this.entries.push(entry);
    this.batches.push(entry);
    if (this.entries.length === 1) this.scheduler.mark(this);
  }

  /** Writes everything queued in one socket write (see FlushScheduler for why a shared concatenation). */
  flush(): void {
    if (this.closed || this.entries.length === 0) return;
    const entries = this.entries;
    this.entries = [];
    this.batches = [];
    this.queuedBytes = 0;
    if (!this.canWrite()) return;
    const chunks: Buffer[] = [];
    let total = 0;
    let messages = 0;
    for (const e of entries) {
      let chunk: Buffer;
      if (Buffer.isBuffer(e)) {
        chunk = e;
        messages++;
      } else {
        if (e.start >= e.batch.frames.length) continue;
        chunk = e.batch.read(e.start);
        messages += e.batch.frames.length - e.start;
        this.scheduler.batchWritten(e.batch);
        if (this.inspect) for (const f of e.batch.frames.slice(e.start)) this.inspect(f);
      }
      chunks.push(chunk);
      total += chunk.length;
    }
    if (total === 0) return;
    if (this.socket.writableLength + total > this.maxBufferedBytes) {
      this.overflow();
      return;
    }
    this.socket.write(chunks.length === 1 ? chunks[0]! : this.scheduler.concat(chunks, total));
    const stats = this.scheduler.stats;
    stats.messages += messages;
    stats.bytes += total;
    stats.writes++;
  }

  /** Drops whatever is queued; later pushes are refused. */
  close(): void {
    this.closed = true;
    this.entries = [];
    this.batches = [];
    this.queuedBytes = 0;
  }

  private overflow(): void {
    this.close();
    this.onOverflow();
  }
}
