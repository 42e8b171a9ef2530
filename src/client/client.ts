/**
 * The typed Tickwire client: `connect(url, endpoint)` → a client whose handlers, requests and subscriptions are
 * typed by the contract (generated/client.ts), whose incoming messages are checked by the same generated validators
 * the server uses, and which reconnects by itself and restores its subscriptions. Runs in browsers (global
 * WebSocket) and in Node (pass `WebSocket` from `ws`, or import `connect` from ./node.ts).
 *
 * Guarantees: handlers run synchronously in the order messages arrive; nothing a server sends (junk frames,
 * contract violations) and nothing a handler throws escapes into the event loop: they are reported to
 * `onInvalid` / `onError`. Every request settles exactly once: its reply, its coded error, TIMEOUT or CLOSED.
 *
 * Recovery (the contract's "Positions and recovery", option `recover`, default on): the client keeps a position per
 * hub topic (the epoch of the last `asOf`, the offset of the last `seq` it handed to handlers), resubscribes with
 * `since` after every reconnect, drops duplicates (`seq <= last`), and resubscribes a topic with `since` when it sees
 * a gap (`seq > last + 1`) instead of handing the message on. `onRecovery` says, per topic, whether the missed
 * publications were replayed (`recovered: true`) or lost (`recovered: false`: a snapshot follows when the topic has one).
 */
import { clientEndpoints, DashboardStreamValues, type ClientEndpointInfo, type ClientEndpoints, type EndpointAddress, type EventsOf, type RequestsOf } from '../../generated/client.ts';
import { CloseCodes } from '../../generated/codes.ts';
import { decodeFrame } from '../../generated/runtime.ts';
import { parseBarsTopic, parseBookTopic, parseQuotesTopic, parseTradesTopic } from '../../generated/topics.ts';
import type * as T from '../../generated/types.ts';
import type { BackoffOptions } from '../util/backoff.ts';
import { ReconnectingSocket, type CloseInfo, type SocketState, type WebSocketFactory } from './socket.ts';

export type { CloseInfo, SocketState, WebSocketFactory } from './socket.ts';
export type { EndpointAddress, EventsOf, RequestsOf } from '../../generated/client.ts';

/** A bars topic as the contract writes it, e.g. `bars:AAPL:1`. */
export type BarsTopicName = `bars:${string}:${T.Resolution}`;
/** A quotes, trades or book topic: `quotes:AAPL`, `trades:AAPL`, `book:AAPL:10`. */
export type MarketTopicName = `quotes:${string}` | `trades:${string}` | `book:${string}:${T.BookDepth}`;

/**
 * The subscribe and unsubscribe requests of a /api/v1/ws topic: `bars.subscribe` for bars topics, `market.subscribe`
 * for quotes, trades and book topics. An error value for anything else.
 */
function topicRequests(topic: string):
  | { ok: true; subscribe: 'bars.subscribe' | 'market.subscribe'; unsubscribe: 'bars.unsubscribe' | 'market.unsubscribe'; payload: Record<string, string> }
  | { ok: false; message: string; param: string } {
  if (topic.startsWith('bars:')) {
    const p = parseBarsTopic(topic);
    return p.ok ? { ok: true, subscribe: 'bars.subscribe', unsubscribe: 'bars.unsubscribe', payload: { symbol: p.value.symbol, resolution: p.value.resolution } } : p;
  }
  const market = (payload: Record<string, string>) => ({ ok: true as const, subscribe: 'market.subscribe' as const, unsubscribe: 'market.unsubscribe' as const, payload });
  if (topic.startsWith('quotes:')) {
    const p = parseQuotesTopic(topic);
    return p.ok ? market({ channel: 'quotes', symbol: p.value.symbol }) : p;
  }
  if (topic.startsWith('trades:')) {
    const p = parseTradesTopic(topic);
    return p.ok ? market({ channel: 'trades', symbol: p.value.symbol }) : p;
  }
  if (topic.startsWith('book:')) {
    const p = parseBookTopic(topic);
    return p.ok ? market({ channel: 'book', symbol: p.value.symbol, depth: p.value.depth }) : p;
  }
  return { ok: false, param: 'topic', message: `${JSON.stringify(topic)} is not a bars, quotes, trades or book topic` };
}

