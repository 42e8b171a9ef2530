import type { Broker, BrokerEventHandler, Publication, StreamPosition, UnrecoverableReason } from './broker.ts';
import { textFrame, TopicBatch, type Frame } from './frame.ts';
import { topicFamily, type Metrics } from '../observability/metrics.ts';

/** Where a subscriber's topic batches go (see Subscriber.batches). */
export interface BatchSink {
  /**
   * Queue a topic's batch for this turn, from frame `start` on: frames the hub adds to it before it is read come
   * along (one call per topic per turn instead of one per message). Must not throw.
   */
  deliverBatch(batch: TopicBatch, start: number): void;
  /**
   * Write the batch now, as `deliverBatch(batch, 0)` and a flush would: called by a FanOut that defers the hand-over to
   * its flush pass, when that batch is all the pass has to write. Must not throw.
   */
  flushBatch(batch: TopicBatch): void;
}

/**
 * Hands a topic's new batch (its first frame of the turn) to the sinks of the topic's live subscribers, as they were
 * when it began (the array is not changed afterwards). The default hands it over at once. The server's flush
 * scheduler defers it to its pass, where a turn with one topic batch and nothing else queued is written in one walk
 * over the subscribers instead of two (hand over, then write).
 */
export type FanOut = (batch: TopicBatch, sinks: readonly BatchSink[]) => void;

const handOverNow: FanOut = (batch, sinks) => {
  for (let i = 0; i < sinks.length; i++) sinks[i]!.deliverBatch(batch, 0);
};

/** Whatever receives frames: a WebSocket connection in the server, a recorder in tests. */
export interface Subscriber {
  readonly id: string;
  /** Queue one frame for this subscriber. Must not throw; a closed subscriber drops it. */
  deliver(frame: Frame): void;
  /**
   * The hub lost continuity on `topic` (a gap it could not fill from history, or a new epoch): the subscriber has
   * already been removed from the topic and must tell its client, who resubscribes and recovers or resyncs.
   */
  lost(topic: string, reason: UnrecoverableReason | 'unavailable'): void;
  /**
   * Where the hub hands this subscriber's topic batches (the server: the connection's outbound queue). Read once, when
   * the subscriber goes live: the per-turn fan-out then touches only the sinks, not the subscribers (memory touched
   * per subscriber per turn is what a large fan-out pays for).
   */
  readonly batches: BatchSink;
}

/** Told when a topic gets its first local subscriber and when its last one leaves (feeds start/stop sources). */
export interface TopicWatcher {
  active(topic: string): void;
  idle(topic: string): void;
}

export interface SubscribeOptions {
  /** Recover every publication after this position (the client's last seen). */
  since?: StreamPosition;
  /**
   * Without `since`: replay the topic from its first publication instead of a snapshot, when history still holds
   * all of it and it is within the recovery limit (event streams such as a backtest run, whose events are not in any
   * snapshot). The answer is then `recovered: false` with `position` at offset 0 and no snapshot.
   */
  fromStart?: boolean;
}

/**
 * - `added`: subscribed. `position` is what the subscriber is current to once `activate` runs: with `since` and
 *   `recovered: true`, every publication up to it is replayed (in order, before live ones); otherwise the caller
 *   sends a snapshot and says it is current to `position` (live publications after it follow).
 * - `exists`: already subscribed; nothing changed.
 */
export type SubscribeOutcome =
  | { status: 'added'; position: StreamPosition; recovered: boolean; reason?: UnrecoverableReason; snapshot?: readonly string[] }
  | { status: 'exists' };

export interface HubOptions {
  /** At most this many publications are replayed on a resubscribe; more missed means `recovered: false`. Default 1000. */
  recoveryLimit?: number;
  /** A publish the broker refused (e.g. Redis down). Default: ignored (tests); the app logs and counts it. */
  onPublishError?: (topic: string, err: unknown) => void;
  /** A broker call made by the hub itself failed (unsubscribe, a position check). */
  onError?: (err: unknown, where: string) => void;
  /** The broker stored a publication of this node or delivered one to it (health: the broker is alive). */
  onBrokerActivity?: () => void;
  /** The broker lost or regained its connection (health, logs). */
  onConnectionChange?: (state: 'down' | 'up') => void;
  /** Counts publishes (and their broker latency), recoveries and continuity losses, by topic family; default none. */
  metrics?: Pick<Metrics, 'published' | 'publishRefused' | 'recovery' | 'lost' | 'brokerError'>;
  /** How a topic's new batch reaches its subscribers' sinks; default: at once (see FanOut). */
  fanOut?: FanOut;
}

