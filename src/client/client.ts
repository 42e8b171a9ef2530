/**
 * The typed Tickwire client: `connect(url, endpoint)` → a client whose handlers, requests and subscriptions are
 * typed by the contract (generated/client.ts), whose incoming messages are checked by the same generated validators
 * the server uses, and which reconnects by itself and restores its subscriptions. Runs in browsers (global
 * WebSocket) and in Node (pass `WebSocket` from `ws`, or import `connect` from ./node.ts).
 *
 * Guarantees: handlers run synchronously in the order messages arrive; nothing a server sends (junk frames,
 * contract violations) and nothing a handler throws escapes into the event loop: they are reported to
 * `onInvalid` / `onError`. Every request settles exactly once: its reply, its coded error, TIMEOUT or CLOSED.
 */
import { clientEndpoints, DashboardStreamValues, type ClientEndpointInfo, type ClientEndpoints, type EndpointAddress, type EventsOf, type RequestsOf } from '../../generated/client.ts';
import { CloseCodes } from '../../generated/codes.ts';
import { decodeFrame } from '../../generated/runtime.ts';
import { parseBarsTopic } from '../../generated/topics.ts';
import type * as T from '../../generated/types.ts';
import type { BackoffOptions } from '../util/backoff.ts';
import { ReconnectingSocket, type CloseInfo, type SocketState, type WebSocketFactory } from './socket.ts';

export type { CloseInfo, SocketState, WebSocketFactory } from './socket.ts';
export type { EndpointAddress, EventsOf, RequestsOf } from '../../generated/client.ts';

/** A bars topic as the contract writes it, e.g. `bars:AAPL:1`. */
export type BarsTopicName = `bars:${string}:${T.Resolution}`;

/** What `subscribe` takes and answers, per endpoint that has subscriptions. */
export interface Subscriptions {
  '/api/v1/ws': { target: BarsTopicName; reply: T.BarsSubscribeResponseMessage; unsubscribeReply: T.BarsUnsubscribeResponseMessage };
  '/ws': { target: T.DashboardStream | readonly T.DashboardStream[]; reply: T.DashboardSubscriptionsMessage; unsubscribeReply: T.DashboardSubscriptionsMessage };
}
export type SubscribeTarget<E> = E extends keyof Subscriptions ? Subscriptions[E]['target'] : never;
export type SubscribeReply<E> = E extends keyof Subscriptions ? Subscriptions[E]['reply'] : never;
export type UnsubscribeReply<E> = E extends keyof Subscriptions ? Subscriptions[E]['unsubscribeReply'] : never;
/** The request of type K on endpoint E (without `id`: the client sets it), and its success reply. */
export type RequestOf<E extends EndpointAddress, K extends keyof RequestsOf<E>> = RequestsOf<E>[K] extends { request: infer R } ? R : never;
export type ReplyOf<E extends EndpointAddress, K extends keyof RequestsOf<E>> = RequestsOf<E>[K] extends { reply: infer R } ? R : never;

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
  text: string;
  resolve(reply: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** Subscription bookkeeping to run when the reply is a success. */
  onReply?: (reply: any) => void;
}

type Listener = (value: any) => void;

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

  constructor(base: string, readonly endpoint: E, private readonly options: ClientOptions<E> = {}) {
    this.info = clientEndpoints[endpoint];
    if (!this.info) throw new TickwireError('BAD_REQUEST', `unknown endpoint ${String(endpoint)}`);
    this.url = endpointUrl(base, resolvePath(this.info, options.params as Record<string, string> | null | undefined), options.query);
    this.idPrefix = `c${Math.floor((options.random ?? Math.random)() * 36 ** 4).toString(36)}-`;
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket;
    if (!WebSocketClass) throw new TickwireError('BAD_REQUEST', 'no global WebSocket here: pass options.WebSocket (in Node, import connect from src/client/node.ts)');
    let settleReady: { resolve(): void; reject(err: Error): void };
    this.readyPromise = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
    this.readyPromise.catch(() => undefined);
    this.socket = new ReconnectingSocket(this.url, {
      WebSocket: WebSocketClass,
      backoff: options.backoff,
      random: options.random,
      failFast: options.failFast,
      sendRate: options.sendRate,
    }, {
      open: (reconnected) => {
        settleReady.resolve();
        this.opened(reconnected);
      },
      message: (text) => this.received(text),
      close: (info) => {
        this.lastCloseInfo = info;
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
      const parsed = parseBarsTopic(topic);
      if (!parsed.ok) return Promise.reject(new TickwireError('INVALID_MESSAGE', parsed.message, parsed.param));
      const payload = { symbol: parsed.value.symbol, resolution: parsed.value.resolution };
      if (op === 'subscribe') this.topics.add(topic);
      else this.topics.delete(topic);
      const sent = this.send({ type: op === 'subscribe' ? 'bars.subscribe' : 'bars.unsubscribe', payload });
      // A refused subscribe (e.g. UNKNOWN_SYMBOL) is not restored after a reconnect.
      if (op === 'subscribe') sent.catch((err) => err instanceof TickwireError && err.reply !== undefined && this.topics.delete(topic));
      return sent;
    }
    if (this.endpoint === '/ws') {
      const streams = typeof target === 'string' ? [target] : [...target];
      return this.send({ type: op, streams }, (reply: T.DashboardSubscriptionsMessage) => {
        this.streams = new Set(reply.streams);
      });
    }
    return Promise.reject(new TickwireError('UNKNOWN_TYPE', `${this.endpoint} has no subscriptions`));
  }

  private send(message: { type: string; [k: string]: unknown }, onReply?: (reply: any) => void): Promise<any> {
    if (!Object.hasOwn(this.info.requests, message.type)) {
      return Promise.reject(new TickwireError('UNKNOWN_TYPE', `${message.type} is not a request of ${this.endpoint}`));
    }
    if (this.socket.state === 'closed') return Promise.reject(new TickwireError('CLOSED', 'the client is closed'));
    const id = `${this.idPrefix}${++this.nextId}`;
    const text = JSON.stringify({ ...message, id });
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
      const timer = setTimeout(() => this.settle(p, new TickwireError('TIMEOUT', `no reply to ${message.type} within ${timeoutMs} ms`)), timeoutMs);
      const p: Pending = { id, type: message.type, text, resolve, reject, timer, onReply };
      this.pending.set(id, p);
      this.socket.send(text);
    });
  }

  private settle(p: Pending, outcome: { reply: unknown } | Error): void {
    if (!this.pending.delete(p.id)) return;
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome.reply);
  }

  private opened(reconnected: boolean): void {
    this.lastSeen = Date.now();
    if (reconnected) this.restore();
    // Requests issued while disconnected (or lost with the last connection) go out now, in order.
    for (const p of this.pending.values()) this.socket.send(p.text);
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
    const pendingTopics = new Set([...this.pending.values()].filter((p) => p.type === 'bars.subscribe').map((p) => JSON.parse(p.text).payload));
    if (this.endpoint === '/api/v1/ws') {
      for (const topic of this.topics) {
        const parsed = parseBarsTopic(topic);
        if (!parsed.ok) continue;
        const already = [...pendingTopics].some((x) => x.symbol === parsed.value.symbol && (x.resolution ?? '1') === parsed.value.resolution);
        if (!already) this.send({ type: 'bars.subscribe', payload: { symbol: parsed.value.symbol, resolution: parsed.value.resolution } }).catch(report);
      }
    } else if (this.endpoint === '/ws' && this.streams) {
      // A new /ws connection starts with every stream: add what is wanted, then drop the rest.
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