/** What `subscribe` takes and answers, per endpoint that has subscriptions. */
export interface Subscriptions {
  '/api/v1/ws': {
    target: BarsTopicName | MarketTopicName;
    reply: T.BarsSubscribeResponseMessage | T.MarketSubscribeResponseMessage;
    unsubscribeReply: T.BarsUnsubscribeResponseMessage | T.MarketUnsubscribeResponseMessage;
  };
  '/ws': { target: T.DashboardStream | readonly T.DashboardStream[]; reply: T.DashboardSubscriptionsMessage; unsubscribeReply: T.DashboardSubscriptionsMessage };
}
export type SubscribeTarget<E> = E extends keyof Subscriptions ? Subscriptions[E]['target'] : never;
export type SubscribeReply<E> = E extends keyof Subscriptions ? Subscriptions[E]['reply'] : never;
export type UnsubscribeReply<E> = E extends keyof Subscriptions ? Subscriptions[E]['unsubscribeReply'] : never;
/** The request of type K on endpoint E (without `id`: the client sets it), and its success reply. */
export type RequestOf<E extends EndpointAddress, K extends keyof RequestsOf<E>> = RequestsOf<E>[K] extends { request: infer R } ? R : never;
export type ReplyOf<E extends EndpointAddress, K extends keyof RequestsOf<E>> = RequestsOf<E>[K] extends { reply: infer R } ? R : never;

/** A position in one hub topic's stream: the epoch of its history and the offset of the last publication applied. */
export type StreamPosition = T.StreamPosition;

/**
 * The answer to a resubscribe of a topic the client held a position for (after a reconnect, or after a gap).
 *
 * - `recovered: true`: every publication after `since` is replayed, in order, before any live one; handlers see each
 *   of them exactly once, as if the connection had never dropped.
 * - `recovered: false` ("lost"): publications after `since` are gone for this client (`reason`: `epoch` = the topic's
 *   history was lost, e.g. a server restart; `expired` = trimmed by size or age; `limit` = more were missed than the
 *   server replays). For a latest-state topic (bars, dashboard prices and portfolio, live-trading positions, market
 *   data) a snapshot follows and replaces the state; events missed meanwhile (signals, trades, orders, executions,
 *   backtest trades) are NOT replayed: refetch them or show the gap. Updates continue from `asOf`.
 *
 * Fired before the reply message reaches `on(...)` handlers and before any replayed or snapshot message.
 */
export interface RecoveryEvent {
  topic: string;
  recovered: boolean;
  reason?: T.RecoveryReason;
  /** Where the client stands once the replay (recovered) or the snapshot (not recovered) is applied. */
  asOf: StreamPosition;
  /** The position the client asked to resume from. */
  since: StreamPosition;
  /** Why the client resubscribed: it reconnected, or it saw a gap in the topic's `seq` on a live connection. */
  cause: 'reconnect' | 'gap';
}

export interface ClientOptions<E extends EndpointAddress> {
  /** The WebSocket class; default the global one (browsers, Node >= 22). */
  WebSocket?: WebSocketFactory;
  /** Path parameters of the endpoint, e.g. `{ backtest_id }` for `/api/ws/stream/backtest/{backtest_id}`. */
  params?: ClientEndpoints[E]['params'];
  /** Query parameters, e.g. `{ symbols: 'AAPL,MSFT' }`. */
  query?: Record<string, string>;
  /** Check incoming messages against the contract (default true; the generated validators are cheap). */
  validate?: boolean;
  /** A request without a reply for this long rejects with TIMEOUT. Default 10 s. */
  requestTimeoutMs?: number;
  /** Application-level heartbeat (endpoints with ping/pong): interval and how long silence may last. */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  random?: () => number;
  /** Give up (state `closed`, `ready()` rejects) if the first connection attempt fails. Default false. */
  failFast?: boolean;
  sendRate?: { perSec: number; burst: number };
  /**
   * Keep a position per topic and recover after reconnects and gaps (default true). `false`: no `since` is sent, no
   * message is dropped as a duplicate or held back as a gap, `onRecovery` never fires and `positions()` is empty.
   */
  recover?: boolean;
  /**
   * AUTH=jwt: the connection token, sent as the `token` query parameter of every connection attempt (browsers cannot
   * set WebSocket headers).
   */
  token?: string;
  /**
   * Called for a fresh token when the server sends `token_expiring` (the fresh one is sent in an `auth` message on the
   * same connection) and after a close 4007 TOKEN_EXPIRED (the reconnect then carries it). Without it, a client with a
   * `token` does not reconnect after 4007 (state `closed`): the same token would be refused again.
   */
  refreshToken?: () => string | Promise<string>;
}