/** A subscriber between subscribe and activate: live publications are held so the replay or snapshot goes first. */
interface Pending {
  held: { offset: number; frame: Frame }[];
  replay: Publication[];
  position: StreamPosition;
  ready: boolean;
}

/**
 * A topic's live subscribers and their batch sinks. The sinks are a plain array because the fan-out walks them once
 * per topic per turn (an array walk touches less memory than a Map iterator); removal swaps the last one in.
 */
class LiveSubscribers {
  private sinks: BatchSink[] = [];
  /** `sinks` was handed out (snapshot) and must not change: the next add or delete copies it first. */
  private shared = false;
  private readonly subscribers: Subscriber[] = [];
  private readonly at = new Map<Subscriber, number>();

  get size(): number {
    return this.sinks.length;
  }

  has(subscriber: Subscriber): boolean {
    return this.at.has(subscriber);
  }

  /** The sinks as they are now; later adds and deletes do not change what is returned (copy on write). */
  snapshot(): readonly BatchSink[] {
    this.shared = true;
    return this.sinks;
  }

  add(subscriber: Subscriber, sink: BatchSink): void {
    this.own();
    this.at.set(subscriber, this.sinks.length);
    this.sinks.push(sink);
    this.subscribers.push(subscriber);
  }

  delete(subscriber: Subscriber): boolean {
    const i = this.at.get(subscriber);
    if (i === undefined) return false;
    this.own();
    this.at.delete(subscriber);
    const last = this.sinks.length - 1;
    if (i !== last) {
      const moved = this.subscribers[last]!;
      this.sinks[i] = this.sinks[last]!;
      this.subscribers[i] = moved;
      this.at.set(moved, i);
    }
    this.sinks.pop();
    this.subscribers.pop();
    return true;
  }

  keys(): Subscriber[] {
    return [...this.subscribers];
  }

  private own(): void {
    if (!this.shared) return;
    this.sinks = this.sinks.slice();
    this.shared = false;
  }
}

interface TopicState {
  /** Live subscribers and where their batches go. */
  live: LiveSubscribers;
  pending: Map<Subscriber, Pending>;
  /** The last publication this node delivered (or the top when it subscribed): the live path's continuity check. */
  last: StreamPosition | undefined;
  /** Set while a gap is being filled from history; live publications wait here meanwhile. */
  repairing: { offset: number; data: string; epoch: string }[] | undefined;
  /** This turn's frames, shared by the live subscribers (until the first of them reads it). */
  batch: TopicBatch | undefined;
  /**
   * Replayed frames by offset, so a burst of reconnecting subscribers replaying the same publications shares one
   * frame per publication instead of encoding it once per subscriber. Bounded; live frames are not kept.
   */
  frames: Map<number, Frame>;
}

/**
 * Topic → subscribers and subscriber → topics, kept together. The first local subscriber of a topic subscribes the
 * node at the broker and the last one unsubscribes it; an empty topic is deleted.
 *
 * Delivery contract: `publish` encodes a message once; the broker assigns its position and hands the bytes back;
 * the hub appends `"seq":<offset>` (and the message's `topic` when it has none, at publish), frames it once and
 * the same Frame goes to every live subscriber of the topic, in offset order. A subscriber never receives a topic
 * it is not subscribed to, never a duplicate and never a gap: the hub checks each topic's offsets, fills a gap from
 * the broker's history, and when it cannot, removes the subscribers and tells them (`lost`).
 */
