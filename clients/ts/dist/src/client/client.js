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
import { clientEndpoints, DashboardStreamValues } from "../../generated/client.js";
import { CloseCodes } from "../../generated/codes.js";
import { decodeFrame } from "../../generated/runtime.js";
import { parseBarsTopic, parseBookTopic, parseQuotesTopic, parseTradesTopic } from "../../generated/topics.js";
import { ReconnectingSocket } from "./socket.js";
/**
 * The subscribe and unsubscribe requests of a /api/v1/ws topic: `bars.subscribe` for bars topics, `market.subscribe`
 * for quotes, trades and book topics. An error value for anything else.
 */
function topicRequests(topic) {
    if (topic.startsWith('bars:')) {
        const p = parseBarsTopic(topic);
        return p.ok ? { ok: true, subscribe: 'bars.subscribe', unsubscribe: 'bars.unsubscribe', payload: { symbol: p.value.symbol, resolution: p.value.resolution } } : p;
    }
    const market = (payload) => ({ ok: true, subscribe: 'market.subscribe', unsubscribe: 'market.unsubscribe', payload });
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
/** A coded failure: an error reply of the server (its contract code) or TIMEOUT / CLOSED / UNREACHABLE. */
export class TickwireError extends Error {
    code;
    field;
    reply;
    name = 'TickwireError';
    constructor(code, message, field, reply) {
        super(`${code}: ${message}`);
        this.code = code;
        this.field = field;
        this.reply = reply;
    }
}
const DASHBOARD_TOPIC_PREFIX = 'dashboard:';
/** A SubscriptionState as the contract has it (checked here too: `validate: false` lets anything through). */
function isState(x) {
    const s = x;
    return typeof s === 'object' && s !== null && typeof s.recovered === 'boolean' && typeof s.asOf === 'object' && s.asOf !== null
        && typeof s.asOf.epoch === 'string' && Number.isSafeInteger(s.asOf.offset);
}
function positionsIn(map) {
    if (typeof map !== 'object' || map === null)
        return [];
    return Object.entries(map).filter((e) => isState(e[1]));
}
/** Turns `http(s)://` or `ws(s)://` plus an endpoint path into the socket URL. */
export function endpointUrl(base, path, query) {
    const url = new URL(path, base.replace(/^http(s?):/i, 'ws$1:'));
    for (const [k, v] of Object.entries(query ?? {}))
        url.searchParams.set(k, v);
    return url.toString();
}
function resolvePath(info, params) {
    if (!info.params.length)
        return info.address;
    if (!info.buildPath || !params)
        throw new TickwireError('BAD_REQUEST', `${info.address} needs params ${info.params.join(', ')}`);
    const built = info.buildPath(params);
    if (!built.ok)
        throw new TickwireError('BAD_REQUEST', built.message, built.param);
    return built.value;
}
export class TickwireClient {
    endpoint;
    options;
    url;
    info;
    socket;
    listeners = new Map();
    pending = new Map();
    nextId = 0;
    idPrefix;
    /** Bars topics wanted (/api/v1/ws). */
    topics = new Set();
    /** Dashboard streams wanted (/ws); null until the first subscribe/unsubscribe: the server's default then. */
    streams = null;
    lastSeen = Date.now();
    heartbeatTimer;
    readyPromise;
    lastCloseInfo;
    /** Recovery: the position held per hub topic. */
    held = new Map();
    /** Topics whose subscription the server confirmed on the current connection (no `since` needed to keep them). */
    confirmed = new Set();
    /** The `since` the current connection's URL carried (endpoints that subscribe at connect). */
    connectSince = {};
    recover;
    token;
    refreshing;
    constructor(base, endpoint, options = {}) {
        this.endpoint = endpoint;
        this.options = options;
        this.info = clientEndpoints[endpoint];
        if (!this.info)
            throw new TickwireError('BAD_REQUEST', `unknown endpoint ${String(endpoint)}`);
        this.url = endpointUrl(base, resolvePath(this.info, options.params), options.query);
        this.recover = options.recover !== false;
        this.token = options.token;
        this.idPrefix = `c${Math.floor((options.random ?? Math.random)() * 36 ** 4).toString(36)}-`;
        const WebSocketClass = options.WebSocket ?? globalThis.WebSocket;
        if (!WebSocketClass)
            throw new TickwireError('BAD_REQUEST', 'no global WebSocket here: pass options.WebSocket (in Node, import connect from src/client/node.ts)');
        let settleReady;
        this.readyPromise = new Promise((resolve, reject) => (settleReady = { resolve, reject }));
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
                if (info.code === CloseCodes.TOKEN_EXPIRED.code && this.options.refreshToken)
                    void this.refresh(false);
                clearInterval(this.heartbeatTimer);
                if (!info.willReconnect) {
                    const what = info.error ? `cannot connect to ${this.url} (${info.error})` : `closed with ${info.code}${info.reason ? ` ${info.reason}` : ''}`;
                    const err = new TickwireError(info.error ? 'UNREACHABLE' : 'CLOSED', what);
                    settleReady.reject(err);
                    for (const p of [...this.pending.values()])
                        this.settle(p, err);
                }
                this.emit('$close', info);
            },
            state: (state) => this.emit('$state', state),
        });
    }
    /** connecting → open → (reconnecting → connecting → open)* → closed. */
    get state() {
        return this.socket.state;
    }
    /** The last close the client saw (code, reason, whether it reconnects). */
    get lastClose() {
        return this.lastCloseInfo;
    }
    /** Resolves when the first connection opens; rejects if the client closes before (failFast, 4500+ codes). */
    ready() {
        return this.readyPromise;
    }
    /** Calls `fn` with every message of this `type`, typed by the contract. Returns a function that removes it. */
    on(type, fn) {
        return this.listen(type, fn);
    }
    /** Every valid message, in arrival order. */
    onAny(fn) {
        return this.listen('$any', fn);
    }
    /** Incoming frames that break the contract (junk JSON, unknown `type`, schema violations). */
    onInvalid(fn) {
        return this.listen('$invalid', fn);
    }
    /** Errors that are nobody's reply: a handler that threw, a failed re-subscribe, an invalid frame nobody listens for. */
    onError(fn) {
        return this.listen('$error', fn);
    }
    onState(fn) {
        return this.listen('$state', fn);
    }
    onClose(fn) {
        return this.listen('$close', fn);
    }
    /**
     * Per topic, the answer to every resubscribe of a topic the client held a position for: `recovered: true` (the
     * missed publications follow, exactly once, in order) or `recovered: false` (lost: see RecoveryEvent).
     */
    onRecovery(fn) {
        return this.listen('$recovery', fn);
    }
    /** The position held per hub topic (`bars:AAPL:1`, `dashboard:prices`, ...): what a reconnect resumes from. */
    positions() {
        const out = {};
        for (const [topic, st] of this.held)
            out[topic] = { epoch: st.epoch, offset: st.offset };
        return out;
    }
    /**
     * Sends a correlated request and resolves with its reply; an error reply rejects with a TickwireError carrying
     * the contract's code. Sent when the socket is open; if the connection drops first it is sent again after the
     * reconnect (the contract's requests are idempotent).
     */
    request(message) {
        return this.send(message);
    }
    /** `/api/v1/ws`: one bars topic. `/ws`: dashboard streams. Kept across reconnects until unsubscribed. */
    subscribe(target) {
        return this.subscription('subscribe', target);
    }
    unsubscribe(target) {
        return this.subscription('unsubscribe', target);
    }
    /** What this client is subscribed to (and will restore after a reconnect). */
    subscriptions() {
        if (this.endpoint === '/ws')
            return this.streams ? [...this.streams] : [...DashboardStreamValues];
        return [...this.topics];
    }
    /** Closes for good: no reconnect; pending requests reject with CLOSED. */
    close() {
        this.socket.close();
    }
    // ---------------------------------------------------------------- internals
    subscription(op, target) {
        if (this.endpoint === '/api/v1/ws') {
            const topic = target;
            const parsed = topicRequests(topic);
            if (!parsed.ok)
                return Promise.reject(new TickwireError('INVALID_MESSAGE', parsed.message, parsed.param));
            const payload = parsed.payload;
            if (op === 'subscribe')
                this.topics.add(topic);
            else {
                this.topics.delete(topic);
                this.held.delete(topic); // a later subscribe starts afresh, with a snapshot
                this.confirmed.delete(topic);
            }
            const sent = op === 'subscribe' ? this.barsSubscribe(topic) : this.send({ type: parsed.unsubscribe, payload });
            // A refused subscribe (e.g. UNKNOWN_SYMBOL) is not restored after a reconnect.
            if (op === 'subscribe')
                sent.catch((err) => err instanceof TickwireError && err.reply !== undefined && this.topics.delete(topic));
            return sent;
        }
        if (this.endpoint === '/ws') {
            const streams = typeof target === 'string' ? [target] : [...target];
            const onReply = (reply) => {
                this.streams = new Set(reply.streams);
            };
            if (op === 'unsubscribe')
                return this.send({ type: op, streams }, onReply);
            return this.sendBuilt(op, () => ({ type: op, streams, ...this.sinceOf(streams.map((s) => DASHBOARD_TOPIC_PREFIX + s)) }), onReply, (m) => m.since);
        }
        return Promise.reject(new TickwireError('UNKNOWN_TYPE', `${this.endpoint} has no subscriptions`));
    }
    send(message, onReply) {
        return this.sendBuilt(message.type, () => message, onReply);
    }
    /**
     * Sends a request whose body is built at every (re)send; `sinceIn` reads the `since` map a built body carries (kept
     * on the pending request, for its answer).
     */
    sendBuilt(type, build, onReply, sinceIn, topic) {
        if (!Object.hasOwn(this.info.requests, type)) {
            return Promise.reject(new TickwireError('UNKNOWN_TYPE', `${type} is not a request of ${this.endpoint}`));
        }
        if (this.socket.state === 'closed')
            return Promise.reject(new TickwireError('CLOSED', 'the client is closed'));
        const id = `${this.idPrefix}${++this.nextId}`;
        return new Promise((resolve, reject) => {
            const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
            const timer = setTimeout(() => this.settle(p, new TickwireError('TIMEOUT', `no reply to ${type} within ${timeoutMs} ms`)), timeoutMs);
            const frame = () => {
                const message = build();
                p.since = sinceIn?.(message);
                return JSON.stringify({ ...message, id });
            };
            const p = { id, type, frame, ...(topic ? { topic } : {}), resolve, reject, timer, onReply };
            this.pending.set(id, p);
            this.socket.send(frame());
        });
    }
    /**
     * `bars.subscribe` (or `market.subscribe`) of one topic, with `since` when it resumes a position held (decided when
     * the frame goes out).
     */
    barsSubscribe(topic) {
        const parsed = topicRequests(topic);
        if (!parsed.ok)
            return Promise.reject(new TickwireError('INVALID_MESSAGE', parsed.message, parsed.param));
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
    sinceOf(topics) {
        if (!this.recover)
            return {};
        const since = {};
        for (const t of topics) {
            const st = this.held.get(t);
            // Not live here yet, and not already resumed by this connection's URL (the server's connect answer covers it).
            const resume = !this.confirmed.has(t) && !Object.hasOwn(this.connectSince, t);
            if (st && (st.resync || resume))
                since[t] = { epoch: st.epoch, offset: st.offset };
        }
        return Object.keys(since).length ? { since } : {};
    }
    /**
     * The URL of the next connection attempt: endpoints that subscribe at connect (/ws and the seed-003 streams) get
     * the positions held as the `since` query parameter. /api/v1/ws resubscribes per topic instead.
     */
    connectUrl() {
        this.confirmed.clear(); // a new connection: nothing is subscribed on it yet
        this.connectSince = {};
        const url = new URL(this.url);
        if (this.token)
            url.searchParams.set('token', this.token);
        if (this.endpoint === '/api/v1/ws')
            return url.toString();
        const { since } = this.sinceOf([...this.held.keys()]);
        if (!since)
            return url.toString();
        this.connectSince = since;
        url.searchParams.set('since', JSON.stringify(since));
        return url.toString();
    }
    /**
     * AUTH=jwt: use `token` from now on; on an open connection it is sent in an `auth` message (resolves with the
     * `authenticated` reply, rejects with TickwireError INVALID_TOKEN / TOKEN_EXPIRED / FORBIDDEN).
     */
    async authenticate(token) {
        this.token = token;
        if (this.state !== 'open')
            return undefined;
        return this.request({ type: 'auth', token });
    }
    /** Gets a fresh token from options.refreshToken; sends it in `auth` when `send` and open. Failures go to onError. */
    refresh(send = true) {
        const get = this.options.refreshToken;
        if (!get)
            return Promise.resolve();
        this.refreshing ??= (async () => {
            try {
                const fresh = await get();
                if (send)
                    await this.authenticate(fresh);
                else
                    this.token = fresh;
            }
            catch (err) {
                this.emit('$error', err);
            }
            finally {
                this.refreshing = undefined;
            }
        })();
        return this.refreshing;
    }
    settle(p, outcome) {
        if (!this.pending.delete(p.id))
            return;
        clearTimeout(p.timer);
        if (outcome instanceof Error)
            p.reject(outcome);
        else
            p.resolve(outcome.reply);
    }
    opened(reconnected) {
        this.lastSeen = Date.now();
        // Requests issued while disconnected (or lost with the last connection) go out again, in order, after the
        // restoring ones (which are sent as they are made, so they are not in this list).
        const earlier = [...this.pending.values()];
        // A resubscribe in progress on the old connection is answered on the new one (or by the reconnect itself).
        for (const st of this.held.values())
            st.resync = false;
        if (reconnected)
            this.restore();
        for (const p of earlier)
            this.socket.send(p.frame());
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
    restore() {
        const report = (err) => this.emit('$error', err instanceof Error ? err : new Error(String(err)));
        if (this.endpoint === '/api/v1/ws') {
            const pendingTopics = new Set([...this.pending.values()].filter((p) => p.type === 'bars.subscribe' || p.type === 'market.subscribe').map((p) => p.topic));
            for (const topic of this.topics) {
                if (!pendingTopics.has(topic)) {
                    this.barsSubscribe(topic).catch((err) => {
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
        }
        else if (this.endpoint === '/ws' && this.streams) {
            // A new /ws connection starts with every stream (resumed from the `since` its URL carried): add what is wanted
            // (a no-op, without `since`), then drop the rest.
            const want = [...this.streams];
            const extra = DashboardStreamValues.filter((s) => !this.streams.has(s));
            if (want.length)
                this.send({ type: 'subscribe', streams: want }).catch(report);
            if (extra.length)
                this.send({ type: 'unsubscribe', streams: extra }, (reply) => (this.streams = new Set(reply.streams))).catch(report);
        }
    }
    received(text) {
        this.lastSeen = Date.now();
        let message;
        if (this.options.validate === false) {
            try {
                message = JSON.parse(text);
            }
            catch (err) {
                this.invalid({ code: 'INVALID_JSON', message: err.message, raw: text });
                return;
            }
            if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
                this.invalid({ code: 'UNKNOWN_TYPE', message: 'missing "type"', raw: text });
                return;
            }
        }
        else {
            const decoded = decodeFrame(this.info.outbound, text);
            if (!decoded.ok) {
                this.invalid({ code: decoded.code, message: decoded.message, ...(decoded.field ? { field: decoded.field } : {}), raw: text });
                return;
            }
            message = decoded.message;
        }
        if (this.recover && !this.track(message))
            return;
        if (message.type === 'token_expiring')
            void this.refresh();
        const p = typeof message.id === 'string' ? this.pending.get(message.id) : undefined;
        if (p && (this.info.requests[p.type] ?? []).includes(message.type)) {
            if (this.info.error && message.type === this.info.error.type) {
                const at = this.info.error.at;
                const body = (at === 'root' ? message : message[at]);
                this.settle(p, new TickwireError(body?.code ?? 'INTERNAL_ERROR', body?.message ?? 'request failed', body?.field, message));
            }
            else {
                try {
                    p.onReply?.(message);
                }
                catch (err) {
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
    track(message) {
        const seq = message.seq;
        const topic = message.topic;
        if (typeof seq === 'number' && typeof topic === 'string') {
            const st = this.held.get(topic);
            if (!st)
                return true; // no position (e.g. a server without positions): nothing to compare with
            if (st.resync || seq <= st.offset)
                return false;
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
            const r = (message.payload ?? {});
            if (typeof r.topic === 'string')
                this.answered(r.topic, isState(r) ? { asOf: r.asOf, recovered: r.recovered, ...(r.reason ? { reason: r.reason } : {}) } : undefined, asked?.[r.topic]);
        }
        else if ((message.type === 'bars.unsubscribe.response' || message.type === 'market.unsubscribe.response') && this.endpoint === '/api/v1/ws') {
            const t = message.payload?.topic;
            this.confirmed.delete(t);
            if (!this.topics.has(t) && !this.held.get(t)?.resync)
                this.held.delete(t);
        }
        else if (message.type === 'subscriptions' && this.endpoint === '/ws') {
            for (const [t, state] of positionsIn(message.positions))
                this.answered(t, state, asked?.[t]);
            // Streams this connection no longer receives: their positions are no longer held.
            const now = new Set((Array.isArray(message.streams) ? message.streams : []).map((s) => DASHBOARD_TOPIC_PREFIX + s));
            for (const t of [...this.held.keys()]) {
                if (t.startsWith(DASHBOARD_TOPIC_PREFIX) && !now.has(t)) {
                    this.held.delete(t);
                    this.confirmed.delete(t);
                }
            }
        }
        else if (message.type === 'connected') {
            for (const [t, state] of positionsIn(message.data?.positions))
                this.answered(t, state, this.connectSince[t]);
        }
        return true;
    }
    /**
     * A subscribe answer for `topic`. `since`: the position the request resumed from (none: a first subscribe, or a
     * subscribe of a topic already live, which leaves the count where it is). Sets the position and, for a resume,
     * reports it to onRecovery.
     */
    answered(topic, state, since) {
        const before = this.held.get(topic);
        if (!state) {
            // An answer without a position (a server without recovery): stop tracking rather than hold the topic back.
            this.held.delete(topic);
            this.confirmed.delete(topic);
            return;
        }
        this.confirmed.add(topic);
        if (!since) {
            if (!before && !state.recovered)
                this.held.set(topic, { epoch: state.asOf.epoch, offset: state.asOf.offset });
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
        });
    }
    /**
     * A publication was skipped on the live path: hold the topic back and resubscribe it with `since` (on /api/v1/ws,
     * unsubscribe + subscribe on this connection; elsewhere, reconnect: those endpoints subscribe at connect).
     */
    gap(topic, st) {
        st.gap = true;
        const parsed = topicRequests(topic);
        if (this.endpoint === '/api/v1/ws' && parsed.ok) {
            st.resync = true;
            const report = (err) => this.emit('$error', err instanceof Error ? err : new Error(String(err)));
            this.send({ type: parsed.unsubscribe, payload: parsed.payload }).catch(report);
            this.barsSubscribe(topic).catch((err) => {
                report(err);
                // The topic may be off on this connection now: a reconnect resubscribes every topic with `since`.
                if (!(err instanceof TickwireError && err.code === 'CLOSED'))
                    this.socket.drop(CloseCodes.INSUFFICIENT_STATE.code, `resubscribe of ${topic} failed`);
            });
            return;
        }
        this.socket.drop(CloseCodes.INSUFFICIENT_STATE.code, `gap on ${topic}`);
    }
    invalid(problem) {
        if (this.listeners.get('$invalid')?.size)
            this.emit('$invalid', problem);
        else
            this.emit('$error', new TickwireError(problem.code, `invalid message from the server: ${problem.message}`, problem.field));
    }
    listen(key, fn) {
        let set = this.listeners.get(key);
        if (!set)
            this.listeners.set(key, (set = new Set()));
        set.add(fn);
        return () => set.delete(fn);
    }
    emit(key, value) {
        const set = this.listeners.get(key);
        if (!set?.size) {
            if (key === '$error')
                console.error(`tickwire client (${this.endpoint}):`, value);
            return;
        }
        for (const fn of [...set]) {
            try {
                fn(value);
            }
            catch (err) {
                if (key === '$error')
                    console.error(`tickwire client (${this.endpoint}): onError handler threw`, err);
                else
                    this.emit('$error', err);
            }
        }
    }
}
/**
 * Connects to one endpoint of a Tickwire server. `url` is the server's base (`http://host:port` or
 * `ws://host:port`); the path comes from the contract (with `options.params` for parameterised endpoints).
 */
export function connect(url, endpoint, options = {}) {
    return new TickwireClient(url, endpoint, options);
}