/** A coded failure: an error reply of the server (its contract code) or TIMEOUT / CLOSED / UNREACHABLE. */
export class TickwireError extends Error {
  override readonly name = 'TickwireError';
  constructor(readonly code: string, message: string, readonly field?: string, readonly reply?: unknown) {
    super(`${code}: ${message}`);
  }
}

/** An incoming frame that breaks the contract; reported, never thrown. */
export interface InvalidMessage {
  code: 'INVALID_JSON' | 'UNKNOWN_TYPE' | 'INVALID_MESSAGE';
  message: string;
  field?: string;
  raw: string;
}

interface Pending {
  id: string;
  type: string;
  /** The frame, built at each (re)send: a resubscribe carries the position held when it goes out. */
  frame(): string;
  /** The `since` (topic → position) the last frame sent carried: the positions its answer resumes from. */
  since?: Record<string, StreamPosition>;
  /** bars.subscribe: its topic. */
  topic?: string;
  resolve(reply: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** Subscription bookkeeping to run when the reply is a success. */
  onReply?: (reply: any) => void;
}

type Listener = (value: any) => void;

/** What the client knows of one topic. */
interface TopicState {
  epoch: string;
  /** The `seq` of the last publication handed to handlers (or the `asOf.offset` of the snapshot). */
  offset: number;
  /** A resubscribe of this topic is under way: its publications on this connection are dropped until the reply. */
  resync?: boolean;
  /** The next resubscribe answer is for a gap (not a reconnect). */
  gap?: boolean;
}

const DASHBOARD_TOPIC_PREFIX = 'dashboard:';

/** A SubscriptionState as the contract has it (checked here too: `validate: false` lets anything through). */
function isState(x: unknown): x is T.SubscriptionState {
  const s = x as T.SubscriptionState | null;
  return typeof s === 'object' && s !== null && typeof s.recovered === 'boolean' && typeof s.asOf === 'object' && s.asOf !== null
    && typeof s.asOf.epoch === 'string' && Number.isSafeInteger(s.asOf.offset);
}

function positionsIn(map: unknown): [string, T.SubscriptionState][] {
  if (typeof map !== 'object' || map === null) return [];
  return Object.entries(map).filter((e): e is [string, T.SubscriptionState] => isState(e[1]));
}

/** Turns `http(s)://` or `ws(s)://` plus an endpoint path into the socket URL. */
export function endpointUrl(base: string, path: string, query?: Record<string, string>): string {
  const url = new URL(path, base.replace(/^http(s?):/i, 'ws$1:'));
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}

function resolvePath(info: ClientEndpointInfo, params: Record<string, string> | null | undefined): string {
  if (!info.params.length) return info.address;
  if (!info.buildPath || !params) throw new TickwireError('BAD_REQUEST', `${info.address} needs params ${info.params.join(', ')}`);
  const built = info.buildPath(params);
  if (!built.ok) throw new TickwireError('BAD_REQUEST', built.message, built.param);
  return built.value;
}

export class TickwireClient<E extends EndpointAddress> {
  readonly url: string;
  private readonly info: ClientEndpointInfo;
  private readonly socket: ReconnectingSocket;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;
  private readonly idPrefix: string;
  /** Bars topics wanted (/api/v1/ws). */
  private readonly topics = new Set<string>();
  /** Dashboard streams wanted (/ws); null until the first subscribe/unsubscribe: the server's default then. */
  private streams: Set<string> | null = null;
  private lastSeen = Date.now();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private readyPromise: Promise<void>;
  private lastCloseInfo: CloseInfo | undefined;
  /** Recovery: the position held per hub topic. */
  private readonly held = new Map<string, TopicState>();
  /** Topics whose subscription the server confirmed on the current connection (no `since` needed to keep them). */
  private readonly confirmed = new Set<string>();
  /** The `since` the current connection's URL carried (endpoints that subscribe at connect). */
  private connectSince: Record<string, StreamPosition> = {};
  private readonly recover: boolean;
  private token: string | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(base: string, readonly endpoint: E, private readonly options: ClientOptions<E> = {}) {
    this.info = clientEndpoints[endpoint];
    if (!this.info) throw new TickwireError('BAD_REQUEST', `unknown endpoint ${String(endpoint)}`);
    this.url = endpointUrl(base, resolvePath(this.info, options.params as Record<string, string> | null | undefined), options.query);
    this.recover = options.recover !== false;
    this.token = options.token;
    this.idPrefix = `c${Math.floor((options.random ?? Math.random)() * 36 ** 4).toString(36)}-`;
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket;
    if (!WebSocketClass) throw new TickwireError('BAD_REQUEST', 'no global WebSocket here: pass options.WebSocket (in Node, import connect from src/client/node.ts)');
    let settleReady: { resolve(): void; reject(err: Error): void };
    this.readyPromise = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
    this.readyPromise.catch(() => undefined);
    this.socket = new ReconnectingSocket(() => this.connectUrl(), {
      WebSocket: WebSocketClass,
      backoff: options.backoff,
      random: options.random,
      failFast: options.failFast,
      sendRate: options.sendRate,
      // 4007 TOKEN_EXPIRED with a token and no refreshToken: the same token would be refused again, so stop.
      giveUp: (code) => code === CloseCodes.TOKEN_EXPIRED.code && this.token !== undefined && !options.refreshToken,
    }, {
      open: (reconnected) => {
        settleReady.resolve();
        this.opened(reconnected);
      },
      message: (text) => this.received(text),
      close: (info) => {
        this.lastCloseInfo = info;
        if (info.code === CloseCodes.TOKEN_EXPIRED.code && this.options.refreshToken) void this.refresh(false);
        clearInterval(this.heartbeatTimer);
        if (!info.willReconnect) {
          const what = info.error ? `cannot connect to ${this.url} (${info.error})` : `closed with ${info.code}${info.reason ? ` ${info.reason}` : ''}`;
          const err = new TickwireError(info.error ? 'UNREACHABLE' : 'CLOSED', what);
          settleReady.reject(err);
          for (const p of [...this.pending.values()]) this.settle(p, err);
        }
        this.emit('$close', info);
      },
      state: (state) => this.emit('$state', state),
    });
  }

