/**
 * One API connection to TWS / IB Gateway, shared by the IBKR market source and the IBKR order venue.
 *
 * Contracts:
 * - Config is explicit: host, port and clientId are required (there is no default port: 7496/7497/4001/4002
 *   differ by product and mode, and guessing wrong silently talks to the live account). Because every
 *   option is passed to IBApi, @stoqey/ib never falls back to its .env / IB_* configuration.
 * - `start()` resolves once the connection is ready (NEXT_VALID_ID received) or the first attempt has failed;
 *   it never rejects. Failures become health events and retries: exponential backoff with jitter
 *   (backoffDelay, src/util/backoff.ts; equal jitter by default: 50 %). The attempt counter resets when a
 *   connection becomes ready.
 * - Ready / lost: `onReady` listeners run on every (re)connection; with `reconnect: true` they must re-issue
 *   every subscription (TWS forgets them with the socket; also after 1101 "restored, data lost").
 *   `onLost` listeners run when the socket closes. Requests go through `request()` (the pacing queue); one
 *   that comes due while the connection is not ready is dropped, because owners re-issue on ready.
 * - Nothing here throws to the process: IB listeners registered through `on()` are wrapped, a throwing one
 *   is reported as a health event (code LISTENER_ERROR_CODE) and the others still run. A throwing health
 *   listener cannot be a health event itself: it goes to `onHealthListenerError` (default console.error).
 * - IB message codes are mapped once, in `IB_CODES` (below): connectivity (1100 lost, 1101/1102 restored),
 *   farm status (2104/2106/2158 OK = info, 2103/2105/2157 broken), request errors routed to the request
 *   owner (200 unknown symbol, 354/10167 delayed data, 162/420/100 pacing, 201/202 order). Request-level
 *   errors go to `onRequestError`; connection-level ones become health events.
 */
import { EventName, IBApi } from '@stoqey/ib';
import { backoffDelay, type BackoffOptions } from '../util/backoff.ts';
import { PacingQueue, SYSTEM_CLOCK, type PacedRequest, type PacingClock, type PacingLimits } from './ib-pacing.ts';
import { Listeners } from '../util/listeners.ts';

export interface IbConnectionConfig {
  host: string;
  port: number;
  clientId: number;
  /** Account for P&L / orders when the login manages several; default: the first managed account. */
  account?: string;
}

/** Reconnect delays to TWS (the formula is backoffDelay in src/util/backoff.ts). */
export type IbBackoff = BackoffOptions;

export const DEFAULT_BACKOFF: Readonly<IbBackoff> = Object.freeze({ initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 });

export interface IbHealthEvent {
  ok: boolean;
  code?: number;
  message: string;
  /** The connection came back after a loss (see SourceHealthListener). */
  recovered?: boolean;
}

export type IbCodeClass =
  | 'connectivity-lost'
  | 'connectivity-restored'
  | 'connectivity-restored-data-lost'
  | 'farm-ok'
  | 'farm-broken'
  | 'unknown-symbol'
  | 'not-subscribed'
  | 'delayed-data'
  | 'pacing'
  | 'historical-error'
  | 'order-rejected'
  | 'order-cancelled'
  | 'connect-failed'
  | 'client-id-in-use'
  | 'decode-error'
  | 'other';

/** The one table of IB message codes this gateway acts on. */
export const IB_CODES: Readonly<Record<number, IbCodeClass>> = Object.freeze({
  100: 'pacing', // max rate of messages per second exceeded
  162: 'historical-error', // historical data service error; 'pacing' when the text says so
  200: 'unknown-symbol', // no security definition found
  201: 'order-rejected',
  202: 'order-cancelled',
  326: 'client-id-in-use',
  354: 'not-subscribed', // requested market data is not subscribed
  366: 'historical-error', // no historical data query found
  420: 'pacing', // invalid real-time query (pacing violation)
  502: 'connect-failed',
  504: 'connect-failed', // not connected
  505: 'decode-error', // @stoqey/ib: unknown message id / field layout mismatch
  1100: 'connectivity-lost',
  1101: 'connectivity-restored-data-lost',
  1102: 'connectivity-restored',
  2103: 'farm-broken',
  2104: 'farm-ok',
  2105: 'farm-broken',
  2106: 'farm-ok',
  2107: 'farm-ok', // HMDS inactive but available on demand
  2108: 'farm-ok', // market data farm inactive but available on demand
  2119: 'farm-ok', // market data farm connecting
  2157: 'farm-broken',
  2158: 'farm-ok',
  10089: 'not-subscribed', // requested market data requires additional subscription
  10090: 'not-subscribed', // part of requested market data is not subscribed
  10167: 'delayed-data', // displaying delayed market data
  10168: 'not-subscribed', // delayed data not enabled
  10197: 'not-subscribed', // no market data during competing live session
});

