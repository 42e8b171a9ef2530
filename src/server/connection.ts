import { randomUUID } from 'node:crypto';
import type { RawData } from 'ws';
import { TrackedWebSocket } from './tracked-websocket.ts';
import { CloseCodes, type CloseCodeName } from '../../generated/codes.ts';
import { checkMessage, decodeFrame } from '../../generated/runtime.ts';
import { openPermissions, type AccessDecision, type Permissions } from '../auth/permissions.ts';
import type { Identity, TokenVerifier } from '../auth/verifier.ts';
import type { StreamPosition, UnrecoverableReason } from '../pubsub/broker.ts';
import type { BatchSink, Hub, Subscriber } from '../pubsub/hub.ts';
import { textFrame, type Frame } from '../pubsub/frame.ts';
import type { AuthOutcome, ConnectionContext, Endpoint, ErrorInfo, TopicSubscription } from './endpoint.ts';
import { FlushScheduler, OutboundQueue, type WritableSocket } from './outbound.ts';
import { TokenBucket } from '../util/token-bucket.ts';
import { lineLogger, type Logger } from '../observability/logger.ts';
import { codeLabel, noMetrics, type Metrics } from '../observability/metrics.ts';

export interface ConnectionLimits {
  maxSubscriptions: number;
  maxBufferedBytes: number;
  rateLimitPerSec: number;
  rateBurst: number;
  maxLifespanMs: number;
}

/** Identity and permissions as a connection uses them (built once by the composition root, shared by every connection). */
export interface ConnectionAuth {
  /** The one subscription-permission check. */
  permissions: Permissions;
  /** Verifies tokens sent in `auth` messages; undefined with AUTH=none. */
  verifier?: TokenVerifier;
  /** token_expiring goes out this long before the identity's token expires. */
  expiryWarningMs: number;
  /**
   * The verifier's clock tolerance: it accepts a token until exp + this, so a connection is closed (4007) only then;
   * closing at exp would let a client reconnect with the same token and be closed again at once. Default 0.
   */
  clockToleranceMs?: number;
}

/** AUTH=none: no identities, everything readable. */
export function noAuth(): ConnectionAuth {
  return { permissions: openPermissions(), expiryWarningMs: 60_000 };
}

/** Called for every outbound message that breaks the contract (tests switch this on and fail on any call). */
export type ContractViolation = (endpoint: string, message: string, problem: string) => void;

export interface ConnectionOptions {
  ws: TrackedWebSocket;
  endpoint: Endpoint<any>;
  hub: Hub;
  scheduler: FlushScheduler;
  limits: ConnectionLimits;
  onContractViolation?: ContractViolation;
  onClosed: (conn: Connection) => void;
  log: (line: string) => void;
  /** Default: AUTH=none. */
  auth?: ConnectionAuth;
  /** The identity verified at upgrade (Authorization header or `token` query parameter). */
  identity?: Identity;
  /** Structured logs: a child with this connection's id, endpoint and remote address is made from it (default: `log`). */
  logger?: Logger;
  /** The peer's address, for logs. */
  remote?: string;
  /** Inbound messages by type and outcome, closes by code; default none. */
  metrics?: Pick<Metrics, 'inbound' | 'closed'>;
}

/**
 * One client connection: limits (inbound rate, subscription cap, outbound buffer, lifespan), parse → validate →
 * dispatch, one reply per request, and the outbound queue. Nothing a client sends can throw out of here.
 *
 * Ordering: every inbound frame goes through one per-connection inbox and is answered in the order it was received,
 * whether its reply is a handler's answer or a decode error (INVALID_JSON, BINARY_NOT_SUPPORTED, UNKNOWN_TYPE,
 * INVALID_MESSAGE). A client correlates an error that cannot carry an id (INVALID_JSON) by that order.
 *
 * Identity: set at upgrade or by an `auth` message, kept here. Every subscription goes through `subscribe`, which asks
 * the Permissions first. With an identity, `token_expiring` is sent `expiryWarningMs` before its `exp` (once the open
 * hook has run, so it never precedes `connected`), and the connection is closed with TOKEN_EXPIRED (4007) at `exp`
 * (plus the verifier's clock tolerance) unless an `auth` message brought a fresh token of the same `sub`.
 */
