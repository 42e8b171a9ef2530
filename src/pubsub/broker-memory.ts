import { randomBytes } from 'node:crypto';
import {
  recoverability,
  type Broker,
  type BrokerEventHandler,
  type HistoryOptions,
  type HistoryPolicyOf,
  type HistoryResult,
  type Publication,
  type PublishOptions,
  type StreamPosition,
} from './broker.ts';

export interface MemoryBrokerOptions {
  /** History bounds per topic; default 1000 publications for 5 minutes. */
  historyPolicy?: HistoryPolicyOf;
  /**
   * How long a topic's epoch and top offset outlive its last publication (default 24 h). After that the topic
   * starts again at offset 1 with a new epoch, so a client holding an old position is told `recovered: false`.
   */
  metaTtlMs?: number;
  /** How often expired history is swept (default 30 s); the timer does not keep the process alive. */
  sweepIntervalMs?: number;
  now?: () => number;
}

/** A short random stream name: 8 URL-safe characters (48 bits). */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}

interface Entry {
  offset: number;
  data: string;
  at: number;
}

/** One topic's stream: its epoch, top offset and the last `size` publications in a ring. */
class TopicStream {
  top = 0;
  /** The latest snapshot and the offset it is current to. */
  snapshot: { offset: number; messages: readonly string[] } | undefined;
  lastPublishAt: number;
  bytes = 0;
  private ring: (Entry | undefined)[] = [];
  private head = 0; // index of the oldest entry
  private count = 0;

  constructor(readonly epoch: string, now: number) {
    this.lastPublishAt = now;
  }

  get length(): number {
    return this.count;
  }

  /** The oldest kept offset (top + 1 when nothing is kept). */
  get first(): number {
    return this.top - this.count + 1;
  }

  append(data: string, at: number, size: number): number {
    const offset = ++this.top;
    this.lastPublishAt = at;
    if (this.ring.length !== size) this.resize(size);
    if (this.count === size) this.dropOldest();
    this.ring[(this.head + this.count) % size] = { offset, data, at };
    this.count++;
    this.bytes += data.length;
    return offset;
  }

  /** Drops entries published before `cutoff`. */
  expire(cutoff: number): void {
    while (this.count > 0 && this.ring[this.head]!.at < cutoff) this.dropOldest();
  }

  after(offset: number): Publication[] {
    const out: Publication[] = [];
    const size = this.ring.length;
    for (let i = Math.max(0, offset - this.first + 1); i < this.count; i++) {
      const e = this.ring[(this.head + i) % size]!;
      out.push({ offset: e.offset, data: e.data });
    }
    return out;
  }

  private dropOldest(): void {
    const e = this.ring[this.head]!;
    this.bytes -= e.data.length;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
  }

  private resize(size: number): void {
    const kept = this.after(this.top - Math.min(this.count, size));
    this.ring = new Array(size);
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
    for (const p of kept) {
      this.ring[this.count++] = { offset: p.offset, data: p.data, at: this.lastPublishAt };
      this.bytes += p.data.length;
    }
  }
}

/**
 * In-process broker with bounded per-topic history. A publication on a topic this node subscribed is handed to the
 * hub synchronously inside `publish`, so delivery order equals publish order and a snapshot taken between two
 * publishes is exactly current to the last one. History is kept whether or not anyone is subscribed, so a client
 * that was a topic's only subscriber can come back and recover. Epochs are per process: a restart loses history.
 */
export class MemoryBroker implements Broker {
  private handler: BrokerEventHandler | undefined;
  private readonly subscribed = new Set<string>();
  private readonly streams = new Map<string, TopicStream>();
  private readonly policy: HistoryPolicyOf;
  private readonly metaTtlMs: number;
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: MemoryBrokerOptions = {}) {
    this.policy = options.historyPolicy ?? (() => ({ size: 1000, ttlMs: 300_000 }));
    this.metaTtlMs = options.metaTtlMs ?? 86_400_000;
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.sweeper.unref();
  }

  setHandler(handler: BrokerEventHandler): void {
    this.handler = handler;
  }

  async subscribe(topic: string): Promise<void> {
    this.subscribed.add(topic);
  }

  async unsubscribe(topic: string): Promise<void> {
    this.subscribed.delete(topic);
  }

  publish(topic: string, data: string, options: PublishOptions = {}): Promise<StreamPosition> {
    const now = this.now();
    const stream = this.stream(topic, now);
    const { size } = this.policy(topic);
    const offset = stream.append(data, now, size);
    if (options.snapshot) stream.snapshot = { offset, messages: options.snapshot };
    const position = { epoch: stream.epoch, offset };
    if (this.subscribed.has(topic)) this.handler?.onPublication(topic, data, position);
    return Promise.resolve(position);
  }

  async setSnapshot(topic: string, snapshot: readonly string[]): Promise<StreamPosition> {
    const stream = this.stream(topic, this.now());
    stream.snapshot = { offset: stream.top, messages: snapshot };
    return { epoch: stream.epoch, offset: stream.top };
  }

  async history(topic: string, options: HistoryOptions): Promise<HistoryResult> {
    const now = this.now();
    const stream = this.stream(topic, now);
    stream.expire(now - this.policy(topic).ttlMs);
    const position = { epoch: stream.epoch, offset: stream.top };
    const snap = options.snapshot && stream.snapshot?.offset === stream.top ? { snapshot: stream.snapshot.messages } : {};
    const { since } = options;
    if (!since) return { recoverable: true, position, publications: [], ...snap };
    const reason = recoverability(since, position, stream.first, options.limit);
    if (reason) return { recoverable: false, position, reason, ...snap };
    return { recoverable: true, position, publications: stream.after(since.offset) };
  }

  async forget(topic: string): Promise<void> {
    this.streams.delete(topic);
  }

  /** Retained history, for status pages and the benchmark. */
  stats(): { topics: number; publications: number; bytes: number } {
    let publications = 0;
    let bytes = 0;
    for (const s of this.streams.values()) {
      publications += s.length;
      bytes += s.bytes;
    }
    return { topics: this.streams.size, publications, bytes };
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.subscribed.clear();
  }

  /** Drops expired publications, and the streams of topics idle past the meta TTL (their next publish starts a new epoch). */
  sweep(): void {
    const now = this.now();
    for (const [topic, s] of this.streams) {
      s.expire(now - this.policy(topic).ttlMs);
      if (s.length === 0 && now - s.lastPublishAt > this.metaTtlMs && !this.subscribed.has(topic)) this.streams.delete(topic);
    }
  }

  private stream(topic: string, now: number): TopicStream {
    let s = this.streams.get(topic);
    if (!s) this.streams.set(topic, (s = new TopicStream(newEpoch(), now)));
    return s;
  }
}
