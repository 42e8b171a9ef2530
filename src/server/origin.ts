/**
 * Browser safety for WebSocket upgrades (cross-site WebSocket hijacking): a browser always sends `Origin` on a
 * WebSocket upgrade, so a request whose Origin is not allowed is refused with HTTP 403 before it becomes a socket.
 * A request without Origin is not from a browser page (CLI, the Python client, a server): it is judged by AUTH alone.
 *
 * Allowed: the gateway's own origin (the Origin's host equals the request's Host header; on a gateway bound to a
 * loopback address only when that host is a loopback name, so a DNS-rebound name cannot pass as "own"), every
 * loopback origin (http(s)://localhost, 127.x.x.x, [::1], any port), and the configured list (`*` = any origin).
 */
import { isLoopbackHost } from '../auth/request.ts';

export interface OriginPolicy {
  allowed(origin: string | undefined, host: string | undefined): boolean;
}

export function originPolicy(options: { allowed?: readonly string[]; loopbackOnly: boolean }): OriginPolicy {
  const list = new Set((options.allowed ?? []).map((o) => o.replace(/\/+$/, '').toLowerCase()));
  const any = list.has('*');
  return {
    allowed(origin, host) {
      if (origin === undefined || any) return true;
      const o = origin.toLowerCase();
      if (list.has(o)) return true;
      let url: URL;
      try {
        url = new URL(o);
      } catch {
        return false; // includes the literal "null" origin (sandboxed frames, file://)
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
      if (isLoopbackHost(url.hostname)) return true;
      if (host !== undefined && url.host === host.toLowerCase()) return !options.loopbackOnly;
      return false;
    },
  };
}
