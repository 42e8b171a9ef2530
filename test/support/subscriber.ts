import type { Frame, TopicBatch } from '../../src/pubsub/frame.ts';
import type { BatchSink, Subscriber } from '../../src/pubsub/hub.ts';

/**
 * A hub subscriber that records what it is given, in order: single frames as they come, and topic batches read
 * the way a connection's queue reads them (every frame from `start`, including those the hub appends later).
 */
export class RecordingSubscriber implements Subscriber {
  private readonly entries: (Frame | { batch: TopicBatch; start: number })[] = [];
  readonly losses: string[] = [];
  constructor(readonly id = 'rec', private readonly onLost?: (topic: string, reason: string) => void) {}

  deliver(frame: Frame): void {
    this.entries.push(frame);
  }

  /** Batches are recorded here too, in order with the frames. */
  get batches(): BatchSink {
    return this;
  }

  deliverBatch(batch: TopicBatch, start: number): void {
    this.entries.push({ batch, start });
  }

  flushBatch(batch: TopicBatch): void {
    this.entries.push({ batch, start: 0 });
  }

  lost(topic: string, reason: string): void {
    this.losses.push(`${topic} ${reason}`);
    this.onLost?.(topic, reason);
  }

  get frames(): Frame[] {
    return this.entries.flatMap((e) => ('batch' in e ? e.batch.frames.slice(e.start) : [e]));
  }

  get messages(): any[] {
    return this.frames.map((f) => JSON.parse(f.text));
  }

  get seqs(): number[] {
    return this.messages.map((m) => m.seq);
  }
}
