import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The client's address for per-address limits: the socket's remote address, or with `trustProxy` the first
 * (client-most) X-Forwarded-For entry when it is an IP address. Without TRUST_PROXY the header is ignored: anyone
 * could send it to dodge a limit.
 */
export function clientIpResolver(trustProxy: boolean): (req: IncomingMessage) => string {
  return (req) => {
    if (trustProxy) {
      const header = req.headers['x-forwarded-for'];
      const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
      if (first && isIP(first)) return first;
    }
    const remote = req.socket.remoteAddress ?? 'unknown';
    return remote.startsWith('::ffff:') ? remote.slice(7) : remote;
  };
}
