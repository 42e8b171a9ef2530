/**
 * Limits on the HTTP server itself, so idle or slow clients cannot hold it (issue 18):
 * - `headersTimeoutMs`: a connection that has not sent complete request headers in this time is closed, including
 *   one that never sends a byte (Node's own check only covers requests that have begun: here a timer per new
 *   connection, cleared by its first request or upgrade); `requestTimeoutMs`: a request whose body is still arriving is answered 408 and
 *   closed; `keepAliveTimeoutMs`: an idle keep-alive connection is closed. Node checks these every
 *   `checkIntervalMs(headersTimeoutMs)`, set when the server is created (`serverOptions`).
 * - `maxConnections`: plain HTTP connections at once. At the cap a new connection makes room by closing the
 *   connection that has been idle longest (no request in progress, including never-used ones); when every connection
 *   is busy the new one is closed instead. So a flood of idle sockets cannot lock out `/health` or new WebSockets,
 *   and the process stays within its file-descriptor limit. Upgraded (WebSocket) connections leave this count: the
 *   gateway caps those (WEBSOCKET_MAX_CONNECTIONS).
 */
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** How often Node checks the header and request timeouts: often enough for short timeouts to be exact-ish. */
function checkIntervalMs(limits: HttpLimits): number {
  return Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
}

/** Options for `http.createServer` (the timeout check interval can only be set there). */
export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkIntervalMs(limits),
  };
}

interface Tracked {
  busy: number;
  idleSince: number;
  /** Until the first request: closes a connection that sends no complete headers in time. */
  firstRequest?: NodeJS.Timeout;
}

/** Applies the limits to a server made with serverOptions(); returns the count of plain HTTP connections (status). */
export function applyHttpLimits(server: Server, limits: HttpLimits, log: (line: string) => void): { connections(): number } {
  // headersTimeout must not exceed requestTimeout (Node refuses the combination).
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Insertion order = order of becoming idle (a socket is re-inserted when its last request ends).
  const sockets = new Map<Socket, Tracked>();
  let evicted = 0;
  let refused = 0;
  let lastReport = 0;
  const report = () => {
    const now = Date.now();
    if (now - lastReport < 10_000) return;
    lastReport = now;
    log(`http: at the connection cap (${limits.maxConnections}): ${evicted} idle connection(s) closed to make room, ${refused} new one(s) refused (all busy) so far`);
  };
  server.on('connection', (socket: Socket) => {
    if (sockets.size >= limits.maxConnections) {
      let victim: Socket | undefined;
      for (const [s, t] of sockets) {
        if (t.busy === 0) {
          victim = s;
          break;
        }
      }
      if (victim) {
        clearTimeout(sockets.get(victim)!.firstRequest);
        sockets.delete(victim);
        victim.destroy();
        evicted++;
      } else {
        refused++;
        report();
        socket.destroy();
        return;
      }
      report();
    }
    const firstRequest = setTimeout(() => socket.destroy(), server.headersTimeout);
    firstRequest.unref();
    sockets.set(socket, { busy: 0, idleSince: Date.now(), firstRequest });
    socket.once('close', () => {
      clearTimeout(sockets.get(socket)?.firstRequest);
      sockets.delete(socket);
    });
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    const t = sockets.get(socket);
    if (!t) return;
    clearTimeout(t.firstRequest);
    t.firstRequest = undefined;
    t.busy++;
    res.once('close', () => {
      const now = sockets.get(socket);
      if (!now) return;
      now.busy = Math.max(0, now.busy - 1);
      if (now.busy === 0) {
        now.idleSince = Date.now();
        sockets.delete(socket);
        sockets.set(socket, now);
      }
    });
  });
  // An upgraded socket belongs to the WebSocket gateway from now on.
  server.prependListener('upgrade', (req) => {
    clearTimeout(sockets.get(req.socket)?.firstRequest);
    sockets.delete(req.socket);
  });
  return { connections: () => sockets.size };
}