export class Hub implements BrokerEventHandler {
  private readonly topics = new Map<string, TopicState>();
  private readonly subscriptions = new Map<Subscriber, Set<string>>();
  private readonly watchers = new Set<TopicWatcher>();
  /** Node-level subscribe/unsubscribe calls per topic, chained so they reach the broker in order. */
  private readonly nodeOps = new Map<string, Promise<void>>();
  private readonly recoveryLimit: number;
  /** Topics some other node of the cluster is subscribed to (producer nodes, after `watchInterest`). */
  private readonly remoteInterest = new Set<string>();
  /** Publishes so far (metrics sampling). */
  private publishes = 0;
  /** This turn's topic batches, sealed together when the turn ends. */
  private openBatches: TopicBatch[] = [];
  private readonly fanOut: FanOut;

  constructor(private readonly broker: Broker, private readonly options: HubOptions = {}) {
    this.recoveryLimit = options.recoveryLimit ?? 1000;
    this.fanOut = options.fanOut ?? handOverNow;
    broker.setHandler(this);
  }

  /**
   * Subscribes and reads what the subscriber needs to be current: the replay after `since` or the position a
   * snapshot must be current to. Until `activate(subscriber, topic)` live publications are held (the caller sends its
   * reply and snapshot first); then the replay and the held publications after `position` are delivered, deduplicated
   * by offset, and the subscriber is live. Rejects (and subscribes nothing) when the broker cannot be reached.
   */
  async subscribe(subscriber: Subscriber, topic: string, options: SubscribeOptions = {}): Promise<SubscribeOutcome> {
    const state = this.topics.get(topic);
    if (state && (state.live.has(subscriber) || state.pending.has(subscriber))) return { status: 'exists' };
    const pending: Pending = { held: [], replay: [], position: { epoch: '', offset: 0 }, ready: false };
    const isNewTopic = !state;
    const s = state ?? this.newTopic(topic);
    s.pending.set(subscriber, pending);
    this.index(subscriber, topic);
    if (isNewTopic && !this.remoteInterest.has(topic)) for (const w of this.watchers) w.active(topic);
    try {
      await this.nodeOp(topic, () => this.broker.subscribe(topic), isNewTopic);
      const h = await this.broker.history(topic, { since: options.since, limit: this.recoveryLimit, snapshot: true });
      if (this.topics.get(topic)?.pending.get(subscriber) !== pending) return { status: 'exists' }; // left meanwhile
      if (options.fromStart && !options.since && h.position.offset > 0) {
        const all = await this.broker.history(topic, { since: { epoch: h.position.epoch, offset: 0 }, limit: this.recoveryLimit });
        if (this.topics.get(topic)?.pending.get(subscriber) !== pending) return { status: 'exists' };
        if (all.recoverable) {
          if (!s.last) s.last = all.position;
          pending.replay = all.publications;
          pending.position = all.position;
          pending.ready = true;
          return { status: 'added', position: { epoch: all.position.epoch, offset: 0 }, recovered: false };
        }
      }
      // Publications up to the top were published before the node subscribed (or are replayed): the live path
      // continues after it. Once set, only the live path moves `last`.
      if (!s.last) s.last = h.position;
      pending.ready = true;
      // Not recovering: the broker's snapshot is current to the history's position exactly; held publications after
      // it follow. Without a snapshot the subscriber is current to what this node has delivered by now.
      const snapshot = h.snapshot ? { snapshot: h.snapshot } : {};
      const now = h.snapshot || !(s.last && s.last.epoch === h.position.epoch && s.last.offset > h.position.offset) ? h.position : s.last;
      pending.position = now;
      if (!options.since) return { status: 'added', position: now, recovered: false, ...snapshot };
      this.options.metrics?.recovery(topicFamily(topic), h.recoverable, h.recoverable ? undefined : h.reason);
      if (!h.recoverable) return { status: 'added', position: now, recovered: false, reason: h.reason, ...snapshot };
      pending.position = h.position;
      pending.replay = h.publications;
      return { status: 'added', position: h.position, recovered: true };
    } catch (err) {
      this.unsubscribe(subscriber, topic);
      throw err;
    }
  }

