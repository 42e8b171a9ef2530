/**
 * Where a client's token comes from on an HTTP or upgrade request, and how tokens are kept out of logs.
 * Browsers cannot set headers on a WebSocket, so the `token` query parameter is accepted beside
 * `Authorization: Bearer <jwt>` (the header wins when both are present).
 */
import type { IncomingHttpHeaders } from 'node:http';

export function tokenFromRequest(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) return m[1];
  }
  const q = query.get('token');
  return q ? q : undefined;
}

/** Every `token=…` (query strings, form bodies) and `Bearer …` in a log line, replaced by `[redacted]`. */
export function redactTokens(line: string): string {
  return line
    .replace(/([?&;\s"']|^)(token|access_token)=[^&\s"';]*/gi, '$1$2=[redacted]')
    .replace(/\b(Bearer)\s+[A-Za-z0-9\-_.~+/]+=*/gi, '$1 [redacted]')
    .replace(/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted-jwt]');
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost');
}
