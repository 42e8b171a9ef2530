import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type Server as WsServer } from 'ws';
import { CloseCodes } from '../../generated/codes.ts';
import { tokenFromRequest } from '../auth/request.ts';
import type { Identity } from '../auth/verifier.ts';
import type { Hub } from '../pubsub/hub.ts';
import { Connection, noAuth, type ConnectionAuth, type ConnectionLimits, type ContractViolation } from './connection.ts';
import type { Endpoint, ErrorInfo } from './endpoint.ts';
import { TrackedWebSocket } from './tracked-websocket.ts';
import { clientIpResolver } from './client-ip.ts';
import type { OriginPolicy } from './origin.ts';
import { FlushScheduler } from './outbound.ts';
import type { Logger } from '../observability/logger.ts';
import { noMetrics, type Metrics } from '../observability/metrics.ts';

export interface GatewayOptions {
  endpoints: Endpoint<any>[];
  hub: Hub;
  limits: ConnectionLimits;
  maxConnections: number;
  maxPayloadBytes: number;
  pingIntervalMs: number;
  onContractViolation?: ContractViolation;
  log: (line: string) => void;
  /** Identity and permissions; default AUTH=none (no identities, everything readable). */
  auth?: ConnectionAuth;
  /** Which browser origins may open a WebSocket; default: any (tests that build a Gateway by hand). */
  origins?: OriginPolicy;
  /** Connections at once from one remote address (HTTP 429 beyond); default: no per-address cap (maxConnections applies). */
  maxConnectionsPerIp?: number;
  /**
   * The address maxConnectionsPerIp counts: with TRUST_PROXY, the client's address from X-Forwarded-For (behind a
   * proxy every socket comes from the proxy). Default: the socket's remote address (clientIpResolver(false)).
   */
  clientIp?: (req: IncomingMessage) => string;
  /**
   * The flush scheduler of every connection's outbound queue; the app makes it and gives it to the hub too (its
   * fan-out). Default: a new one (a gateway built by hand in tests).
   */
  scheduler?: FlushScheduler;
  /** Structured logs; each connection logs through a child (conn, endpoint, remote). Default: `log`. */
  logger?: Logger;
  /** Default: none. */
  metrics?: Metrics;
}

/**
 * Routes HTTP upgrades by URL path to the contract's endpoints (unknown path: HTTP 404), enforces the connection
 * cap (close 4003), pings every connection each interval (no pong by the next ping: terminated), and closes
 * everyone with 1001 on shutdown.
 *
 * Before an upgrade becomes a socket: a foreign `Origin` is refused with HTTP 403 (cross-site WebSocket hijacking;
 * no Origin = not a browser, judged by AUTH alone), more than maxConnectionsPerIp from one address with HTTP 429. A
 * token (`Authorization: Bearer` or the `token` query parameter) is verified here and the identity handed to the
 * connection; a bad one is answered on the socket (browsers cannot read an HTTP status): error INVALID_TOKEN and close
 * 4502, or error TOKEN_EXPIRED and close 4007 (a key set that cannot be fetched: UNAVAILABLE, 4006). With AUTH=none
 * tokens are ignored.
 */
export class Gateway {
  private readonly wss: WsServer<typeof TrackedWebSocket>;
  private readonly connections = new Set<Connection>();
  private readonly scheduler: FlushScheduler;
  private readonly clientIp: (req: IncomingMessage) => string;
  private readonly metrics: Metrics;
  private readonly heartbeat: NodeJS.Timeout;
  private closing = false;
  private drained: (() => void) | undefined;
  private readonly auth: ConnectionAuth;
  /** Open (and upgrading) connections per remote address. */
  private readonly perIp = new Map<string, number>();

  constructor(private readonly options: GatewayOptions) {
    // permessage-deflate stays off: frames are built once and written as-is to every subscriber.
    // TrackedWebSocket: each connection's outbound queue hears when its WebSocket leaves OPEN (see that file).
    this.wss = new WebSocketServer<typeof TrackedWebSocket>({ noServer: true, maxPayload: options.maxPayloadBytes, perMessageDeflate: false, clientTracking: false, WebSocket: TrackedWebSocket });
    this.heartbeat = setInterval(() => {
      for (const c of this.connections) c.heartbeat();
    }, options.pingIntervalMs);
    this.heartbeat.unref();
    this.auth = options.auth ?? noAuth();
    this.metrics = options.metrics ?? noMetrics;
    this.clientIp = options.clientIp ?? clientIpResolver(false);
    this.scheduler = options.scheduler ?? new FlushScheduler(options.metrics ? (s) => this.metrics.delivered(s) : undefined);
  }

  /** For the metrics (read at scrape time): unsent bytes over all connections, and outbound totals since start. */
  stats(): { queuedBytes: number; outbound: { messages: number; bytes: number; writes: number } } {
    let queuedBytes = 0;
    for (const c of this.connections) queuedBytes += c.pendingBytes;
    return { queuedBytes, outbound: { ...this.scheduler.stats } };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections per endpoint id (status endpoint). */
  countsByEndpoint(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.connections) out[c.endpointId] = (out[c.endpointId] ?? 0) + 1;
    return out;
  }