export class Connection implements Subscriber, ConnectionContext {
  /**
   * For log lines. Copied into one flat string: randomUUID() returns a tree of ~14 concatenated pieces, which V8 keeps
   * as they are (~450 bytes per connection instead of ~60).
   */
  readonly id = Buffer.from(randomUUID(), 'latin1').toString('latin1');
  readonly openedAt = Date.now();
  /** Cleared by the heartbeat before each ping, set again by the pong. */
  alive = true;
  private readonly ws: TrackedWebSocket;
  private readonly endpoint: Endpoint<any>;
  private readonly hub: Hub;
  private readonly limits: ConnectionLimits;
  private readonly queue: OutboundQueue;
  private readonly bucket: TokenBucket;
  private readonly lifespanTimer: NodeJS.Timeout;
  private inbox: Promise<void> = Promise.resolve();
  private afterTasks: (() => void)[] = [];
  /** Topics subscribed while answering the current request (or the open hook): made live once it is answered. */
  private toActivate: string[] = [];
  private ended = false;
  /** A close was decided while answers were still due: inbound frames are ignored, the inbox drains, then close. */
  private closingAfterInbox = false;
  /** WebSocket ping frames received (a flood is reported when the socket dies of it). */
  private pingsSeen = 0;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly auth: ConnectionAuth;
  private currentIdentity: Identity | undefined;
  private opened = false;
  private warnTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** This connection's logger: every record carries conn, endpoint and remote. */
  readonly logger: Logger;
  private readonly metrics: Pick<Metrics, 'inbound' | 'closed'>;
  /** Set when the server starts the close (the close log says who closed). */
  private closedByServer = false;

  constructor(private readonly options: ConnectionOptions) {
    this.ws = options.ws;
    this.endpoint = options.endpoint;
    this.hub = options.hub;
    this.limits = options.limits;
    this.auth = options.auth ?? noAuth();
    this.currentIdentity = options.identity;
    this.metrics = options.metrics ?? noMetrics;
    this.logger = (options.logger ?? lineLogger(options.log)).child({ conn: this.id, endpoint: this.endpoint.id, remote: options.remote });
    this.logger.info('connection opened', options.identity ? { sub: options.identity.sub } : undefined);
    const socket = (this.ws as unknown as { _socket: WritableSocket })._socket;
    this.queue = new OutboundQueue(socket, options.scheduler, this.limits.maxBufferedBytes,
      () => this.close('SLOW_CONSUMER', `more than ${this.limits.maxBufferedBytes} bytes unsent`),
      options.onContractViolation ? (frame) => this.checkOutbound(frame.text) : undefined);
    // Once ws is closing it may have written its close frame: nothing more from the queue, whoever closed.
    this.ws.onLeaveOpen = () => this.queue.close();
    if (this.ws.readyState !== TrackedWebSocket.OPEN) this.queue.close();
    this.bucket = new TokenBucket(this.limits.rateLimitPerSec, this.limits.rateBurst);
    // Jitter (the last 10% of the lifespan) so a fleet of clients connected together does not reconnect together.
    const lifespan = Math.round(this.limits.maxLifespanMs * (0.9 + 0.1 * Math.random()));
    this.lifespanTimer = setTimeout(() => this.close('LIFESPAN_EXPIRED'), lifespan);
    this.lifespanTimer.unref();
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('pong', () => { this.alive = true; });
    // WebSocket pings count against the inbound rate like messages: a ping flood is closed 4002 (and logged).
    this.ws.on('ping', () => {
      this.pingsSeen++;
      if (this.ended || this.closingAfterInbox || this.bucket.take()) return;
      this.closingAfterInbox = true;
      const detail = `WebSocket pings over ${this.limits.rateLimitPerSec}/s (burst ${this.limits.rateBurst})`;
      this.enqueue(() => this.close('RATE_LIMITED', detail));
    });
    this.ws.on('close', (code) => {
      // A flood can kill the socket before the 4002 is written (no close frame, 1006): say so, once.
      if (code === 1006 && this.pingsSeen > this.limits.rateBurst) {
        options.log(`connection ${this.id} ended abnormally (1006) after ${this.pingsSeen} WebSocket pings (ping flood)`);
      }
      this.end(code);
    });
    // ws emits 'error' for protocol violations (e.g. a frame over maxPayload, then it closes with 1009).
    this.ws.on('error', (err) => this.logger.warn(`connection error: ${err.message}`));
  }

