import type { Broker, BrokerEventHandler } from './broker.ts';
import { textFrame, type Frame } from './frame.ts';

/** Whatever receives frames: a WebSocket connection in the server, a recorder in tests. */
export interface Subscriber {
  readonly id: string;
  /** Queue one frame for this subscriber. Must not throw; a closed subscriber drops it. */
  deliver(frame: Frame): void;
}

/** Told when a topic gets its first local subscriber and when its last one leaves (feeds start/stop sources). */
export interface TopicWatcher {
  active(topic: string): void;
  idle(topic: string): void;
}

/**
 * Topic → subscribers and subscriber → topics, kept together. Subscribe and unsubscribe are idempotent; an empty
 * topic is deleted; the first local subscriber subscribes the node at the broker and the last one unsubscribes it.
 *
 * Delivery contract: `publish` encodes the message once (JSON) and the broker hands the bytes back; they are framed
 * once and the same Frame goes to every subscriber of the topic, in publish order. A subscriber never receives a
 * topic it is not subscribed to.
 */
export class Hub implements BrokerEventHandler {
  private readonly topics = new Map<string, Set<Subscriber>>();
  private readonly subscriptions = new Map<Subscriber, Set<string>>();
  private readonly watchers = new Set<TopicWatcher>();

  constructor(private readonly broker: Broker) {
    broker.setHandler(this);
  }

  /** Returns true when the subscription is new. */
  subscribe(subscriber: Subscriber, topic: string): boolean {
    let subs = this.topics.get(topic);
    if (subs?.has(subscriber)) return false;
    const isNewTopic = !subs;
    if (!subs) this.topics.set(topic, (subs = new Set()));
    subs.add(subscriber);
    let mine = this.subscriptions.get(subscriber);
    if (!mine) this.subscriptions.set(subscriber, (mine = new Set()));
    mine.add(topic);
    if (isNewTopic) {
      this.broker.subscribe(topic);
      for (const w of this.watchers) w.active(topic);
    }
    return true;
  }

  /** Returns true when a subscription was removed. */
  unsubscribe(subscriber: Subscriber, topic: string): boolean {
    const subs = this.topics.get(topic);
    if (!subs?.delete(subscriber)) return false;
    const mine = this.subscriptions.get(subscriber);
    mine?.delete(topic);
    if (mine && mine.size === 0) this.subscriptions.delete(subscriber);
    if (subs.size === 0) this.dropTopic(topic);
    return true;
  }

  /** Removes the subscriber from every topic (on disconnect). */
  removeSubscriber(subscriber: Subscriber): void {
    const mine = this.subscriptions.get(subscriber);
    if (!mine) return;
    this.subscriptions.delete(subscriber);
    for (const topic of mine) {
      const subs = this.topics.get(topic);
      if (subs?.delete(subscriber) && subs.size === 0) this.dropTopic(topic);
    }
  }

  topicsOf(subscriber: Subscriber): ReadonlySet<string> {
    return this.subscriptions.get(subscriber) ?? new Set();
  }

  subscriberCount(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  /** Active topics (those with at least one local subscriber). */
  activeTopics(): string[] {
    return [...this.topics.keys()];
  }

  watch(watcher: TopicWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Encode once and publish through the broker. */
  publish(topic: string, message: unknown): void {
    this.broker.publish(topic, JSON.stringify(message));
  }

  /** Broker callback: frame once, deliver the same bytes to every local subscriber. */
  onPublication(topic: string, data: string): void {
    const subs = this.topics.get(topic);
    if (!subs) return;
    const frame = textFrame(data);
    for (const s of subs) s.deliver(frame);
  }

  private dropTopic(topic: string): void {
    this.topics.delete(topic);
    this.broker.unsubscribe(topic);
    for (const w of this.watchers) w.idle(topic);
  }
}
