// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
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
import { type ClientEndpoints, type EndpointAddress, type EventsOf, type RequestsOf } from '../../generated/client.js';
import type * as T from '../../generated/types.js';
import type { BackoffOptions } from '../util/backoff.js';
import { type CloseInfo, type SocketState, type WebSocketFactory } from './socket.js';
export type { CloseInfo, SocketState, WebSocketFactory } from './socket.js';
export type { EndpointAddress, EventsOf, RequestsOf } from '../../generated/client.js';
/** A bars topic as the contract writes it, e.g. `bars:AAPL:1`. */
export type BarsTopicName = `bars:${string}:${T.Resolution}`;
/** A quotes, trades or book topic: `quotes:AAPL`, `trades:AAPL`, `book:AAPL:10`. */
export type MarketTopicName = `quotes:${string}` | `trades:${string}` | `book:${string}:${T.BookDepth}`;
/** What `subscribe` takes and answers, per endpoint that has subscriptions. */
export interface Subscriptions {
    '/api/v1/ws': {
        target: BarsTopicName | MarketTopicName;
        reply: T.BarsSubscribeResponseMessage | T.MarketSubscribeResponseMessage;
        unsubscribeReply: T.BarsUnsubscribeResponseMessage | T.MarketUnsubscribeResponseMessage;
    };
    '/ws': {
        target: T.DashboardStream | readonly T.DashboardStream[];
        reply: T.DashboardSubscriptionsMessage;
        unsubscribeReply: T.DashboardSubscriptionsMessage;
    };
}
export type SubscribeTarget<E> = E extends keyof Subscriptions ? Subscriptions[E]['target'] : never;
export type SubscribeReply<E> = E extends keyof Subscriptions ? Subscriptions[E]['reply'] : never;
export type UnsubscribeReply<E> = E extends keyof Subscriptions ? Subscriptions[E]['unsubscribeReply'] : never;
/** The request of type K on endpoint E (without `id`: the client sets it), and its success reply. */
export type RequestOf<E extends EndpointAddress, K extends keyof RequestsOf<E>> = RequestsOf<E>[K] extends {
    request: infer R;
} ? R : never;
export type ReplyOf<E extends EndpointAddress, K extends keyof RequestsOf<E>> = RequestsOf<E>[K] extends {
    reply: infer R;
} ? R : never;
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
    sendRate?: {
        perSec: number;
        burst: number;
    };
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
export declare class TickwireError extends Error {
    readonly code: string;
    readonly field?: string | undefined;
    readonly reply?: unknown | undefined;
    readonly name = "TickwireError";
    constructor(code: string, message: string, field?: string | undefined, reply?: unknown | undefined);
}
/** An incoming frame that breaks the contract; reported, never thrown. */
export interface InvalidMessage {
    code: 'INVALID_JSON' | 'UNKNOWN_TYPE' | 'INVALID_MESSAGE';
    message: string;
    field?: string;
    raw: string;
}
/** Turns `http(s)://` or `ws(s)://` plus an endpoint path into the socket URL. */
export declare function endpointUrl(base: string, path: string, query?: Record<string, string>): string;
export declare class TickwireClient<E extends EndpointAddress> {
    readonly endpoint: E;
    private readonly options;
    readonly url: string;
    private readonly info;
    private readonly socket;
    private readonly listeners;
    private readonly pending;
    private nextId;
    private readonly idPrefix;
    /** Bars topics wanted (/api/v1/ws). */
    private readonly topics;
    /** Dashboard streams wanted (/ws); null until the first subscribe/unsubscribe: the server's default then. */
    private streams;
    private lastSeen;
    private heartbeatTimer;
    private readyPromise;
    private lastCloseInfo;
    /** Recovery: the position held per hub topic. */
    private readonly held;
    /** Topics whose subscription the server confirmed on the current connection (no `since` needed to keep them). */
    private readonly confirmed;
    /** The `since` the current connection's URL carried (endpoints that subscribe at connect). */
    private connectSince;
    private readonly recover;
    private token;
    private refreshing;
    constructor(base: string, endpoint: E, options?: ClientOptions<E>);
    /** connecting → open → (reconnecting → connecting → open)* → closed. */
    get state(): SocketState;
    /** The last close the client saw (code, reason, whether it reconnects). */
    get lastClose(): CloseInfo | undefined;
    /** Resolves when the first connection opens; rejects if the client closes before (failFast, 4500+ codes). */
    ready(): Promise<void>;
    /** Calls `fn` with every message of this `type`, typed by the contract. Returns a function that removes it. */
    on<K extends keyof EventsOf<E> & string>(type: K, fn: (message: EventsOf<E>[K]) => void): () => void;
    /** Every valid message, in arrival order. */
    onAny(fn: (message: ClientEndpoints[E]['outbound']) => void): () => void;
    /** Incoming frames that break the contract (junk JSON, unknown `type`, schema violations). */
    onInvalid(fn: (problem: InvalidMessage) => void): () => void;
    /** Errors that are nobody's reply: a handler that threw, a failed re-subscribe, an invalid frame nobody listens for. */
    onError(fn: (err: Error) => void): () => void;
    onState(fn: (state: SocketState) => void): () => void;
    onClose(fn: (info: CloseInfo) => void): () => void;
    /**
     * Per topic, the answer to every resubscribe of a topic the client held a position for: `recovered: true` (the
     * missed publications follow, exactly once, in order) or `recovered: false` (lost: see RecoveryEvent).
     */
    onRecovery(fn: (event: RecoveryEvent) => void): () => void;
    /** The position held per hub topic (`bars:AAPL:1`, `dashboard:prices`, ...): what a reconnect resumes from. */
    positions(): Record<string, StreamPosition>;
    /**
     * Sends a correlated request and resolves with its reply; an error reply rejects with a TickwireError carrying
     * the contract's code. Sent when the socket is open; if the connection drops first it is sent again after the
     * reconnect (the contract's requests are idempotent).
     */
    request<K extends keyof RequestsOf<E> & string>(message: {
        type: K;
    } & RequestOf<E, K>): Promise<ReplyOf<E, K>>;
    /** `/api/v1/ws`: one bars topic. `/ws`: dashboard streams. Kept across reconnects until unsubscribed. */
    subscribe(target: SubscribeTarget<E>): Promise<SubscribeReply<E>>;
    unsubscribe(target: SubscribeTarget<E>): Promise<UnsubscribeReply<E>>;
    /** What this client is subscribed to (and will restore after a reconnect). */
    subscriptions(): string[];
    /** Closes for good: no reconnect; pending requests reject with CLOSED. */
    close(): void;
    private subscription;
    private send;
    /**
     * Sends a request whose body is built at every (re)send; `sinceIn` reads the `since` map a built body carries (kept
     * on the pending request, for its answer).
     */
    private sendBuilt;
    /**
     * `bars.subscribe` (or `market.subscribe`) of one topic, with `since` when it resumes a position held (decided when
     * the frame goes out).
     */
    private barsSubscribe;
    /**
     * `{since: {topic: position}}` for the topics of `topics` to resume: a position is held and the topic is not live on
     * this connection (or is being resubscribed after a gap). `{}` when none, or when recovery is off. A subscribe of a
     * topic that is live carries no `since`: the server answers it as the no-op it is.
     */
    private sinceOf;
    /**
     * The URL of the next connection attempt: endpoints that subscribe at connect (/ws and the seed-003 streams) get
     * the positions held as the `since` query parameter. /api/v1/ws resubscribes per topic instead.
     */
    private connectUrl;
    /**
     * AUTH=jwt: use `token` from now on; on an open connection it is sent in an `auth` message (resolves with the
     * `authenticated` reply, rejects with TickwireError INVALID_TOKEN / TOKEN_EXPIRED / FORBIDDEN).
     */
    authenticate(token: string): Promise<unknown>;
    /** Gets a fresh token from options.refreshToken; sends it in `auth` when `send` and open. Failures go to onError. */
    private refresh;
    private settle;
    private opened;
    /** After a reconnect: the server has forgotten this connection; ask again for what we had. */
    private restore;
    private received;
    /**
     * Recovery bookkeeping for one valid message, before anyone sees it. Positions come from subscribe answers
     * (`bars.subscribe.response` payload, dashboard `subscriptions.positions`, `connected.data.positions`); pushes with
     * a `seq` move them. Returns false when the message must not be handed on (a duplicate, a gap, or a publication of
     * a topic being resubscribed).
     */
    private track;
    /**
     * A subscribe answer for `topic`. `since`: the position the request resumed from (none: a first subscribe, or a
     * subscribe of a topic already live, which leaves the count where it is). Sets the position and, for a resume,
     * reports it to onRecovery.
     */
    private answered;
    /**
     * A publication was skipped on the live path: hold the topic back and resubscribe it with `since` (on /api/v1/ws,
     * unsubscribe + subscribe on this connection; elsewhere, reconnect: those endpoints subscribe at connect).
     */
    private gap;
    private invalid;
    private listen;
    private emit;
}
/**
 * Connects to one endpoint of a Tickwire server. `url` is the server's base (`http://host:port` or
 * `ws://host:port`); the path comes from the contract (with `options.params` for parameterised endpoints).
 */
export declare function connect<E extends EndpointAddress>(url: string, endpoint: E, options?: ClientOptions<E>): TickwireClient<E>;