  /** connecting → open → (reconnecting → connecting → open)* → closed. */
  get state(): SocketState {
    return this.socket.state;
  }

  /** The last close the client saw (code, reason, whether it reconnects). */
  get lastClose(): CloseInfo | undefined {
    return this.lastCloseInfo;
  }

  /** Resolves when the first connection opens; rejects if the client closes before (failFast, 4500+ codes). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Calls `fn` with every message of this `type`, typed by the contract. Returns a function that removes it. */
  on<K extends keyof EventsOf<E> & string>(type: K, fn: (message: EventsOf<E>[K]) => void): () => void {
    return this.listen(type, fn);
  }

  /** Every valid message, in arrival order. */
  onAny(fn: (message: ClientEndpoints[E]['outbound']) => void): () => void {
    return this.listen('$any', fn);
  }

  /** Incoming frames that break the contract (junk JSON, unknown `type`, schema violations). */
  onInvalid(fn: (problem: InvalidMessage) => void): () => void {
    return this.listen('$invalid', fn);
  }

  /** Errors that are nobody's reply: a handler that threw, a failed re-subscribe, an invalid frame nobody listens for. */
  onError(fn: (err: Error) => void): () => void {
    return this.listen('$error', fn);
  }

  onState(fn: (state: SocketState) => void): () => void {
    return this.listen('$state', fn);
  }

  onClose(fn: (info: CloseInfo) => void): () => void {
    return this.listen('$close', fn);
  }

  /**
   * Per topic, the answer to every resubscribe of a topic the client held a position for: `recovered: true` (the
   * missed publications follow, exactly once, in order) or `recovered: false` (lost: see RecoveryEvent).
   */
  onRecovery(fn: (event: RecoveryEvent) => void): () => void {
    return this.listen('$recovery', fn);
  }

  /** The position held per hub topic (`bars:AAPL:1`, `dashboard:prices`, ...): what a reconnect resumes from. */
  positions(): Record<string, StreamPosition> {
    const out: Record<string, StreamPosition> = {};
    for (const [topic, st] of this.held) out[topic] = { epoch: st.epoch, offset: st.offset };
    return out;
  }

  /**
   * Sends a correlated request and resolves with its reply; an error reply rejects with a TickwireError carrying
   * the contract's code. Sent when the socket is open; if the connection drops first it is sent again after the
   * reconnect (the contract's requests are idempotent).
   */
  request<K extends keyof RequestsOf<E> & string>(message: { type: K } & RequestOf<E, K>): Promise<ReplyOf<E, K>> {
    return this.send(message as { type: string });
  }

  /** `/api/v1/ws`: one bars topic. `/ws`: dashboard streams. Kept across reconnects until unsubscribed. */
  subscribe(target: SubscribeTarget<E>): Promise<SubscribeReply<E>> {
    return this.subscription('subscribe', target as string | readonly string[]) as Promise<SubscribeReply<E>>;
  }