export function classifyIbCode(code: number, message = ''): IbCodeClass {
  const cls = IB_CODES[code] ?? 'other';
  if (cls === 'historical-error' && /pacing/i.test(message)) return 'pacing';
  // 420 "Invalid Real-time Query" is also what a missing market data permission looks like
  if (code === 420 && /permission|not subscribed/i.test(message)) return 'not-subscribed';
  return cls;
}

/** Health code for a listener that threw inside an IB callback (not an IB code). */
export const LISTENER_ERROR_CODE = 9001;

export interface IbRequestError {
  reqId: number;
  code: number;
  message: string;
  cls: IbCodeClass;
}

export type IbConfigError = { code: 'IB_CONFIG_INVALID'; message: string };

/** Checks a connection config; undefined when usable. */
export function validateIbConfig(config: Partial<IbConnectionConfig>): IbConfigError | undefined {
  if (typeof config.host !== 'string' || config.host.length === 0) return { code: 'IB_CONFIG_INVALID', message: 'host is required' };
  if (!Number.isInteger(config.port) || (config.port as number) < 1 || (config.port as number) > 65535) {
    return { code: 'IB_CONFIG_INVALID', message: 'port is required (1-65535); there is no default port' };
  }
  if (!Number.isInteger(config.clientId) || (config.clientId as number) < 0) {
    return { code: 'IB_CONFIG_INVALID', message: 'clientId is required (integer >= 0)' };
  }
  return undefined;
}

export interface IbConnectionOptions {
  config: IbConnectionConfig;
  backoff?: Partial<IbBackoff>;
  /** Timers for reconnects and the handshake timeout; default the system clock. */
  clock?: PacingClock;
  /** Random source for jitter, [0, 1). */
  random?: () => number;
  /** A connection that has not become ready this long after connect() is closed and retried. */
  readyTimeoutMs?: number;
  /** Pacing limits for `request()`. */
  pacing?: Partial<PacingLimits>;
  /** First request id handed out by `allocateRequestId` (kept far from order ids). */
  firstRequestId?: number;
  /** A health listener threw (the others still ran). Default: console.error. If this throws too, it is dropped. */
  onHealthListenerError?: (err: unknown) => void;
}

