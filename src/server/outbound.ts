import { TopicBatch, type Frame } from '../pubsub/frame.ts';
import type { BatchSink } from '../pubsub/hub.ts';

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
  /**
   * Queues with something to write this pass, `dirty[0..dirtyCount)`. A queue is marked when its first entry
   * arrives, so at most once. The array is kept between passes (emptying it with `length = 0` would drop its backing
   * store and grow it again every pass); slots are cleared as they are flushed, so no closed queue is kept alive.
   */
  private dirty: (OutboundQueue | undefined)[] = [];
  private dirtyCount = 0;
  /** Topic batches begun this turn and not yet handed to their subscribers' queues (the hub's FanOut: `fanOut`). */
  private fanouts: { batch: TopicBatch; sinks: readonly BatchSink[] }[] = [];
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
    if (!batch.observed && this.onDelivered) {
      batch.observed = true;
      this.born.push(batch.bornAt);
    }
  }

  mark(queue: OutboundQueue): void {
    this.dirty[this.dirtyCount++] = queue;
    this.schedule();
  }

  /**
   * The hub's FanOut: a topic's new batch for the subscribers' sinks as they were when it began. Handed over in this
   * pass (below), or earlier by `settle` when some queue gets anything else first.
   */
  fanOut(batch: TopicBatch, sinks: readonly BatchSink[]): void {
    this.fanouts.push({ batch, sinks });
    this.schedule();
  }

  /**
   * Hands every pending topic batch to its sinks' queues now. A queue calls it before it takes a frame or a partial
   * batch of its own (and before a flush outside the pass), so a queue's entries keep the order in which they were
   * published or pushed: a batch that began before a reply is written before it, as if handed over at once.
   */
  settle(): void {
    if (this.fanouts.length === 0) return;
    const fanouts = this.fanouts;
    this.fanouts = [];
    for (const { batch, sinks } of fanouts) for (let i = 0; i < sinks.length; i++) sinks[i]!.deliverBatch(batch, 0);
  }

  private schedule(): void {
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
    if (this.fanouts.length === 1 && this.dirtyCount === 0) {
      // The common broadcast turn: one topic's batch and nothing else queued anywhere. Each subscriber's socket gets
      // it in one walk (a queue that got an entry meanwhile, by a write's side effect, queues it behind that).
      const { batch, sinks } = this.fanouts.pop()!;
      for (let i = 0; i < sinks.length; i++) sinks[i]!.flushBatch(batch);
    } else {
      this.settle();
    }
    // A queue marked during this pass (by a write's side effect) is appended and flushed in this same pass.
    const queues = this.dirty;
    for (let i = 0; i < this.dirtyCount; i++) {
      const q = queues[i]!;
      queues[i] = undefined;
      q.flush();
    }
    this.dirtyCount = 0;
    this.lastFrames = [];
    this.lastBytes = undefined;
    if (this.born.length) {
      const now = performance.now();
      for (const t of this.born) this.onDelivered!((now - t) / 1000);
      this.born = [];
    }
  }
}

/** A queued topic batch read from frame `start` > 0 (from 0 the TopicBatch itself is queued, with no wrapper). */
class BatchFrom {
  constructor(readonly batch: TopicBatch, readonly start: number) {}
}

/** What a queue holds: a single frame's bytes, a whole topic batch, or a topic batch from a later frame. */
type Entry = Buffer | TopicBatch | BatchFrom;

/**
 * One connection's outbound frames. Contract: frames leave in the order they were pushed (a topic batch counts as
 * pushed when it began, see FlushScheduler.settle: frames the topic publishes later in the same turn go with it, so
 * per-topic order holds and frames of different topics may interleave differently than they were published);
 * nothing is written after `close()`, which the owner calls when the WebSocket leaves OPEN; when queued +
 * kernel-pending bytes would pass `maxBufferedBytes` (checked on each single frame, and for batches when they are
 * written), the queue is dropped and `onOverflow` is called once (the connection then closes with SLOW_CONSUMER).
 *
 * Why write to the socket directly: ws has no public "send these pre-framed bytes" call; ws.send frames per client.
 * Only data frames go through here; ws keeps writing its own control frames (ping/pong/close), which may be
 * interleaved between whole data frames as RFC 6455 allows. permessage-deflate is off on this server.
 *
 * Cost: this is the per-subscriber step of every fan-out, so the common case (one topic batch per turn, read from
 * its first frame) allocates nothing: the batch itself is the entry, held in a field, and the write is the batch's
 * shared concatenation.
 */
export class OutboundQueue {
  /**
   * The first queued entry, and the ones after it (allocated only when there are several): the common case, one topic
   * batch per turn, then costs no allocation (an emptied array would: `length = 0` drops its backing store).
   */
  private first: Entry | undefined;
  private rest: Entry[] | undefined;
  /**
   * For pendingBytes without walking the queue on every push (a replay pushes hundreds of frames): the bytes of the
   * queued single frames, and the batch entries after the first (a batch grows until flushed, so it is read live).
   */
  private frameBytes = 0;
  private restBatches: (TopicBatch | BatchFrom)[] | undefined;
  private closed = false;