  /**
   * Serves WebSocket upgrades on `server`. While `ready()` is false (the node's broker is not connected yet) upgrades
   * are refused with HTTP 503, so a load balancer or client retries elsewhere or later.
   */
  attach(server: Server, options: { ready?: () => boolean } = {}): void {
    this.ready = options.ready ?? (() => true);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  private ready: () => boolean = () => true;

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroySocket);
    if (this.closing || !this.ready()) return reject(socket, 503, 'Service Unavailable');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return reject(socket, 400, 'Bad Request');
    }
    let endpoint: Endpoint<any> | undefined;
    let match: ReturnType<Endpoint<any>['match']> = null;
    for (const e of this.options.endpoints) {
      match = e.match(url.pathname, url.searchParams);
      if (match) {
        endpoint = e;
        break;
      }
    }
    const origin = req.headers.origin;
    if (this.options.origins && !this.options.origins.allowed(origin, req.headers.host)) {
      this.options.log(`upgrade refused: origin ${JSON.stringify(origin)} is not allowed (ALLOWED_ORIGINS)`);
      return reject(socket, 403, 'Forbidden');
    }
    if (!endpoint || !match) return reject(socket, 404, 'Not Found');
    const ip = this.clientIp(req);
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.options.maxConnectionsPerIp !== undefined && fromIp >= this.options.maxConnectionsPerIp) return reject(socket, 429, 'Too Many Requests');
    const release = this.countFrom(ip);
    const found = endpoint;
    const matched = match;
    const token = this.auth.verifier ? tokenFromRequest(req.headers, url.searchParams) : undefined;
    if (!token) return this.upgrade(req, socket, head, found, matched, url, release, {});
    this.auth.verifier!.verify(token).then(
      (outcome) => this.upgrade(req, socket, head, found, matched, url, release, outcome.ok
        ? { identity: outcome.identity }
        : { refusal: outcome.reason === 'expired'
          ? { error: { code: 'TOKEN_EXPIRED', message: outcome.message }, close: 'TOKEN_EXPIRED' }
          : outcome.reason === 'unavailable'
            ? { error: { code: 'UNAVAILABLE', message: outcome.message }, close: 'UNAVAILABLE' }
            : { error: { code: 'INVALID_TOKEN', message: outcome.message }, close: 'INVALID_TOKEN' } }),
      (err: unknown) => {
        release();
        this.options.log(`upgrade: token verification failed: ${(err as Error)?.message ?? String(err)}`);
        reject(socket, 500, 'Internal Server Error');
      },
    );
  }

  private upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    found: Endpoint<any>,
    matched: NonNullable<ReturnType<Endpoint<any>['match']>>,
    url: URL,
    release: () => void,
    auth: { identity?: Identity; refusal?: { error: ErrorInfo; close: 'TOKEN_EXPIRED' | 'INVALID_TOKEN' | 'UNAVAILABLE' } },
  ): void {
    if (this.closing || socket.destroyed) {
      release();
      socket.destroy();
      return;
    }
    // The socket's 'close' comes before the WebSocket's (ws emits that on the socket's), so it frees the slot.
    socket.once('close', release);
    this.wss.handleUpgrade(req, socket, head, (ws: TrackedWebSocket) => {
      if (this.connections.size >= this.options.maxConnections) {
        const { code, reason } = CloseCodes.SERVER_FULL;
        this.metrics.closed(found.id, code);
        ws.close(code, reason);
        return;
      }
      const conn = new Connection({
        ws,
        endpoint: found,
        hub: this.options.hub,
        scheduler: this.scheduler,
        limits: this.options.limits,
        onContractViolation: this.options.onContractViolation,
        onClosed: this.closed,
        log: this.options.log,
        logger: this.options.logger,
        remote: req.socket.remoteAddress,
        metrics: this.metrics,
        auth: this.auth,
        identity: auth.identity,
      });
      this.connections.add(conn);
      if (auth.refusal) {
        const refusal = auth.refusal;
        conn.send(found.errorMessage(refusal.error));
        setImmediate(() => conn.close(refusal.close, refusal.error.message));
        return;
      }
      if (!matched.ok) {
        conn.send(found.errorMessage(matched.error));
        // The error frame is flushed at the end of this turn; close right after it.
        setImmediate(() => conn.close(matched.close, matched.error.message));
        return;
      }
      conn.open(matched.params, url.searchParams);
    });
  }

  /**
   * Counts one more connection from `ip`; the function returned undoes it, once. Memory: the closures a connection
   * keeps for its lifetime (this one, socket listeners, onClosed) are made outside onUpgrade/upgrade on purpose: a
   * closure keeps its whole enclosing scope alive, and those scopes hold the upgrade request (headers, URL, ~2 KiB).
   */
  private countFrom(ip: string): () => void {
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    };
  }

  /** Every connection's onClosed (one function for all of them). */
  private readonly closed = (c: Connection): void => {
    this.connections.delete(c);
    if (this.connections.size === 0) this.drained?.();
  };

  /** Close every connection with 1001 and stop accepting; resolves when all sockets are gone (or after timeoutMs). */
  async close(timeoutMs = 2000): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    const pending = [...this.connections];
    for (const c of pending) c.close('GOING_AWAY');
    if (this.connections.size) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const c of this.connections) c.terminate();
    this.wss.close();
  }
}

/** A socket 'error' listener that keeps nothing alive (`this` is the socket). */
function destroySocket(this: Duplex): void {
  this.destroy();
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}
