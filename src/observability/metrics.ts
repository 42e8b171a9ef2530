/**
 * What the core tells the metrics, as a small interface (the prom-client implementation is in metrics-prom.ts and
 * is built by the composition root). Events that cannot be read back later are reported here; state the core
 * already keeps (connections, subscriptions, topics, queued bytes, bytes written) is read at scrape time instead
 * (see MetricSources), so the publish path pays nothing for it.
 *
 * Label contract: every label value comes from a bounded set — an endpoint id, a topic family (the part of a topic
 * before its first `:`), a contract message type, an error code, a close code, a reason word. Never a topic name, a
 * symbol, a user or a connection id. The helpers below fold anything else into `other`.
 */
export interface Metrics {
  /** One inbound frame answered: its contract type (`invalid` when it did not decode) and `ok` or the error code. */
  inbound(endpoint: string, type: string, outcome: string): void;
  /** A connection ended with this close code (whoever closed it). */
  closed(endpoint: string, code: number): void;
  /** A subscribe with `since`: every missed publication replayed (`recovered`), or not and why (`reason`). */
  recovery(family: string, recovered: boolean, reason?: string): void;
  /** Subscribers of a topic family lost continuity on the live path (a gap history could not fill, a new epoch). */
  lost(family: string, reason: string, subscribers: number): void;
  /** The broker stored and sent one publication, `seconds` after the hub handed it over (when timed: a sample). */
  published(family: string, seconds?: number): void;
  /** The broker refused a publish. */
  publishRefused(family: string): void;
  /** A broker call made by the hub failed (history read, unsubscribe). */
  brokerError(): void;
  /** A topic batch was written to every live subscriber `seconds` after its first publication reached the hub. */
  delivered(seconds: number): void;
  /** An HTTP request finished. `route` is the matched route pattern (bounded), never the raw path. */
  http(method: string, route: string, status: number, seconds: number): void;
}

/** Metrics switched off (unit tests, the bench's "off" phase). */
export const noMetrics: Metrics = {
  inbound: () => undefined,
  closed: () => undefined,
  recovery: () => undefined,
  lost: () => undefined,
  published: () => undefined,
  publishRefused: () => undefined,
  brokerError: () => undefined,
  delivered: () => undefined,
  http: () => undefined,
};

const FAMILY = /^[a-z][a-z0-9_.-]{0,31}$/;

/** A topic's family: `bars:AAPL:1` → `bars`. Never the topic itself: anything unexpected is `other`. */
export function topicFamily(topic: string): string {
  const i = topic.indexOf(':');
  const family = i < 0 ? topic : topic.slice(0, i);
  return FAMILY.test(family) ? family : 'other';
}

const CODE = /^[A-Z][A-Z0-9_]{0,39}$/;

/** An error code as a label value: the contract's codes are UPPER_SNAKE words; anything else is `other`. */
export function codeLabel(code: unknown): string {
  return typeof code === 'string' && CODE.test(code) ? code : 'other';
}

/** A WebSocket close code as a label value: standard (1000-1015) and application (4000-4999) codes, else `other`. */
export function closeCodeLabel(code: number): string {
  return (code >= 1000 && code <= 1015) || (code >= 4000 && code <= 4999) ? String(code) : 'other';
}

/**
 * State read at scrape time (collect callbacks), each a cheap walk over what the core already keeps. Optional parts
 * belong to one role (an edge has no backtests or market source; a producer no connections).
 */
export interface MetricSources {
  /** Open WebSocket connections per endpoint id. */
  connectionsByEndpoint(): Record<string, number>;
  /** Subscriptions (connection × topic) and topics with a local subscriber, by topic family. */
  subscriptionsByFamily(): Record<string, { topics: number; subscriptions: number }>;
  /** Bytes accepted for sending and not yet taken by the kernel, summed over connections. */
  queuedBytes(): number;
  /** Totals since start: frames and bytes written to client sockets, and socket writes (one per connection per turn). */
  outbound(): { messages: number; bytes: number; writes: number };
  /** The node's broker: connected, and which kind. */
  broker(): { connected: boolean; kind: string };
  /** The market source (standalone and producer nodes): its name and whether its last report was healthy. */
  upstream?(): { source: string; up: boolean; errors: number };
  /** Backtest runs by status (queued, running). */
  backtests?(): { queued: number; running: number };
  /** Stream health entries (seed 002): name → healthy. */
  streams?(): Record<string, boolean>;
}
