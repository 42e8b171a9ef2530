/**
 * A transport-agnostic reconnecting WebSocket: the browser's global WebSocket and the `ws` package both fit
 * WebSocketLike. It owns one live socket at a time, reconnects with backoff and jitter unless the close code says
 * not to, and paces what it sends so the client never trips the server's inbound rate limit. It knows nothing
 * about messages: the client (client.ts) decodes, validates and correlates them.
 */
import { backoffDelay, type BackoffOptions } from '../util/backoff.ts';
import { TokenBucket } from '../util/token-bucket.ts';
import { defaultBackoff, mayReconnect } from './backoff.ts';

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
  sendRate?: { perSec: number; burst: number };
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

const OPEN = 1;

/**
 * Ordering: frames are handed to `message` synchronously in the order the transport delivers them; frames sent
 * while not open are dropped (send returns false): resending after a reconnect is the caller's decision.
 */
export class ReconnectingSocket {
  private ws: WebSocketLike | null = null;
  private stateValue: SocketState = 'connecting';
  private attempt = 0;
  private everOpened = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly rate: { perSec: number; burst: number };
  private bucket: TokenBucket;
  private readonly queue: string[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  /** `url` may be a function: it is called for every connection attempt (e.g. to carry the positions held then). */
  constructor(private readonly url: string | (() => string), private readonly options: SocketOptions, private readonly events: SocketEvents) {
    this.backoff = { ...defaultBackoff, ...options.backoff };
    this.random = options.random ?? Math.random;
    this.rate = options.sendRate ?? { perSec: 8, burst: 16 };
    this.bucket = new TokenBucket(this.rate.perSec, this.rate.burst);
    this.open();
  }

  get state(): SocketState {
    return this.stateValue;
  }

  /** Queues a text frame for sending (paced). False when the socket is not open: nothing is queued then. */
  send(text: string): boolean {
    if (this.stateValue !== 'open' || !this.ws) return false;
    this.queue.push(text);
    this.flush();
    return true;
  }

  /** Abandons the current connection (e.g. a missed heartbeat) and reconnects as after a close with `code`. */
  drop(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.detach(ws);
    try {
      if (ws.terminate) ws.terminate();
      else ws.close(code, reason);
    } catch {
      /* already closing */
    }
    this.closed(code, reason);
  }

  /** Closes for good (code 1000); no reconnect. Idempotent. */
  close(): void {
    if (this.stateValue === 'closed') return;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws) {
      this.detach(ws);
      try {
        ws.close(1000, 'client closed');
      } catch {
        /* never opened */
      }
    }
    this.setState('closed');
    this.events.close({ code: 1000, reason: 'client closed', willReconnect: false });
  }

  private open(): void {
    let ws: WebSocketLike;
    try {
      ws = new this.options.WebSocket(typeof this.url === 'function' ? this.url() : this.url);
    } catch (err) {
      // A malformed URL throws synchronously: retrying cannot help.
      this.setState('closed');
      this.events.close({ code: 1006, reason: '', willReconnect: false, error: (err as Error).message });
      return;
    }
    this.ws = ws;
    let failure: string | undefined;
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && ws.readyState !== OPEN) {
        failure = 'connect timeout';
        this.drop(1006, 'connect timeout');
      }
    }, this.options.connectTimeoutMs ?? 10_000);
    ws.onopen = () => {
      clearTimeout(this.connectTimer);
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.bucket = new TokenBucket(this.rate.perSec, this.rate.burst);
      this.setState('open');
      this.events.open(reconnected);
    };
    ws.onmessage = (event: { data: unknown }) => {
      const data = event.data;
      // Only text frames carry the contract; `ws` hands Buffers to `on('message')` but strings to onmessage.
      this.events.message(typeof data === 'string' ? data : String(data));
    };
    ws.onerror = (event: { message?: string; error?: { code?: string; message?: string } }) => {
      failure = event?.error?.code ?? event?.error?.message ?? event?.message ?? 'connection error';
    };
    ws.onclose = (event: { code: number; reason: string }) => {
      this.detach(ws);
      this.closed(event.code, event.reason ?? '', this.everOpened ? undefined : failure ?? `closed with ${event.code}`);
    };
  }

  private detach(ws: WebSocketLike): void {
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Keep an error listener: `ws` emits 'error' on a socket that is torn down mid-handshake.
    ws.onerror = () => undefined;
    if (this.ws === ws) this.ws = null;
    clearTimeout(this.connectTimer);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.queue.length = 0;
  }

  private closed(code: number, reason: string, error?: string): void {
    if (this.stateValue === 'closed') return;
    const giveUp = !mayReconnect(code) || (this.options.failFast === true && !this.everOpened) || this.options.giveUp?.(code) === true;
    if (giveUp) {
      this.setState('closed');
      this.events.close({ code, reason, willReconnect: false, ...(error ? { error } : {}) });
      return;
    }
    const delayMs = backoffDelay(this.attempt++, this.backoff, this.random);
    this.setState('reconnecting');
    this.events.close({ code, reason, willReconnect: true, delayMs, ...(error ? { error } : {}) });
    this.retryTimer = setTimeout(() => {
      if (this.stateValue !== 'reconnecting') return;
      this.setState('connecting');
      this.open();
    }, delayMs);
  }

  private setState(state: SocketState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.events.state(state);
  }

  private flush(): void {
    while (this.queue.length && this.ws && this.ws.readyState === OPEN && this.bucket.take()) {
      this.ws.send(this.queue.shift()!);
    }
    if (this.queue.length && this.flushTimer === undefined) {
      const waitMs = this.bucket.waitMs();
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.flush();
      }, Math.max(1, waitMs));
    }
  }
}