  unsubscribe(target: SubscribeTarget<E>): Promise<UnsubscribeReply<E>> {
    return this.subscription('unsubscribe', target as string | readonly string[]) as Promise<UnsubscribeReply<E>>;
  }

  /** What this client is subscribed to (and will restore after a reconnect). */
  subscriptions(): string[] {
    if (this.endpoint === '/ws') return this.streams ? [...this.streams] : [...DashboardStreamValues];
    return [...this.topics];
  }

  /** Closes for good: no reconnect; pending requests reject with CLOSED. */
  close(): void {
    this.socket.close();
  }

  // ---------------------------------------------------------------- internals

  private subscription(op: 'subscribe' | 'unsubscribe', target: string | readonly string[]): Promise<unknown> {
    if (this.endpoint === '/api/v1/ws') {
      const topic = target as string;
      const parsed = topicRequests(topic);
      if (!parsed.ok) return Promise.reject(new TickwireError('INVALID_MESSAGE', parsed.message, parsed.param));
      const payload = parsed.payload;
      if (op === 'subscribe') this.topics.add(topic);
      else {
        this.topics.delete(topic);
        this.held.delete(topic); // a later subscribe starts afresh, with a snapshot
        this.confirmed.delete(topic);
      }
      const sent = op === 'subscribe' ? this.barsSubscribe(topic) : this.send({ type: parsed.unsubscribe, payload });
      // A refused subscribe (e.g. UNKNOWN_SYMBOL) is not restored after a reconnect.
      if (op === 'subscribe') sent.catch((err) => err instanceof TickwireError && err.reply !== undefined && this.topics.delete(topic));
      return sent;
    }
    if (this.endpoint === '/ws') {
      const streams = typeof target === 'string' ? [target] : [...target];
      const onReply = (reply: T.DashboardSubscriptionsMessage) => {
        this.streams = new Set(reply.streams);
      };
      if (op === 'unsubscribe') return this.send({ type: op, streams }, onReply);
      return this.sendBuilt(op, () => ({ type: op, streams, ...this.sinceOf(streams.map((s) => DASHBOARD_TOPIC_PREFIX + s)) }), onReply, (m) => m.since);
    }
    return Promise.reject(new TickwireError('UNKNOWN_TYPE', `${this.endpoint} has no subscriptions`));
  }

  private send(message: { type: string; [k: string]: unknown }, onReply?: (reply: any) => void): Promise<any> {
    return this.sendBuilt(message.type, () => message, onReply);
  }