  get endpointId(): string {
    return this.endpoint.id;
  }

  get pendingBytes(): number {
    return this.queue.pendingBytes;
  }

  // ---- ConnectionContext

  get identity(): Identity | undefined {
    return this.currentIdentity;
  }

  mayRead(topic: string): AccessDecision | Promise<AccessDecision> {
    return this.auth.permissions.mayRead(this.currentIdentity, topic);
  }

  async authenticate(token: string): Promise<AuthOutcome> {
    const verifier = this.auth.verifier;
    if (!verifier) return { ok: true, identity: undefined, revoked: [] }; // AUTH=none: nothing to check, all readable
    const outcome = await verifier.verify(token);
    if (this.ended) return { ok: true, identity: this.currentIdentity, revoked: [] };
    if (!outcome.ok) {
      if (outcome.reason === 'expired') return { ok: false, error: { code: 'TOKEN_EXPIRED', message: `${outcome.message}; the connection keeps its current token until it expires` } };
      if (outcome.reason === 'unavailable') return { ok: false, error: { code: 'UNAVAILABLE', message: outcome.message } };
      return { ok: false, error: { code: 'INVALID_TOKEN', message: outcome.message }, close: 'INVALID_TOKEN' };
    }
    const next = outcome.identity;
    if (this.currentIdentity && this.currentIdentity.sub !== next.sub) {
      return { ok: false, error: { code: 'FORBIDDEN', message: 'a fresh token must name the same sub as the connection; reconnect to change user' } };
    }
    this.currentIdentity = next;
    if (this.opened) this.scheduleExpiry();
    // Topics the new token does not cover are dropped (a narrower `channels` claim).
    const revoked: string[] = [];
    for (const topic of [...this.hub.topicsOf(this)]) {
      const decision = await this.mayRead(topic);
      if (!decision.ok) {
        this.hub.unsubscribe(this, topic);
        revoked.push(topic);
      }
    }
    return { ok: true, identity: next, revoked };
  }

  async subscribe(topic: string, options: { since?: StreamPosition; fromStart?: boolean } = {}): Promise<TopicSubscription> {
    const decision = await this.mayRead(topic);
    if (!decision.ok) return { status: 'forbidden', code: decision.code, message: decision.message };
    if (this.ended) return { status: 'exists' };
    const mine = this.hub.topicsOf(this);
    if (mine.has(topic)) return { status: 'exists' };
    if (mine.size >= this.limits.maxSubscriptions) return { status: 'limit' };
    const out = await this.hub.subscribe(this, topic, options);
    if (out.status !== 'added') return { status: 'exists' };
    this.toActivate.push(topic);
    return { status: 'added', asOf: out.position, recovered: out.recovered, ...(out.reason ? { reason: out.reason } : {}), ...(out.snapshot ? { snapshot: out.snapshot } : {}) };
  }

  unsubscribe(topic: string): boolean {
    return this.hub.unsubscribe(this, topic);
  }

  topics(): ReadonlySet<string> {
    return this.hub.topicsOf(this);
  }

  positionOf(topic: string): StreamPosition {
    return this.hub.positionOf(topic) ?? { epoch: '', offset: 0 };
  }

  send(message: object): void {
    this.deliver(textFrame(JSON.stringify(message)));
  }

  sendEncoded(text: string): void {
    this.deliver(textFrame(text));
  }

  after(task: () => void): void {
    this.afterTasks.push(task);
  }

  /**
   * Closes with a contract close code. What is queued (replies, pushes) is written first, for every reason but
   * SLOW_CONSUMER (whose queue is what overflowed; the client recovers with `since`).
   */
  close(reason: CloseCodeName, detail?: string): void {
    if (this.ended || this.ws.readyState > 1) return;
    const { code, reason: text } = CloseCodes[reason];
    this.closedByServer = true;
    this.logger.info(`connection closing: ${code} ${text}`, detail ? { code, detail } : { code });
    if (reason !== 'SLOW_CONSUMER') this.queue.flush();
    this.queue.close();
    this.ws.close(code, text);
  }

