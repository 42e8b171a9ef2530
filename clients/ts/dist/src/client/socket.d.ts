// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/**
 * A transport-agnostic reconnecting WebSocket: the browser's global WebSocket and the `ws` package both fit
 * WebSocketLike. It owns one live socket at a time, reconnects with backoff and jitter unless the close code says
 * not to, and paces what it sends so the client never trips the server's inbound rate limit. It knows nothing
 * about messages: the client (client.ts) decodes, validates and correlates them.
 */
import { type BackoffOptions } from '../util/backoff.js';
/** The part of the WebSocket API the client uses (browser WebSocket and `ws` both have it). */
export interface WebSocketLike {
    readonly readyState: number;
    send(data: string): void;
    close(code?: number, reason?: string): void;
    /** `ws` only: drop the TCP connection without a closing handshake. */
    terminate?: () => void;
    onopen: ((event: any) => void) | null;
    onmessage: ((event: any) => void) | null;
    onclose: ((event: any) => void) | null;
    onerror: ((event: any) => void) | null;
}
export type WebSocketFactory = new (url: string) => WebSocketLike;
export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';
export interface CloseInfo {
    code: number;
    reason: string;
    /** True when the socket will try again (after `delayMs`). */
    willReconnect: boolean;
    delayMs?: number;
    /** Set when the connection never opened: why it failed, as far as the transport says. */
    error?: string;
}
export interface SocketOptions {
    WebSocket: WebSocketFactory;
    backoff?: Partial<BackoffOptions>;
    random?: () => number;
    /** Stop (state `closed`) when the very first connection attempt fails, instead of retrying. Default false. */
    failFast?: boolean;
    /** A close code after which reconnecting cannot help this time (e.g. 4007 with no way to get a fresh token). */
    giveUp?: (code: number) => boolean;
    /** Outbound pacing (token bucket). Default 8 msg/s with a burst of 16: under the server's 10/s, burst 20. */
    sendRate?: {
        perSec: number;
        burst: number;
    };
    /** Time to wait for an opening handshake before giving the attempt up. Default 10 s. */
    connectTimeoutMs?: number;
}
export interface SocketEvents {
    /** The socket is open; `reconnected` is false the first time. */
    open(reconnected: boolean): void;
    /** A text frame, in arrival order. */
    message(text: string): void;
    close(info: CloseInfo): void;
    state(state: SocketState): void;
}
/**
 * Ordering: frames are handed to `message` synchronously in the order the transport delivers them; frames sent
 * while not open are dropped (send returns false): resending after a reconnect is the caller's decision.
 */
export declare class ReconnectingSocket {
    private readonly url;
    private readonly options;
    private readonly events;
    private ws;
    private stateValue;
    private attempt;
    private everOpened;
    private retryTimer;
    private connectTimer;
    private readonly backoff;
    private readonly random;
    private readonly rate;
    private bucket;
    private readonly queue;
    private flushTimer;
    /** `url` may be a function: it is called for every connection attempt (e.g. to carry the positions held then). */
    constructor(url: string | (() => string), options: SocketOptions, events: SocketEvents);
    get state(): SocketState;
    /** Queues a text frame for sending (paced). False when the socket is not open: nothing is queued then. */
    send(text: string): boolean;
    /** Abandons the current connection (e.g. a missed heartbeat) and reconnects as after a close with `code`. */
    drop(code: number, reason: string): void;
    /** Closes for good (code 1000); no reconnect. Idempotent. */
    close(): void;
    private open;
    private detach;
    private closed;
    private setState;
    private flush;
}
