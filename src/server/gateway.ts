import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCodes } from '../../generated/codes.ts';
import type { Hub } from '../pubsub/hub.ts';
import { Connection, type ConnectionLimits, type ContractViolation } from './connection.ts';
import type { Endpoint } from './endpoint.ts';
import { FlushScheduler } from './outbound.ts';

export interface GatewayOptions {
  endpoints: Endpoint<any>[];
  hub: Hub;
  limits: ConnectionLimits;
  maxConnections: number;
  maxPayloadBytes: number;
  pingIntervalMs: number;
  onContractViolation?: ContractViolation;
  log: (line: string) => void;
}

/**
 * Routes HTTP upgrades by URL path to the contract's endpoints (unknown path: HTTP 404), enforces the connection
 * cap (close 4003), pings every connection each interval (no pong by the next ping: terminated), and closes
 * everyone with 1001 on shutdown.
 */
export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly scheduler = new FlushScheduler();
  private readonly heartbeat: NodeJS.Timeout;
  private closing = false;
  private drained: (() => void) | undefined;

  constructor(private readonly options: GatewayOptions) {
    // permessage-deflate stays off: frames are built once and written as-is to every subscriber.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
    this.heartbeat = setInterval(() => {
      for (const c of this.connections) c.heartbeat();
    }, options.pingIntervalMs);
    this.heartbeat.unref();
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
    socket.on('error', () => socket.destroy());
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
    if (!endpoint || !match) return reject(socket, 404, 'Not Found');
    const found = endpoint;
    const matched = match;
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.connections.size >= this.options.maxConnections) {
        const { code, reason } = CloseCodes.SERVER_FULL;
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
        onClosed: (c) => {
          this.connections.delete(c);
          if (this.connections.size === 0) this.drained?.();
        },
        log: this.options.log,
      });
      this.connections.add(conn);
      if (!matched.ok) {
        conn.send(found.errorMessage(matched.error));
        // The error frame is flushed at the end of this turn; close right after it.
        setImmediate(() => conn.close(matched.close, matched.error.message));
        return;
      }
      conn.open(matched.params, url.searchParams);
    });
  }

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

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}