  // ---- Subscriber

  deliver(frame: Frame): void {
    if (this.options.onContractViolation) this.checkOutbound(frame.text);
    this.queue.push(frame);
  }

  /** The hub hands this connection's topic batches straight to its queue (see Subscriber.batches). */
  get batches(): BatchSink {
    return this.queue;
  }

  lost(topic: string, reason: UnrecoverableReason | 'unavailable'): void {
    this.close('INSUFFICIENT_STATE', `${topic}: ${reason}`);
  }

  // ---- lifecycle

  /**
   * Runs the endpoint's open hook (auto-subscriptions, connected message, unknown-id close) as the first entry of
   * the inbox, so inbound messages are answered after it; its subscriptions go live once it has sent its snapshot.
   */
  open(params: unknown, query: URLSearchParams = new URLSearchParams()): void {
    this.enqueue(async () => {
      try {
        await this.endpoint.open?.(this, params, query);
      } catch (err) {
        this.logger.error('connection open failed', { err: (err as Error)?.stack ?? String(err) });
        this.close('UNAVAILABLE');
        return;
      }
      this.activateSubscribed();
      this.opened = true;
      this.scheduleExpiry();
    });
  }

  /** (Re)arms token_expiring and the TOKEN_EXPIRED close for the current identity. */
  private scheduleExpiry(): void {
    clearTimeout(this.warnTimer);
    clearTimeout(this.expiryTimer);
    const identity = this.currentIdentity;
    if (!identity || this.ended) return;
    const left = identity.expiresAt - Date.now();
    this.warnTimer = setTimeout(() => {
      const inMs = Math.max(0, identity.expiresAt - Date.now());
      this.send({ type: 'token_expiring', timestamp: new Date().toISOString(), data: { expires_at: new Date(identity.expiresAt).toISOString(), expires_in: Math.round(inMs / 1000) } });
    }, Math.max(0, left - this.auth.expiryWarningMs));
    this.expiryTimer = setTimeout(() => this.close('TOKEN_EXPIRED', `token of ${identity.sub} expired`), Math.max(0, left + (this.auth.clockToleranceMs ?? 0)));
    this.warnTimer.unref();
    this.expiryTimer.unref();
  }

  /** Heartbeat: terminate if the last ping got no pong, else ping again. */
  heartbeat(): void {
    if (this.ended) return;
    if (!this.alive) {
      // Try a clean 4004 first (a live client that ignores pings learns why); a dead peer is cut off shortly after.
      this.close('HEARTBEAT_TIMEOUT');
      this.killTimer = setTimeout(() => this.ws.terminate(), 1000);
      this.killTimer.unref();
      return;
    }
    this.alive = false;
    try {
      this.ws.ping();
    } catch {
      // socket already gone; 'close' follows
    }
  }

  terminate(): void {
    this.ws.terminate();
  }

  private end(code = 1006): void {
    if (this.ended) return;
    this.ended = true;
    this.metrics.closed(this.endpoint.id, code);
    this.logger.info(`connection closed: ${code}`, { code, by: this.closedByServer ? 'server' : 'client', duration_ms: Date.now() - this.openedAt });
    clearTimeout(this.lifespanTimer);
    clearTimeout(this.killTimer);
    clearTimeout(this.warnTimer);
    clearTimeout(this.expiryTimer);
    this.queue.close();
    this.hub.removeSubscriber(this);
    this.guard(() => this.endpoint.closed?.(this));
    this.options.onClosed(this);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.ended || this.closingAfterInbox) return;
    if (!this.bucket.take()) {
      if (!this.closedByServer) this.metrics.inbound(this.endpoint.id, 'unknown', 'RATE_LIMITED'); // the frame that closed it
      // Requests accepted before this one are still owed their replies (the inbox may not have answered them yet):
      // stop reading, let the inbox answer them, then close (close flushes the queue first).
      this.closingAfterInbox = true;
      const detail = `over ${this.limits.rateLimitPerSec} msg/s (burst ${this.limits.rateBurst})`;
      this.enqueue(() => this.close('RATE_LIMITED', detail));
      return;
    }
    if (isBinary) {
      this.metrics.inbound(this.endpoint.id, 'unknown', 'BINARY_NOT_SUPPORTED');
      this.enqueue(() => this.sendError({ code: 'BINARY_NOT_SUPPORTED', message: 'binary frames are not supported; send JSON text frames' }));
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const decoded = decodeFrame<{ type: string; id?: string }>(this.endpoint.inbound, text);
    if (!decoded.ok) {
      const { code, message, field, id } = decoded;
      this.metrics.inbound(this.endpoint.id, 'unknown', code);
      this.enqueue(() => this.sendError({ code, message, ...(field ? { field } : {}), ...(id ? { id } : {}) }));
      return;
    }
    const message = decoded.message;
    this.enqueue(() => this.dispatch(message));
  }

