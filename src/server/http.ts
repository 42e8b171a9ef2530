import compression from 'compression';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assetPaths } from '../assets.ts';

const generatedDir = assetPaths.generated;

export interface StatusReport {
  enabled: boolean;
  active_connections: number;
  max_connections: number;
  ping_interval: number;
  price_update_interval: number;
  portfolio_update_interval: number;
  stream_health: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface HttpOptions {
  status: () => StatusReport;
  health: () => { ok: boolean; [extra: string]: unknown };
  /**
   * `/ready`: 200 `{ready: true, reasons: []}` when the node should get traffic, else 503 `{ready: false, reasons}`
   * (draining, broker not connected, market source starting / not connected / stale, an edge without a producer).
   */
  ready?: () => { ready: boolean; reasons: string[] };
  /** Request bodies larger than this (by Content-Length) get 413 on every route; default 16 KiB. */
  maxBodyBytes?: number;
  /**
   * Browser safety: a request that changes something (not GET/HEAD/OPTIONS) whose Origin this refuses gets 403
   * (cross-site request forgery from another page open in the user's browser). Absent Origin: not a browser page.
   */
  originAllowed?: (origin: string | undefined, host: string | undefined) => boolean;
  /** `GET /metrics`: the Prometheus text exposition. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /**
   * Told about every finished request (logs and metrics). `route` is the matched route pattern (`/api/backtesting/:id`)
   * or `other`, never the raw path; `path` is the raw path with its query (the logger redacts tokens in it).
   */
  onRequest?: (r: { method: string; path: string; route: string; status: number; ms: number; remote: string | undefined }) => void;
  /** Extra routers (backtesting REST, dashboard page), mounted before the 404 handler. */
  mount?: (app: Express) => void;
}

/**
 * The HTTP side: hosted contract docs (seed 004 paths), the spec as JSON, `/websocket/status` (seed 002) and
 * `/health`. The docs and spec are read once at startup from generated/.
 */
export function createHttpApp(options: HttpOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // gzip/deflate for clients that ask (Accept-Encoding): the docs page is ~3.4 MB, the spec and bars JSON compress
  // well too. WebSocket upgrades never pass through express.
  app.use(compression());
  const maxBody = options.maxBodyBytes ?? 16_384;
  const onRequest = options.onRequest;
  if (onRequest) {
    app.use((req, res, next) => {
      const started = performance.now();
      res.once('finish', () => {
        const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : req.baseUrl || 'other';
        onRequest({ method: req.method, path: req.originalUrl, route, status: res.statusCode, ms: Math.round((performance.now() - started) * 10) / 10, remote: req.socket.remoteAddress });
      });
      next();
    });
  }
  app.use((req, res, next) => {
    // Security headers on every answer (HTML pages: the dashboard and the contract docs). The docs page is one
    // self-contained file with inline script and style, hence 'unsafe-inline'; nothing is loaded from elsewhere.
    // connect-src lists ws:/wss: because older browsers do not match WebSocket URLs with 'self'.
    res.set({
      'Content-Security-Policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBody) return void res.status(413).set('Connection', 'close').json({ error: { code: 'PAYLOAD_TOO_LARGE', message: `request bodies are limited to ${maxBody} bytes` } });
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method) && options.originAllowed && !options.originAllowed(req.headers.origin, req.headers.host)) {
      return void res.status(403).json({ error: { code: 'FORBIDDEN', message: `origin ${req.headers.origin} may not call this API (ALLOWED_ORIGINS)` } });
    }
    next();
  });
  const docsHtml = readFileSync(path.join(generatedDir, 'docs', 'index.html'));
  const specJson = readFileSync(path.join(generatedDir, 'asyncapi.json'));
  // The HTTP API's contract (openapi.yaml, bundled by codegen) and its rendered docs.
  const openapiJson = readFileSync(path.join(generatedDir, 'openapi.json'));
  // The client view of the contract (send/receive swapped, full endpoint URLs), for client generators.
  const clientSpecJson = readFileSync(path.join(generatedDir, 'asyncapi-client.json'));
  const clientDocsHtml = readFileSync(path.join(generatedDir, 'docs', 'client', 'index.html'));
  const httpDocsHtml = readFileSync(path.join(generatedDir, 'docs', 'http.html'));

  // The docs pages' renderer (the AsyncAPI standalone bundle) compiles code at run time: these three pages alone
  // also allow 'unsafe-eval'. They load nothing from elsewhere and hold no data of the user's.
  const allowEval = (res: express.Response) => res.set('Content-Security-Policy', String(res.get('Content-Security-Policy')).replace("script-src 'self' 'unsafe-inline'", "script-src 'self' 'unsafe-inline' 'unsafe-eval'"));
  app.get('/api/v1/ws/asyncapi', (_req, res) => {
    allowEval(res);
    res.type('html').send(docsHtml);
  });
  app.get('/api/v1/ws/asyncapi.json', (_req, res) => {
    res.type('json').send(specJson);
  });
  app.get('/api/v1/ws/asyncapi-client', (_req, res) => {
    allowEval(res);
    res.type('html').send(clientDocsHtml);
  });
  app.get('/api/v1/ws/asyncapi-client.json', (_req, res) => {
    res.type('json').send(clientSpecJson);
  });
  app.get('/openapi.json', (_req, res) => {
    res.type('json').send(openapiJson);
  });
  app.get('/api/docs', (_req, res) => {
    allowEval(res);
    res.type('html').send(httpDocsHtml);
  });
  app.get('/websocket/status', (_req, res) => {
    res.json(options.status());
  });
  // Liveness: the process answers, so 200 whatever the upstreams do (restarting a process because TWS or Redis is
  // down would not help); `status` says degraded then. Whether to send traffic here is `/ready`'s question.
  app.get('/health', (_req, res) => {
    const h = options.health();
    res.status(200).set('Cache-Control', 'no-store').json({ status: h.ok ? 'ok' : 'degraded', ...h });
  });
  app.get('/ready', (_req, res) => {
    const r = options.ready ? options.ready() : { ready: true, reasons: [] };
    res.status(r.ready ? 200 : 503).set('Cache-Control', 'no-store').json({ ready: r.ready, reasons: r.reasons });
  });
  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', async (_req, res, next) => {
      try {
        const { contentType, body } = await metrics();
        res.set('Content-Type', contentType).send(body);
      } catch (err) {
        next(err);
      }
    });
  }
  options.mount?.(app);
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` } });
  });
  // Body parser and handler errors: a coded JSON error, never a stack trace.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    const code = err.type === 'entity.parse.failed' ? 'INVALID_JSON' : status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_ERROR';
    res.status(status).json({ error: { code, message: status < 500 ? err.message : 'internal error' } });
  });
  return app;
}
