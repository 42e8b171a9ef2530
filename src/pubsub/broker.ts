/**
 * The broker moves published bytes between nodes by topic and keeps each topic's recent history. It is node-level
 * and never sees sockets: the hub subscribes the node to a topic when the topic gets its first local subscriber and
 * unsubscribes it after the last one leaves. Implementations: broker-memory.ts (one process); broker-redis.ts
 * (many nodes). Every implementation passes test/pubsub/broker.conformance.ts.
 *
 * Positions. Every publication on a topic gets a position `{epoch, offset}`, assigned by the broker atomically with
 * storing it: `offset` is contiguous per topic (1, 2, 3, ...); `epoch` is a short random string naming this copy of
 * the topic's stream and changes whenever its history is lost (a restart of the memory broker, an expired or flushed
 * Redis stream). An offset is never compared across epochs.
 *
 * Delivery. `onPublication` is called for every publication on a subscribed topic, in offset order per topic. It is
 * at-most-once: a networked broker can drop a publication (a lost connection); the hub detects that by checking
 * offsets, and `history` fills the gap or says it cannot.
 */
export interface StreamPosition {
  readonly epoch: string;
  /** The offset of the last publication (0 when the topic has none yet). */
  readonly offset: number;
}

export interface Publication {
  readonly offset: number;
  /** The encoded message (UTF-8 JSON text), exactly as published. */
  readonly data: string;
}

export interface HistoryOptions {
  /** Publications after this position. Absent: only the current position is returned (no publications). */
  since?: StreamPosition;
  /** At most this many publications; more missed than this makes the answer `recoverable: false` with reason 'limit'. */
  limit: number;
  /** Also return the topic's snapshot when the answer has no publications to replay (no `since`, or unrecoverable). */
  snapshot?: boolean;
}

export interface PublishOptions {
  /**
   * The topic's state after this publication, as the encoded messages a new subscriber gets instead of the history
   * (e.g. the current bar). Stored with the publication's position, atomically: a snapshot is always exactly current
   * to its position. A topic whose publications carry no snapshot has none.
   */
  snapshot?: readonly string[];
}

/**
 * Either every publication after `since` (in offset order, none missing), or none and why. `position` is the
 * topic's top when the history was read (what the publications lead up to).
 */
export type HistoryResult =
  | { recoverable: true; position: StreamPosition; publications: Publication[]; snapshot?: readonly string[] }
  | { recoverable: false; position: StreamPosition; reason: UnrecoverableReason; snapshot?: readonly string[] };

/** epoch: the stream was lost since; expired: the oldest missed publication is no longer kept; limit: too many missed. */
export type UnrecoverableReason = 'epoch' | 'expired' | 'limit';

export interface BrokerEventHandler {
  /** One publication on a topic this node subscribed to; `data` is identical for every node and subscriber. */
  onPublication(topic: string, data: string, position: StreamPosition): void;
  /**
   * The broker lost ('down') or regained ('up') its connection. After 'up' the broker has resubscribed every topic;
   * publications in between may have been missed and the hub must check positions.
   */
  onConnectionChange?(state: 'down' | 'up'): void;
  /**
   * Networked brokers, after `watchInterest()`: some node of the cluster subscribed `topic` (true) or the last one
   * left or vanished (false). A producer node starts and stops its feeds on it, as it does for local subscribers.
   */
  onInterest?(topic: string, interested: boolean): void;
}

export interface Broker {
  /** Registers the node's handler; called once, by the hub. */
  setHandler(handler: BrokerEventHandler): void;
  /** Resolves once publications on `topic` are delivered to this node. Idempotent. */
  subscribe(topic: string): Promise<void>;
  unsubscribe(topic: string): Promise<void>;
  /** Stores and delivers one publication; resolves with its position. Rejects when it could not be stored. */
  publish(topic: string, data: string, options?: PublishOptions): Promise<StreamPosition>;
  /**
   * Replaces the topic's snapshot without publishing (state that changed with no update to push, or the state of a
   * topic before its first publication); it is current to the topic's current position, which it resolves with.
   */
  setSnapshot(topic: string, snapshot: readonly string[]): Promise<StreamPosition>;
  /**
   * See HistoryResult. A topic never published to has a fresh epoch and offset 0. With `snapshot: true` and no
   * publications to replay, `snapshot` is the topic's snapshot if it is current to `position` (absent otherwise).
   */
  history(topic: string, options: HistoryOptions): Promise<HistoryResult>;
  /**
   * Networked brokers only: from now on report through `onInterest` every topic any node subscribes (those already
   * subscribed first). A node's `subscribe` registers its interest; it lapses after `unsubscribe` or when the node
   * stops refreshing it (it died).
   */
  watchInterest?(): Promise<void>;
  /**
   * Optional: drops a topic's stored history and snapshot now, instead of at the end of its TTL (a finished backtest
   * run's events after their grace period, an evicted run). The topic's next publish or setSnapshot starts a new
   * epoch, so a position from before is refused. Both brokers here implement it.
   */
  forget?(topic: string): Promise<void>;
  close(): Promise<void>;
}

/** Per-topic history bounds: at most `size` publications, none older than `ttlMs`. */
export interface HistoryPolicy {
  size: number;
  ttlMs: number;
}

/** Chooses the history bounds of a topic (by its family: `bars:`, `dashboard:`, `backtest:` ...). */
export type HistoryPolicyOf = (topic: string) => HistoryPolicy;

/**
 * Centrifugo's recovery rule, shared by every implementation so they answer alike: recoverable iff the epoch is the
 * same and every publication after `since.offset` is still kept (`first` is the oldest kept offset, `top` the newest)
 * and there are at most `limit` of them.
 */
export function recoverability(since: StreamPosition, current: StreamPosition, first: number, limit: number): UnrecoverableReason | undefined {
  if (since.epoch !== current.epoch || since.offset > current.offset) return 'epoch';
  if (since.offset === current.offset) return undefined;
  if (current.offset - since.offset > limit) return 'limit';
  if (first > since.offset + 1) return 'expired';
  return undefined;
}