  /**
   * Appends the answer to one inbound frame to the inbox: it runs after every earlier frame's answer was sent. A
   * failing answer is logged and never stalls the inbox.
   */
  private enqueue(answer: () => void | Promise<void>): void {
    this.inbox = this.inbox
      .then(() => (this.ended ? undefined : answer()))
      .catch((err: unknown) => this.logger.error('connection inbox failed', { err: (err as Error)?.stack ?? String(err) }));
  }

  private async dispatch(message: { type: string; id?: string }): Promise<void> {
    if (this.ended) return;
    try {
      const reply = await this.endpoint.handle(message, this);
      this.metrics.inbound(this.endpoint.id, message.type, errorCodeOf(reply) ?? 'ok');
      if (reply) this.send(reply);
    } catch (err) {
      this.logger.error(`handler for ${message.type} failed`, { type: message.type, err: (err as Error)?.stack ?? String(err) });
      this.afterTasks = [];
      // Nothing was changed: a subscription half made by the failed request is undone.
      for (const t of this.toActivate.splice(0)) this.hub.unsubscribe(this, t);
      // The broker unreachable (Redis down) is not a server bug: the client may retry (UNAVAILABLE).
      const code = (err as { code?: unknown })?.code;
      const unavailable = typeof code === 'string' && code.startsWith('BROKER_');
      this.metrics.inbound(this.endpoint.id, message.type, unavailable ? 'UNAVAILABLE' : 'INTERNAL_ERROR');
      this.sendError(unavailable
        ? { code: 'UNAVAILABLE', message: `cannot handle ${message.type} now: the pub/sub broker is unreachable; retry later`, ...(message.id ? { id: message.id } : {}) }
        : { code: 'INTERNAL_ERROR', message: `the server failed handling ${message.type}`, ...(message.id ? { id: message.id } : {}) });
      return;
    }
    const tasks = this.afterTasks;
    this.afterTasks = [];
    for (const t of tasks) this.guard(t);
    this.activateSubscribed();
  }

  private activateSubscribed(): void {
    const topics = this.toActivate;
    this.toActivate = [];
    for (const t of topics) this.hub.activate(this, t);
  }

  private sendError(error: ErrorInfo): void {
    this.send(this.endpoint.errorMessage(error));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error('connection task failed', { err: (err as Error)?.stack ?? String(err) });
    }
  }

  private checkOutbound(text: string): void {
    let problem: string | null;
    try {
      problem = checkMessage(this.endpoint.outbound, JSON.parse(text));
    } catch (err) {
      problem = `not JSON: ${(err as Error).message}`;
    }
    if (problem) this.options.onContractViolation!(this.endpoint.id, text, problem);
  }
}

/** The error code of a reply that is an `error` message (its code sits in payload, data or the message itself). */
function errorCodeOf(reply: unknown): string | undefined {
  if (!reply || typeof reply !== 'object' || (reply as { type?: unknown }).type !== 'error') return undefined;
  const r = reply as { code?: unknown; payload?: { code?: unknown }; data?: { code?: unknown } };
  return codeLabel(r.payload?.code ?? r.data?.code ?? r.code);
}