  /**
   * Sends a request whose body is built at every (re)send; `sinceIn` reads the `since` map a built body carries (kept
   * on the pending request, for its answer).
   */
  private sendBuilt(
    type: string,
    build: () => { type: string; [k: string]: any },
    onReply?: (reply: any) => void,
    sinceIn?: (message: any) => Record<string, StreamPosition> | undefined,
    topic?: string,
  ): Promise<any> {
    if (!Object.hasOwn(this.info.requests, type)) {
      return Promise.reject(new TickwireError('UNKNOWN_TYPE', `${type} is not a request of ${this.endpoint}`));
    }
    if (this.socket.state === 'closed') return Promise.reject(new TickwireError('CLOSED', 'the client is closed'));
    const id = `${this.idPrefix}${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
      const timer = setTimeout(() => this.settle(p, new TickwireError('TIMEOUT', `no reply to ${type} within ${timeoutMs} ms`)), timeoutMs);
      const frame = () => {
        const message = build();
        p.since = sinceIn?.(message);
        return JSON.stringify({ ...message, id });
      };
      const p: Pending = { id, type, frame, ...(topic ? { topic } : {}), resolve, reject, timer, onReply };
      this.pending.set(id, p);
      this.socket.send(frame());
    });
  }

  /**
   * `bars.subscribe` (or `market.subscribe`) of one topic, with `since` when it resumes a position held (decided when
   * the frame goes out).
   */
  private barsSubscribe(topic: string): Promise<T.BarsSubscribeResponseMessage | T.MarketSubscribeResponseMessage> {
    const parsed = topicRequests(topic);
    if (!parsed.ok) return Promise.reject(new TickwireError('INVALID_MESSAGE', parsed.message, parsed.param));
    const { subscribe, payload } = parsed;
    return this.sendBuilt(subscribe, () => {
      const since = this.sinceOf([topic]).since?.[topic];
      return { type: subscribe, payload: { ...payload, ...(since ? { since } : {}) } };
    }, undefined, (m) => (m.payload.since ? { [topic]: m.payload.since } : undefined), topic);
  }

  /**
   * `{since: {topic: position}}` for the topics of `topics` to resume: a position is held and the topic is not live on
   * this connection (or is being resubscribed after a gap). `{}` when none, or when recovery is off. A subscribe of a
   * topic that is live carries no `since`: the server answers it as the no-op it is.
   */
  private sinceOf(topics: readonly string[]): { since?: Record<string, StreamPosition> } {
    if (!this.recover) return {};
    const since: Record<string, StreamPosition> = {};
    for (const t of topics) {
      const st = this.held.get(t);
      // Not live here yet, and not already resumed by this connection's URL (the server's connect answer covers it).
      const resume = !this.confirmed.has(t) && !Object.hasOwn(this.connectSince, t);
      if (st && (st.resync || resume)) since[t] = { epoch: st.epoch, offset: st.offset };
    }
    return Object.keys(since).length ? { since } : {};
  }

  /**
   * The URL of the next connection attempt: endpoints that subscribe at connect (/ws and the seed-003 streams) get
   * the positions held as the `since` query parameter. /api/v1/ws resubscribes per topic instead.
   */
  private connectUrl(): string {
    this.confirmed.clear(); // a new connection: nothing is subscribed on it yet
    this.connectSince = {};
    const url = new URL(this.url);
    if (this.token) url.searchParams.set('token', this.token);
    if (this.endpoint === '/api/v1/ws') return url.toString();
    const { since } = this.sinceOf([...this.held.keys()]);
    if (!since) return url.toString();
    this.connectSince = since;
    url.searchParams.set('since', JSON.stringify(since));
    return url.toString();
  }

  /**
   * AUTH=jwt: use `token` from now on; on an open connection it is sent in an `auth` message (resolves with the
   * `authenticated` reply, rejects with TickwireError INVALID_TOKEN / TOKEN_EXPIRED / FORBIDDEN).
   */
  async authenticate(token: string): Promise<unknown> {
    this.token = token;
    if (this.state !== 'open') return undefined;
    return this.request({ type: 'auth', token } as never);
  }

  /** Gets a fresh token from options.refreshToken; sends it in `auth` when `send` and open. Failures go to onError. */
  private refresh(send = true): Promise<void> {
    const get = this.options.refreshToken;
    if (!get) return Promise.resolve();
    this.refreshing ??= (async () => {
      try {
        const fresh = await get();
        if (send) await this.authenticate(fresh);
        else this.token = fresh;
      } catch (err) {
        this.emit('$error', err);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private settle(p: Pending, outcome: { reply: unknown } | Error): void {
    if (!this.pending.delete(p.id)) return;
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome.reply);
  }

  private opened(reconnected: boolean): void {
    this.lastSeen = Date.now();
    // Requests issued while disconnected (or lost with the last connection) go out again, in order, after the
    // restoring ones (which are sent as they are made, so they are not in this list).
    const earlier = [...this.pending.values()];
    // A resubscribe in progress on the old connection is answered on the new one (or by the reconnect itself).
    for (const st of this.held.values()) st.resync = false;
    if (reconnected) this.restore();
    for (const p of earlier) this.socket.send(p.frame());
    const beat = this.info.heartbeat;
    if (beat) {
      const every = this.options.heartbeatMs ?? 15_000;
      const silence = every + (this.options.heartbeatTimeoutMs ?? 10_000);
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = setInterval(() => {
        if (Date.now() - this.lastSeen > silence) {
          this.socket.drop(CloseCodes.HEARTBEAT_TIMEOUT.code, CloseCodes.HEARTBEAT_TIMEOUT.reason);
          return;
        }
        this.socket.send(JSON.stringify({ type: beat.ping, timestamp: new Date().toISOString() }));
      }, every);
    }
  }

  /** After a reconnect: the server has forgotten this connection; ask again for what we had. */
  private restore(): void {
    const report = (err: unknown) => this.emit('$error', err instanceof Error ? err : new Error(String(err)));
    if (this.endpoint === '/api/v1/ws') {
      const pendingTopics = new Set([...this.pending.values()].filter((p) => p.type === 'bars.subscribe' || p.type === 'market.subscribe').map((p) => p.topic));
      for (const topic of this.topics) {
        if (!pendingTopics.has(topic)) {
          this.barsSubscribe(topic).catch((err: unknown) => {
            report(err);
            // The server could not subscribe it now (UNAVAILABLE: its broker is down, or it refused for a reason a
            // new connection may not have): reconnect, which resubscribes every topic with `since`, rather than stay
            // connected and silent on this topic.
            if (err instanceof TickwireError && (err.code === 'UNAVAILABLE' || err.code === 'INTERNAL_ERROR') && this.topics.has(topic)) {
              this.socket.drop(CloseCodes.UNAVAILABLE.code, CloseCodes.UNAVAILABLE.reason);
            }
          });
        }
      }
    } else if (this.endpoint === '/ws' && this.streams) {
      // A new /ws connection starts with every stream (resumed from the `since` its URL carried): add what is wanted
      // (a no-op, without `since`), then drop the rest.
      const want = [...this.streams];
      const extra = DashboardStreamValues.filter((s) => !this.streams!.has(s));
      if (want.length) this.send({ type: 'subscribe', streams: want }).catch(report);
      if (extra.length) this.send({ type: 'unsubscribe', streams: extra }, (reply) => (this.streams = new Set(reply.streams))).catch(report);
    }
  }

  private received(text: string): void {
    this.lastSeen = Date.now();
    let message: { type: string; id?: unknown; [k: string]: unknown };
    if (this.options.validate === false) {
      try {
        message = JSON.parse(text);
      } catch (err) {
        this.invalid({ code: 'INVALID_JSON', message: (err as Error).message, raw: text });
        return;
      }
      if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
        this.invalid({ code: 'UNKNOWN_TYPE', message: 'missing "type"', raw: text });
        return;
      }
    } else {
      const decoded = decodeFrame<{ type: string; id?: unknown }>(this.info.outbound, text);
      if (!decoded.ok) {
        this.invalid({ code: decoded.code, message: decoded.message, ...(decoded.field ? { field: decoded.field } : {}), raw: text });
        return;
      }
      message = decoded.message;
    }
    if (this.recover && !this.track(message)) return;
    if (message.type === 'token_expiring') void this.refresh();
    const p = typeof message.id === 'string' ? this.pending.get(message.id) : undefined;
    if (p && (this.info.requests[p.type] ?? []).includes(message.type)) {
      if (this.info.error && message.type === this.info.error.type) {
        const at = this.info.error.at;
        const body = (at === 'root' ? message : message[at]) as { code?: string; message?: string; field?: string } | undefined;
        this.settle(p, new TickwireError(body?.code ?? 'INTERNAL_ERROR', body?.message ?? 'request failed', body?.field, message));
      } else {
        try {
          p.onReply?.(message);
        } catch (err) {
          this.emit('$error', err);
        }
        this.settle(p, { reply: message });
      }
    }
    this.emit(message.type, message);
    this.emit('$any', message);
  }

  /**
   * Recovery bookkeeping for one valid message, before anyone sees it. Positions come from subscribe answers
   * (`bars.subscribe.response` payload, dashboard `subscriptions.positions`, `connected.data.positions`); pushes with
   * a `seq` move them. Returns false when the message must not be handed on (a duplicate, a gap, or a publication of
   * a topic being resubscribed).
   */
  private track(message: { type: string; [k: string]: any }): boolean {
    const seq = message.seq;
    const topic = message.topic;
    if (typeof seq === 'number' && typeof topic === 'string') {
      const st = this.held.get(topic);
      if (!st) return true; // no position (e.g. a server without positions): nothing to compare with
      if (st.resync || seq <= st.offset) return false;
      if (seq > st.offset + 1) {
        this.gap(topic, st);
        return false;
      }
      st.offset = seq;
      return true;
    }
    // The `since` the answered request carried: its pending request's, or the connection URL's for what the server
    // sends at connect.
    const asked = typeof message.id === 'string' ? this.pending.get(message.id)?.since : this.connectSince;
    if ((message.type === 'bars.subscribe.response' || message.type === 'market.subscribe.response') && this.endpoint === '/api/v1/ws') {
      const r = (message.payload ?? {}) as Partial<T.BarsSubscribeResult>;
      if (typeof r.topic === 'string') this.answered(r.topic, isState(r) ? { asOf: r.asOf, recovered: r.recovered, ...(r.reason ? { reason: r.reason } : {}) } : undefined, asked?.[r.topic]);
    } else if ((message.type === 'bars.unsubscribe.response' || message.type === 'market.unsubscribe.response') && this.endpoint === '/api/v1/ws') {
      const t = message.payload?.topic;
      this.confirmed.delete(t);
      if (!this.topics.has(t) && !this.held.get(t)?.resync) this.held.delete(t);
    } else if (message.type === 'subscriptions' && this.endpoint === '/ws') {
      for (const [t, state] of positionsIn(message.positions)) this.answered(t, state, asked?.[t]);
      // Streams this connection no longer receives: their positions are no longer held.
      const now = new Set<string>((Array.isArray(message.streams) ? message.streams : []).map((s: string) => DASHBOARD_TOPIC_PREFIX + s));
      for (const t of [...this.held.keys()]) {
        if (t.startsWith(DASHBOARD_TOPIC_PREFIX) && !now.has(t)) {
          this.held.delete(t);
          this.confirmed.delete(t);
        }
      }
    } else if (message.type === 'connected') {
      for (const [t, state] of positionsIn(message.data?.positions)) this.answered(t, state, this.connectSince[t]);
    }
    return true;
  }

  /**
   * A subscribe answer for `topic`. `since`: the position the request resumed from (none: a first subscribe, or a
   * subscribe of a topic already live, which leaves the count where it is). Sets the position and, for a resume,
   * reports it to onRecovery.
   */
  private answered(topic: string, state: T.SubscriptionState | undefined, since: StreamPosition | undefined): void {
    const before = this.held.get(topic);
    if (!state) {
      // An answer without a position (a server without recovery): stop tracking rather than hold the topic back.
      this.held.delete(topic);
      this.confirmed.delete(topic);
      return;
    }
    this.confirmed.add(topic);
    if (!since) {
      if (!before && !state.recovered) this.held.set(topic, { epoch: state.asOf.epoch, offset: state.asOf.offset });
      return;
    }
    // Recovered: the replay follows and moves the offset from where it stands (never back: what was handed on stays
    // handed on); lost: the snapshot that follows is current to asOf.
    const from = before && before.epoch === since.epoch ? Math.max(before.offset, since.offset) : since.offset;
    this.held.set(topic, { epoch: state.asOf.epoch, offset: state.recovered ? from : state.asOf.offset });
    this.emit('$recovery', {
      topic,
      recovered: state.recovered,
      ...(state.reason ? { reason: state.reason } : {}),
      asOf: { epoch: state.asOf.epoch, offset: state.asOf.offset },
      since: { epoch: since.epoch, offset: since.offset },
      cause: before?.gap ? 'gap' : 'reconnect',
    } satisfies RecoveryEvent);
  }

  /**
   * A publication was skipped on the live path: hold the topic back and resubscribe it with `since` (on /api/v1/ws,
   * unsubscribe + subscribe on this connection; elsewhere, reconnect: those endpoints subscribe at connect).
   */
  private gap(topic: string, st: TopicState): void {
    st.gap = true;
    const parsed = topicRequests(topic);
    if (this.endpoint === '/api/v1/ws' && parsed.ok) {
      st.resync = true;
      const report = (err: unknown) => this.emit('$error', err instanceof Error ? err : new Error(String(err)));
      this.send({ type: parsed.unsubscribe, payload: parsed.payload }).catch(report);
      this.barsSubscribe(topic).catch((err) => {
        report(err);
        // The topic may be off on this connection now: a reconnect resubscribes every topic with `since`.
        if (!(err instanceof TickwireError && err.code === 'CLOSED')) this.socket.drop(CloseCodes.INSUFFICIENT_STATE.code, `resubscribe of ${topic} failed`);
      });
      return;
    }
    this.socket.drop(CloseCodes.INSUFFICIENT_STATE.code, `gap on ${topic}`);
  }

  private invalid(problem: InvalidMessage): void {
    if (this.listeners.get('$invalid')?.size) this.emit('$invalid', problem);
    else this.emit('$error', new TickwireError(problem.code, `invalid message from the server: ${problem.message}`, problem.field));
  }

  private listen(key: string, fn: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  private emit(key: string, value: unknown): void {
    const set = this.listeners.get(key);
    if (!set?.size) {
      if (key === '$error') console.error(`tickwire client (${this.endpoint}):`, value);
      return;
    }
    for (const fn of [...set]) {
      try {
        fn(value);
      } catch (err) {
        if (key === '$error') console.error(`tickwire client (${this.endpoint}): onError handler threw`, err);
        else this.emit('$error', err);
      }
    }
  }
}

/**
 * Connects to one endpoint of a Tickwire server. `url` is the server's base (`http://host:port` or
 * `ws://host:port`); the path comes from the contract (with `options.params` for parameterised endpoints).
 */
export function connect<E extends EndpointAddress>(url: string, endpoint: E, options: ClientOptions<E> = {}): TickwireClient<E> {
  return new TickwireClient(url, endpoint, options);
}