  constructor(
    private readonly socket: WritableSocket,
    private readonly scheduler: FlushScheduler,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: () => void,
    /** Tests: sees every batched frame as it is written (single frames are seen by the caller of push). */
    private readonly inspect?: (frame: Frame) => void,
  ) {}

  /**
   * Bytes not yet accepted by the kernel: queued single frames, queued topic batches (as they are now: a batch keeps
   * growing until this queue flushes it) and the socket's user-space buffer.
   */
  get pendingBytes(): number {
    let queued = this.frameBytes;
    if (this.first !== undefined && !Buffer.isBuffer(this.first)) queued += entryBytes(this.first);
    if (this.restBatches) for (const e of this.restBatches) queued += entryBytes(e);
    return queued + this.socket.writableLength;
  }

  push(frame: Frame): boolean {
    if (this.closed) return false;
    this.scheduler.settle();
    if (this.pendingBytes + frame.bytes.length > this.maxBufferedBytes) {
      this.overflow();
      return false;
    }
    this.add(frame.bytes);
    return true;
  }

  /** Queues a topic batch from frame `start` on (frames appended to it until it is read come along). */
  deliverBatch(batch: TopicBatch, start: number): void {
    if (this.closed) return;
    if (start > 0) this.scheduler.settle(); // a subscriber joining mid-turn: what began before it goes first
    if (start === 0 && this.first === undefined) {
      // The common case, once per subscriber per turn: nothing else queued.
      this.first = batch;
      this.scheduler.mark(this);
      return;
    }
    this.add(start === 0 ? batch : new BatchFrom(batch, start));
  }

  /**
   * The flush pass's one-topic turn (FlushScheduler.run): writes the batch now when nothing else is queued here, else
   * queues it behind what is.
   */
  flushBatch(batch: TopicBatch): void {
    if (this.closed) return;
    if (this.first !== undefined) this.deliverBatch(batch, 0);
    else if (batch.frames.length) this.write(this.readBatch(batch, 0), batch.frames.length);
  }

  /** Writes everything queued in one socket write (see FlushScheduler for why a shared concatenation). */
  flush(): void {
    this.scheduler.settle(); // also called outside the pass: a close first writes what was published to it
    const first = this.first;
    if (this.closed || first === undefined) return;
    const rest = this.rest;
    this.clear();
    if (!rest) {
      // The common case: one topic's batch this turn (or one reply).
      if (first instanceof TopicBatch) {
        if (first.frames.length) this.write(this.readBatch(first, 0), first.frames.length);
      } else if (Buffer.isBuffer(first)) this.write(first, 1);
      else if (first.start < first.batch.frames.length) {
        this.write(this.readBatch(first.batch, first.start), first.batch.frames.length - first.start);
      }
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let messages = 0;
    for (let i = -1; i < rest.length; i++) {
      const e = i < 0 ? first : rest[i]!;
      let chunk: Buffer;
      if (Buffer.isBuffer(e)) {
        chunk = e;
        messages++;
      } else {
        const batch = e instanceof TopicBatch ? e : e.batch;
        const start = e instanceof TopicBatch ? 0 : e.start;
        if (start >= batch.frames.length) continue;
        chunk = this.readBatch(batch, start);
        messages += batch.frames.length - start;
      }
      chunks.push(chunk);
      total += chunk.length;
    }
    if (total === 0) return;
    this.write(chunks.length === 1 ? chunks[0]! : this.scheduler.concat(chunks, total), messages);
  }

  /**
   * Drops whatever is queued; later pushes are refused. The owner calls it as soon as the WebSocket leaves OPEN
   * (whoever closes it: ws may already have written its close frame, and no data frame may follow that).
   */
  close(): void {
    this.closed = true;
    this.clear();
  }

  private clear(): void {
    this.first = undefined;
    this.rest = undefined;
    this.restBatches = undefined;
    this.frameBytes = 0;
  }

  private add(entry: Entry): void {
    if (Buffer.isBuffer(entry)) this.frameBytes += entry.length;
    if (this.first === undefined) {
      this.first = entry;
      this.scheduler.mark(this);
    } else {
      (this.rest ??= []).push(entry);
      if (!Buffer.isBuffer(entry)) (this.restBatches ??= []).push(entry);
    }
  }

  private readBatch(batch: TopicBatch, start: number): Buffer {
    this.scheduler.batchWritten(batch);
    if (this.inspect) for (let i = start; i < batch.frames.length; i++) this.inspect(batch.frames[i]!);
    return batch.read(start);
  }

  private write(bytes: Buffer, messages: number): void {
    if (this.socket.writableLength + bytes.length > this.maxBufferedBytes) {
      this.overflow();
      return;
    }
    this.socket.write(bytes);
    const stats = this.scheduler.stats;
    stats.messages += messages;
    stats.bytes += bytes.length;
    stats.writes++;
  }

  private overflow(): void {
    this.close();
    this.onOverflow();
  }
}

function entryBytes(e: Entry): number {
  if (Buffer.isBuffer(e)) return e.length;
  if (e instanceof TopicBatch) return e.byteLength;
  let skipped = 0;
  for (let i = 0; i < e.start && i < e.batch.frames.length; i++) skipped += e.batch.frames[i]!.bytes.length;
  return e.batch.byteLength - skipped;
}
