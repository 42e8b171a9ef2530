// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/**
 * A transport-agnostic reconnecting WebSocket: the browser's global WebSocket and the `ws` package both fit
 * WebSocketLike. It owns one live socket at a time, reconnects with backoff and jitter unless the close code says
 * not to, and paces what it sends so the client never trips the server's inbound rate limit. It knows nothing
 * about messages: the client (client.ts) decodes, validates and correlates them.
 */
import { backoffDelay } from "../util/backoff.js";
import { TokenBucket } from "../util/token-bucket.js";
import { defaultBackoff, mayReconnect } from "./backoff.js";
const OPEN = 1;
/**
 * Ordering: frames are handed to `message` synchronously in the order the transport delivers them; frames sent
 * while not open are dropped (send returns false): resending after a reconnect is the caller's decision.
 */
export class ReconnectingSocket {
    url;
    options;
    events;
    ws = null;
    stateValue = 'connecting';
    attempt = 0;
    everOpened = false;
    retryTimer;
    connectTimer;
    backoff;
    random;
    rate;
    bucket;
    queue = [];
    flushTimer;
    /** `url` may be a function: it is called for every connection attempt (e.g. to carry the positions held then). */
    constructor(url, options, events) {
        this.url = url;
        this.options = options;
        this.events = events;
        this.backoff = { ...defaultBackoff, ...options.backoff };
        this.random = options.random ?? Math.random;
        this.rate = options.sendRate ?? { perSec: 8, burst: 16 };
        this.bucket = new TokenBucket(this.rate.perSec, this.rate.burst);
        this.open();
    }
    get state() {
        return this.stateValue;
    }
    /** Queues a text frame for sending (paced). False when the socket is not open: nothing is queued then. */
    send(text) {
        if (this.stateValue !== 'open' || !this.ws)
            return false;
        this.queue.push(text);
        this.flush();
        return true;
    }
    /** Abandons the current connection (e.g. a missed heartbeat) and reconnects as after a close with `code`. */
    drop(code, reason) {
        const ws = this.ws;
        if (!ws)
            return;
        this.detach(ws);
        try {
            if (ws.terminate)
                ws.terminate();
            else
                ws.close(code, reason);
        }
        catch {
            /* already closing */
        }
        this.closed(code, reason);
    }
    /** Closes for good (code 1000); no reconnect. Idempotent. */
    close() {
        if (this.stateValue === 'closed')
            return;
        clearTimeout(this.retryTimer);
        const ws = this.ws;
        if (ws) {
            this.detach(ws);
            try {
                ws.close(1000, 'client closed');
            }
            catch {
                /* never opened */
            }
        }
        this.setState('closed');
        this.events.close({ code: 1000, reason: 'client closed', willReconnect: false });
    }
    open() {
        let ws;
        try {
            ws = new this.options.WebSocket(typeof this.url === 'function' ? this.url() : this.url);
        }
        catch (err) {
            // A malformed URL throws synchronously: retrying cannot help.
            this.setState('closed');
            this.events.close({ code: 1006, reason: '', willReconnect: false, error: err.message });
            return;
        }
        this.ws = ws;
        let failure;
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
        ws.onmessage = (event) => {
            const data = event.data;
            // Only text frames carry the contract; `ws` hands Buffers to `on('message')` but strings to onmessage.
            this.events.message(typeof data === 'string' ? data : String(data));
        };
        ws.onerror = (event) => {
            failure = event?.error?.code ?? event?.error?.message ?? event?.message ?? 'connection error';
        };
        ws.onclose = (event) => {
            this.detach(ws);
            this.closed(event.code, event.reason ?? '', this.everOpened ? undefined : failure ?? `closed with ${event.code}`);
        };
    }
    detach(ws) {
        ws.onopen = ws.onmessage = ws.onclose = null;
        // Keep an error listener: `ws` emits 'error' on a socket that is torn down mid-handshake.
        ws.onerror = () => undefined;
        if (this.ws === ws)
            this.ws = null;
        clearTimeout(this.connectTimer);
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
        this.queue.length = 0;
    }
    closed(code, reason, error) {
        if (this.stateValue === 'closed')
            return;
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
            if (this.stateValue !== 'reconnecting')
                return;
            this.setState('connecting');
            this.open();
        }, delayMs);
    }
    setState(state) {
        if (state === this.stateValue)
            return;
        this.stateValue = state;
        this.events.state(state);
    }
    flush() {
        while (this.queue.length && this.ws && this.ws.readyState === OPEN && this.bucket.take()) {
            this.ws.send(this.queue.shift());
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