  /** Delivers the replay and the held publications after the subscriber's position, then makes it live. */
  activate(subscriber: Subscriber, topic: string): void {
    const s = this.topics.get(topic);
    const pending = s?.pending.get(subscriber);
    if (!s || !pending || !pending.ready) return;
    s.pending.delete(subscriber);
    for (const p of pending.replay) subscriber.deliver(this.frameOf(s, p.data, p.offset));
    let next = pending.position.offset + 1;
    for (const h of pending.held) {
      if (h.offset < next) continue;
      if (h.offset > next) {
        // The node skipped publications between the history read and the first held one: resync this subscriber.
        this.options.metrics?.lost(topicFamily(topic), 'expired', 1);
        this.unsubscribe(subscriber, topic);
        subscriber.lost(topic, 'expired');
        return;
      }
      subscriber.deliver(h.frame);
      next++;
    }
    const sink = subscriber.batches;
    s.live.add(subscriber, sink);
    // Frames this turn's batch gets from now on are the subscriber's too.
    if (s.batch && !s.batch.sealed) sink.deliverBatch(s.batch, s.batch.frames.length);
  }

  /** Returns true when a subscription was removed. */
  unsubscribe(subscriber: Subscriber, topic: string): boolean {
    const s = this.topics.get(topic);
    if (!s || !(s.live.delete(subscriber) || s.pending.delete(subscriber))) return false;
    const mine = this.subscriptions.get(subscriber);
    mine?.delete(topic);
    if (mine && mine.size === 0) this.subscriptions.delete(subscriber);
    if (s.live.size === 0 && s.pending.size === 0) this.dropTopic(topic);
    return true;
  }

  /** Removes the subscriber from every topic (on disconnect). */
  removeSubscriber(subscriber: Subscriber): void {
    for (const topic of [...(this.subscriptions.get(subscriber) ?? [])]) this.unsubscribe(subscriber, topic);
  }

  topicsOf(subscriber: Subscriber): ReadonlySet<string> {
    return this.subscriptions.get(subscriber) ?? new Set();
  }

  subscriberCount(topic: string): number {
    const s = this.topics.get(topic);
    return s ? s.live.size + s.pending.size : 0;
  }

  /** Topics with a local subscriber and their subscriptions, by topic family (metrics, read at scrape time). */
  statsByFamily(): Record<string, { topics: number; subscriptions: number }> {
    const out: Record<string, { topics: number; subscriptions: number }> = {};
    for (const [topic, s] of this.topics) {
      const f = (out[topicFamily(topic)] ??= { topics: 0, subscriptions: 0 });
      f.topics++;
      f.subscriptions += s.live.size + s.pending.size;
    }
    return out;
  }

  /** Active topics: those with a local subscriber or, on a producer, a subscriber on another node. */
  activeTopics(): string[] {
    return [...new Set([...this.topics.keys(), ...this.remoteInterest])];
  }

  /**
   * Makes this node's watchers (the feeds) follow the whole cluster's subscriptions, not only local ones: the role
   * of a producer node. Resolves once the broker reports interest (networked brokers only).
   */
  async followClusterInterest(): Promise<void> {
    if (!this.broker.watchInterest) throw new Error('this broker has no cluster interest (use a networked broker)');
    await this.broker.watchInterest();
  }

  /** Broker callback (producer nodes): another node's subscriptions changed. */
  onInterest(topic: string, interested: boolean): void {
    if (interested) {
      if (this.remoteInterest.has(topic)) return;
      this.remoteInterest.add(topic);
      if (!this.topics.has(topic)) for (const w of this.watchers) w.active(topic);
    } else {
      if (!this.remoteInterest.delete(topic)) return;
      if (!this.topics.has(topic)) for (const w of this.watchers) w.idle(topic);
    }
  }

  /** The position of the last publication this node delivered on an active topic. */
  positionOf(topic: string): StreamPosition | undefined {
    return this.topics.get(topic)?.last;
  }

