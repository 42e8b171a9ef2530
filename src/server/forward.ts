import { request } from 'node:http';
import type { Request, Response } from 'express';

/**
 * Forwards an HTTP request to another node (an edge sending backtest requests to the producer) and relays its answer
 * (status, content type, body). No target, or a target that does not answer within `timeoutMs`, gets
 * 503 `{"error":{"code":"UNAVAILABLE"}}` with Retry-After. `headers` adds headers (an edge's X-Forwarded-* as it has
 * validated them: the producer trusts them, so they are never copied from the client's request).
 */
export function forwardTo(target: () => string | undefined, options: { timeoutMs?: number; headers?: (req: Request) => Record<string, string> } = {}) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return (req: Request, res: Response): void => {
    const base = target();
    const unavailable = (why: string) => {
      if (res.headersSent) return void res.destroy();
      res.status(503).set('Retry-After', '2').json({ error: { code: 'UNAVAILABLE', message: `the producer node is unavailable (${why}); retry later` } });
    };
    if (!base) return unavailable('none known');
    const url = new URL(req.originalUrl, base);
    const body = req.body !== undefined && req.method !== 'GET' ? Buffer.from(JSON.stringify(req.body)) : undefined;
    const out = request(url, {
      method: req.method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}), ...options.headers?.(req), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
      timeout: timeoutMs,
    }, (answer) => {
      res.status(answer.statusCode ?? 502);
      const type = answer.headers['content-type'];
      if (type) res.set('content-type', type);
      const retry = answer.headers['retry-after'];
      if (typeof retry === 'string') res.set('retry-after', retry);
      answer.pipe(res);
    });
    out.on('timeout', () => out.destroy(new Error('timed out')));
    out.on('error', (err) => unavailable(err.message));
    out.end(body);
  };
}
