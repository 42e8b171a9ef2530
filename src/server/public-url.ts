/**
 * The base URL a client should use to reach this gateway, for links the server hands out (a backtest's
 * `stream_url`). Never an arbitrary request header (`Host: evil.example` must not become a link):
 * 1. the configured public URL (TICKWIRE_PUBLIC_URL), when set;
 * 2. with `trustProxy` (TRUST_PROXY=true, or a producer behind its edges): X-Forwarded-Proto / X-Forwarded-Host, each
 *    checked to be a plain scheme and host[:port];
 * 3. the Host header when it names this server: a loopback name or the address the request arrived on, or a host of
 *    ALLOWED_ORIGINS / the public URL;
 * 4. otherwise the address the request arrived on.
 * `secure` (https/wss) comes from the public URL, the forwarded proto, or the connection itself (TLS).
 */
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../auth/request.ts';

export interface PublicUrlOptions {
  publicUrl?: string;
  trustProxy: boolean;
  /** Origins (https://app.example.com) whose hosts are accepted in Host. */
  knownOrigins?: readonly string[];
}

export interface PublicBase {
  /** host[:port] as a client should use it */
  host: string;
  secure: boolean;
}

/** host or host:port, host a DNS name, IPv4 or [IPv6]; nothing else (no userinfo, path, spaces or commas). */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function isPlainHost(value: string): boolean {
  return value.length <= 260 && HOST.test(value);
}

function hostnameOf(host: string): string {
  return host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
}

function first(header: string | string[] | undefined): string | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  return v?.split(',')[0]?.trim() || undefined;
}

export function publicBaseResolver(options: PublicUrlOptions): (req: IncomingMessage) => PublicBase {
  let configured: PublicBase | undefined;
  if (options.publicUrl) {
    const u = new URL(options.publicUrl);
    configured = { host: u.host, secure: u.protocol === 'https:' || u.protocol === 'wss:' };
  }
  const known = new Set<string>();
  for (const o of options.knownOrigins ?? []) {
    try {
      known.add(new URL(o).host.toLowerCase());
    } catch {
      // '*' or a malformed entry names no host
    }
  }
  if (configured) known.add(configured.host.toLowerCase());
  return (req) => {
    if (configured) return configured;
    const tls = Boolean((req.socket as { encrypted?: boolean }).encrypted);
    if (options.trustProxy) {
      const fHost = first(req.headers['x-forwarded-host']);
      const fProto = first(req.headers['x-forwarded-proto'])?.toLowerCase();
      const secure = fProto === 'https' || fProto === 'wss' ? true : fProto === 'http' || fProto === 'ws' ? false : tls;
      if (fHost && isPlainHost(fHost)) return { host: fHost, secure };
      if (fProto) return { host: ownHost(req), secure };
    }
    return { host: ownHost(req), secure: tls };
  };

  function ownHost(req: IncomingMessage): string {
    const local = req.socket.localAddress ?? '127.0.0.1';
    const port = req.socket.localPort;
    const address = local.startsWith('::ffff:') ? local.slice(7) : local;
    const self = `${address.includes(':') ? `[${address}]` : address}${port ? `:${port}` : ''}`;
    const host = req.headers.host;
    if (host && isPlainHost(host)) {
      const name = hostnameOf(host).toLowerCase();
      if (isLoopbackHost(name) || name === address.toLowerCase() || known.has(host.toLowerCase())) return host;
    }
    return self;
  }
}

/** `ws://host` or `wss://host` for a base. */
export function wsBase(base: PublicBase): string {
  return `${base.secure ? 'wss' : 'ws'}://${base.host}`;
}