  watch(watcher: TopicWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /**
   * Encodes once and publishes through the broker. A message without a `topic` field gets one (so a client on an
   * endpoint that carries several topics can tell whose `seq` it is). Never throws; a refused publish is reported
   * to `onPublishError`. Resolves with the position (undefined when refused).
   */
  publish(topic: string, message: object, options: { snapshot?: readonly object[] } = {}): Promise<StreamPosition | undefined> {
    let data = JSON.stringify(message);
    if (!('topic' in message)) data = `${data.slice(0, -1)},"topic":${JSON.stringify(topic)}}`;
    const snapshot = options.snapshot ? { snapshot: options.snapshot.map((m) => JSON.stringify(m)) } : {};
    const metrics = this.options.metrics;
    // The broker's latency is sampled (one publish in 8): two clock reads cost more than the rest of the counting.
    const started = metrics && (this.publishes++ & 7) === 0 ? performance.now() : -1;
    return this.broker.publish(topic, data, snapshot).then(
      (p) => {
        metrics?.published(topicFamily(topic), started < 0 ? undefined : (performance.now() - started) / 1000);
        this.options.onBrokerActivity?.();
        return p;
      },
      (err) => {
        metrics?.publishRefused(topicFamily(topic));
        this.options.onPublishError?.(topic, err);
        return undefined;
      },
    );
  }

  /**
   * Drops a topic's stored history and snapshot at the broker (when it supports it; see Broker.forget). Local
   * subscribers are not touched. Never throws.
   */
  forget(topic: string): Promise<void> {
    return (this.broker.forget?.(topic) ?? Promise.resolve()).catch((err) => this.options.onError?.(err, `forget ${topic}`));
  }

  /**
   * Replaces a topic's snapshot (its state for a new subscriber) without publishing: state that exists before the
   * first update, or that changed with nothing to push. Never throws; a refusal goes to `onPublishError`.
   */
  setSnapshot(topic: string, messages: readonly object[]): Promise<StreamPosition | undefined> {
    return this.broker.setSnapshot(topic, messages.map((m) => JSON.stringify(m))).then(
      (p) => p,
      (err) => {
        this.options.onPublishError?.(topic, err);
        return undefined;
      },
    );
  }

  /** Broker callback: check continuity, frame once, deliver the same bytes to every local subscriber. */
  onPublication(topic: string, data: string, position: StreamPosition): void {
    this.options.onBrokerActivity?.();
    const s = this.topics.get(topic);
    if (!s) return;
    if (s.repairing) {
      s.repairing.push({ offset: position.offset, data, epoch: position.epoch });
      return;
    }
    const last = s.last;
    if (last && last.epoch === position.epoch) {
      if (position.offset <= last.offset) return; // already delivered (a replayed check raced the live path)
      if (position.offset > last.offset + 1) {
        s.repairing = [{ offset: position.offset, data, epoch: position.epoch }];
        this.repair(topic, s, last);
        return;
      }
    } else if (last && last.offset > 0) {
      this.loseTopic(topic, s, 'epoch', position);
      return;
    }
    this.deliver(s, data, position);
  }

  /** Broker callback: after a reconnect, fill what each active topic missed from history (or resync its subscribers). */
  onConnectionChange(state: 'down' | 'up'): void {
    this.options.onConnectionChange?.(state);
    if (state === 'up') this.checkPositions();
  }

  /**
   * Compares every active topic's last delivered position with the broker's and fills the difference from history,
   * catching publications the live path dropped silently (Centrifugo's periodic position check).
   */
  checkPositions(): void {
    for (const [topic, s] of this.topics) {
      if (!s.last || s.repairing) continue;
      s.repairing = [];
      this.repair(topic, s, s.last);
    }
  }

  /**
   * Frames once and appends to the topic's batch for this turn; only a new batch is handed to the live subscribers
   * (through `fanOut`), so per-subscriber work is once per topic per turn, not once per message (per-topic order is
   * kept). A subscriber that goes live later in the turn gets the batch from its next frame on (activate).
   */
  private deliver(s: TopicState, data: string, position: StreamPosition): void {
    s.last = position;
    const frame = textFrame(withSeq(data, position.offset));
    if (s.batch && !s.batch.sealed) {
      s.batch.add(frame);
    } else if (s.live.size > 0) {
      const batch = (s.batch = new TopicBatch());
      batch.add(frame);
      this.sealAtTurnEnd(batch);
      this.fanOut(batch, s.live.snapshot());
    }
    for (const p of s.pending.values()) p.held.push({ offset: position.offset, frame });
  }

  /**
   * Seals the batch at the end of the turn even if no reader got to it (a closing socket), so it never grows
   * unbounded. One timer per turn for every topic's batch (a busy node opens hundreds of batches per turn).
   */
  private sealAtTurnEnd(batch: TopicBatch): void {
    this.openBatches.push(batch);
    if (this.openBatches.length > 1) return;
    setImmediate(() => {
      const batches = this.openBatches;
      this.openBatches = [];
      for (const b of batches) b.sealed = true;
    });
  }

  /** Reads history after `from`, delivers it and what arrived meanwhile in order; when it cannot, resyncs. */
  private repair(topic: string, s: TopicState, from: StreamPosition): void {
    this.broker.history(topic, { since: from, limit: this.recoveryLimit }).then(
      (h) => {
        if (this.topics.get(topic) !== s) return;
        const waiting = s.repairing ?? [];
        s.repairing = undefined;
        if (!h.recoverable) {
          this.loseTopic(topic, s, h.reason, h.position);
          return;
        }
        for (const p of h.publications) this.deliver(s, p.data, { epoch: h.position.epoch, offset: p.offset });
        if (h.position.offset > (s.last?.offset ?? 0)) s.last = h.position;
        for (const w of waiting) this.onPublication(topic, w.data, { epoch: w.epoch, offset: w.offset });
      },
      (err) => {
        if (this.topics.get(topic) !== s) return;
        s.repairing = undefined;
        this.options.metrics?.brokerError();
        this.options.onError?.(err, `history of ${topic}`);
        this.loseTopic(topic, s, 'unavailable', undefined);
      },
    );
  }

  /** Continuity lost: every subscriber is removed from the topic and told; the topic restarts from `position`. */
  private loseTopic(topic: string, s: TopicState, reason: UnrecoverableReason | 'unavailable', position: StreamPosition | undefined): void {
    const subs = [...s.live.keys(), ...s.pending.keys()];
    if (subs.length) this.options.metrics?.lost(topicFamily(topic), reason, subs.length);
    for (const sub of subs) this.unsubscribe(sub, topic);
    for (const sub of subs) sub.lost(topic, reason);
    const again = this.topics.get(topic);
    if (again && position) again.last = position;
  }

  /** The frame of a publication, from the topic's recent-frames cache (same epoch: the cache lives with the topic). */
  private frameOf(s: TopicState, data: string, offset: number): Frame {
    let frame = s.frames.get(offset);
    if (frame && frame.text.length === data.length + `,"seq":${offset}`.length) return frame;
    frame = textFrame(withSeq(data, offset));
    s.frames.set(offset, frame);
    if (s.frames.size > FRAME_CACHE) s.frames.delete(s.frames.keys().next().value as number);
    return frame;
  }

  private newTopic(topic: string): TopicState {
    const s: TopicState = { live: new LiveSubscribers(), pending: new Map(), last: undefined, repairing: undefined, batch: undefined, frames: new Map() };
    this.topics.set(topic, s);
    return s;
  }

  private index(subscriber: Subscriber, topic: string): void {
    let mine = this.subscriptions.get(subscriber);
    if (!mine) this.subscriptions.set(subscriber, (mine = new Set()));
    mine.add(topic);
  }

  /** Chains a node-level broker call after the topic's previous one; `run` false just waits for the chain. */
  private nodeOp(topic: string, op: () => Promise<void>, run: boolean): Promise<void> {
    const prev = this.nodeOps.get(topic) ?? Promise.resolve();
    if (!run) return prev;
    const next = prev.catch(() => undefined).then(op);
    this.nodeOps.set(topic, next);
    const clear = () => {
      if (this.nodeOps.get(topic) === next) this.nodeOps.delete(topic);
    };
    next.then(clear, clear);
    return next;
  }

  private dropTopic(topic: string): void {
    this.topics.delete(topic);
    this.nodeOp(topic, () => this.broker.unsubscribe(topic), true).catch((err) => {
      this.options.metrics?.brokerError();
      this.options.onError?.(err, `unsubscribe ${topic}`);
    });
    if (!this.remoteInterest.has(topic)) for (const w of this.watchers) w.idle(topic);
  }
}

/** Frames kept per active topic for replays (about one recovery limit's worth of a busy topic). */
const FRAME_CACHE = 1024;

/** The published JSON object with `"seq":<offset>` appended (one string operation per publication per node). */
export function withSeq(data: string, offset: number): string {
  return `${data.slice(0, -1)},"seq":${offset}}`;
}