/** Where a throwing health listener is reported when nothing else is injected (there is no logger module yet). */
export function logHealthListenerError(owner: string): (err: unknown) => void {
  return (err) => console.error(`tickwire: ${owner} health listener threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}

export type IbConnectionState = 'idle' | 'connecting' | 'ready' | 'waiting' | 'stopped';

type AnyListener = (...args: never[]) => void;
interface LooseEmitter {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
}

export class IbConnection {
  readonly api: IBApi;
  readonly pacing: PacingQueue;
  readonly config: Readonly<IbConnectionConfig>;
  private readonly emitter: LooseEmitter;
  private readonly clock: PacingClock;
  private readonly random: () => number;
  private readonly backoff: IbBackoff;
  private readonly readyTimeoutMs: number;
  private st: IbConnectionState = 'idle';
  private attempt = 0;
  private connections = 0;
  private retryTimer: unknown = undefined;
  private readyTimer: unknown = undefined;
  private nextReqId: number;
  private managed: string[] = [];
  private lastNextValidId: number | undefined;
  private readonly readyListeners = new Set<(e: { nextValidId: number; reconnect: boolean }) => void>();
  private readonly lostListeners = new Set<() => void>();
  private readonly healthListeners: Listeners<IbHealthEvent>;
  private readonly requestErrorListeners = new Set<(e: IbRequestError) => void>();
  private readonly startWaiters: (() => void)[] = [];
  private readonly detach: (() => void)[] = [];

  /** Throws a TypeError when the config is invalid (check it first with validateIbConfig). */
  constructor(options: IbConnectionOptions) {
    const invalid = validateIbConfig(options.config);
    if (invalid) throw new TypeError(`${invalid.code}: ${invalid.message}`);
    this.config = Object.freeze({ ...options.config });
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.random = options.random ?? Math.random;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.nextReqId = options.firstRequestId ?? 10_000_000;
    this.healthListeners = new Listeners<IbHealthEvent>(options.onHealthListenerError ?? logHealthListenerError('IB connection'));
    this.pacing = new PacingQueue({
      clock: this.clock,
      limits: options.pacing,
      onSendError: (e) => this.health({ ok: false, code: LISTENER_ERROR_CODE, message: `request send failed: ${String(e)}` }),
    });
    this.api = new IBApi({
      host: this.config.host,
      port: this.config.port,
      clientId: this.config.clientId,
      maxReqPerSec: this.pacing.limits.maxMessagesPerSecond,
    });
    this.emitter = this.api as unknown as LooseEmitter;
    guardDecoder(this.api, (err) => this.health({ ok: false, code: 505, message: `undecodable message from TWS dropped: ${String(err)}` }));
    this.detach.push(
      this.on(EventName.nextValidId, (id: number) => this.onNextValidId(id)),
      this.on(EventName.managedAccounts, (list: string) => {
        this.managed = list.split(',').map((s) => s.trim()).filter(Boolean);
      }),
      this.on(EventName.disconnected, () => this.onDisconnected()),
      this.on(EventName.info, (message: string, code: number) => this.onCode(code, -1, message)),
      this.on(EventName.error, (err: Error, code: number, reqId: number) => this.onCode(code, reqId, err?.message ?? String(err))),
    );
  }

  get state(): IbConnectionState {
    return this.st;
  }

  get ready(): boolean {
    return this.st === 'ready';
  }

  /** Accounts the login manages (from MANAGED_ACCTS). */
  get accounts(): readonly string[] {
    return this.managed;
  }

  /** The configured account, or the first managed one. */
  get account(): string | undefined {
    return this.config.account ?? this.managed[0];
  }

  /** The order id TWS gave in its last NEXT_VALID_ID. */
  get nextValidId(): number | undefined {
    return this.lastNextValidId;
  }

  /** A fresh request id (ticker / request id namespace), unique for this connection object. */
  allocateRequestId(): number {
    return this.nextReqId++;
  }

  /** Connects; resolves when ready or after the first failed attempt. Never rejects. */
  start(): Promise<void> {
    if (this.st === 'ready') return Promise.resolve();
    const p = new Promise<void>((resolve) => this.startWaiters.push(resolve));
    if (this.st === 'idle' || this.st === 'stopped') this.connectNow();
    return p;
  }

  /** Disconnects and stops retrying; idempotent. */
  async stop(): Promise<void> {
    if (this.st === 'stopped') return;
    this.st = 'stopped';
    this.clearTimer('retry');
    this.clearTimer('ready');
    this.pacing.clear();
    try {
      if (this.api.isConnected || this.connections > 0) this.api.disconnect();
    } catch {
      // disconnecting an unconnected client only emits info
    }
    this.flushStartWaiters();
  }

  /** Sends a request through the pacing queue; dropped if the connection is not ready when it comes due. */
  request(req: PacedRequest): () => void {
    return this.pacing.submit({
      ...req,
      send: () => {
        if (this.st === 'ready') req.send();
      },
    });
  }

  /** Registers an IBApi listener; a throwing listener becomes a health event. Returns the remover. */
  on<F extends AnyListener>(event: EventName, listener: F): () => void {
    const wrapped = (...args: unknown[]) => {
      try {
        (listener as unknown as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.health({ ok: false, code: LISTENER_ERROR_CODE, message: `listener for ${event} threw: ${String(error)}` });
      }
    };
    this.emitter.on(event, wrapped);
    return () => {
      this.emitter.off(event, wrapped);
    };
  }

  onReady(listener: (e: { nextValidId: number; reconnect: boolean }) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Listeners are isolated: a throwing one goes to `onHealthListenerError` and the others still run. */
  onHealth(listener: (e: IbHealthEvent) => void): () => void {
    return this.healthListeners.add(listener);
  }

  /** Errors tied to a request id or order id (200, 354, 10167, 162, 420, 201...). */
  onRequestError(listener: (e: IbRequestError) => void): () => void {
    this.requestErrorListeners.add(listener);
    return () => this.requestErrorListeners.delete(listener);
  }

  /** The delay before reconnect attempt `attempt` (0-based), given a random draw in [0, 1). */
  backoffDelay(attempt: number, draw: number): number {
    return backoffDelay(attempt, this.backoff, () => draw);
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private connectNow(): void {
    this.st = 'connecting';
    this.connections++;
    this.clearTimer('ready');
    this.readyTimer = this.clock.setTimeout(() => {
      this.readyTimer = undefined;
      if (this.st !== 'connecting') return;
      this.health({ ok: false, code: 502, message: `no NEXT_VALID_ID within ${this.readyTimeoutMs} ms; reconnecting` });
      try {
        this.api.disconnect();
      } catch {
        // ignore
      }
      // IBApi emits `disconnected` only if the socket got past connecting; make sure a retry happens
      if (this.st === 'connecting') this.onDisconnected();
    }, this.readyTimeoutMs);
    try {
      this.api.connect(this.config.clientId);
    } catch (error) {
      this.health({ ok: false, code: 502, message: `connect failed: ${String(error)}` });
      this.onDisconnected();
    }
  }

  private onNextValidId(id: number): void {
    this.lastNextValidId = id;
    if (this.st !== 'connecting') return; // an answer to reqIds
    this.clearTimer('ready');
    const reconnect = this.connections > 1;
    this.st = 'ready';
    this.attempt = 0;
    this.health(reconnect ? { ok: true, message: 'reconnected to TWS', recovered: true } : { ok: true, message: 'connected to TWS' });
    this.emitReady(id, reconnect);
    this.flushStartWaiters();
  }

  private emitReady(nextValidId: number, reconnect: boolean): void {
    for (const l of [...this.readyListeners]) {
      try {
        l({ nextValidId, reconnect });
      } catch (error) {
        this.health({ ok: false, code: LISTENER_ERROR_CODE, message: `ready listener threw: ${String(error)}` });
      }
    }
  }

  private onDisconnected(): void {
    if (this.st === 'stopped' || this.st === 'waiting') return;
    const wasReady = this.st === 'ready';
    this.clearTimer('ready');
    this.st = 'waiting';
    this.pacing.clear();
    if (wasReady) {
      this.health({ ok: false, code: 504, message: 'disconnected from TWS' });
      for (const l of [...this.lostListeners]) {
        try {
          l();
        } catch (error) {
          this.health({ ok: false, code: LISTENER_ERROR_CODE, message: `lost listener threw: ${String(error)}` });
        }
      }
    }
    const delay = this.backoffDelay(this.attempt++, this.random());
    this.clearTimer('retry');
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.st === 'waiting') this.connectNow();
    }, delay);
    this.flushStartWaiters();
  }

  private onCode(code: number, reqId: number, message: string): void {
    if (this.st === 'stopped') return;
    const cls = classifyIbCode(code, message);
    if (reqId !== undefined && reqId >= 0) {
      for (const l of [...this.requestErrorListeners]) {
        try {
          l({ reqId, code, message, cls });
        } catch (error) {
          this.health({ ok: false, code: LISTENER_ERROR_CODE, message: `request-error listener threw: ${String(error)}` });
        }
      }
      if (cls === 'pacing' || cls === 'decode-error') this.health({ ok: false, code, message });
      return;
    }
    switch (cls) {
      case 'connectivity-lost':
      case 'farm-broken':
      case 'connect-failed':
      case 'client-id-in-use':
      case 'decode-error':
      case 'pacing':
        this.health({ ok: false, code, message });
        return;
      case 'connectivity-restored':
        this.health({ ok: true, code, message, recovered: true });
        return;
      case 'farm-ok':
        this.health({ ok: true, code, message });
        return;
      case 'connectivity-restored-data-lost':
        this.health({ ok: true, code, message, recovered: true });
        // TWS dropped every subscription: owners re-issue them as after a reconnect
        if (this.st === 'ready') {
          this.pacing.clear();
          this.emitReady(this.lastNextValidId ?? 0, true);
        }
        return;
      default:
        if (code >= 2100 && code < 2200) this.health({ ok: true, code, message });
        else this.health({ ok: false, code, message });
    }
  }

  private health(e: IbHealthEvent): void {
    this.healthListeners.emit(e);
  }

  private flushStartWaiters(): void {
    for (const w of this.startWaiters.splice(0)) w();
  }

  private clearTimer(which: 'retry' | 'ready'): void {
    if (which === 'retry' && this.retryTimer !== undefined) {
      this.clock.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (which === 'ready' && this.readyTimer !== undefined) {
      this.clock.clearTimeout(this.readyTimer);
      this.readyTimer = undefined;
    }
  }
}

/**
 * @stoqey/ib 1.6 re-throws every decode error other than an underrun out of its socket 'data' handler (e.g. a
 * malformed advancedOrderReject JSON in ERR_MSG), which would be an uncaught exception: one bad upstream message
 * would crash the gateway. This wraps the decoder's loop (library internals: controller.decoder.process): the bad
 * message is dropped up to its end marker, reported, and decoding goes on. If the library's layout changes, nothing
 * is wrapped (and test/market/ib-decode-guard.test.ts fails).
 */
export function guardDecoder(api: IBApi, onError: (err: unknown) => void): boolean {
  const decoder = (api as unknown as { controller?: { decoder?: { process?: () => void; drainQueue?: () => void } } }).controller?.decoder;
  if (!decoder || typeof decoder.process !== 'function' || typeof decoder.drainQueue !== 'function') return false;
  const process = decoder.process.bind(decoder);
  const drain = decoder.drainQueue.bind(decoder);
  decoder.process = () => {
    // Bounded: each failure drains at least the failed message, so this ends; the bound is a second safety.
    for (let attempt = 0; attempt < 1000; attempt++) {
      try {
        process();
        return;
      } catch (err) {
        drain();
        onError(err);
      }
    }
  };
  return true;
}

