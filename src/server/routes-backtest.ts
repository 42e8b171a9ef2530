/**
 * Backtesting REST (seed 003):
 * - POST /api/backtesting/start[?stream=true|false] with `{name, symbol, timeframes, start_date, end_date,
 *   strategy_ids, initial_capital?, fee_bps?, slippage_bps?, progress_interval?}` → 202
 *   `{backtest_id, streaming, stream_url}`; stream_url = ws(s)://<public base>/api/ws/stream/backtest/<id> (see
 *   public-url.ts: never an arbitrary Host header). 400 `{error: {code: 'INVALID_BODY' | 'INVALID_QUERY', message,
 *   field}}` names the first bad field; 429 TOO_MANY_BACKTESTS (with Retry-After) when maxConcurrent runs are queued or running, 429
 *   RATE_LIMITED past the caller's starts per minute; 503 SHUTTING_DOWN.
 * - GET /api/backtesting/:id → 200 with status, settings, latest progress and metrics, and a summary `result` when
 *   completed (or `error` when failed); 404 UNKNOWN_BACKTEST for an unknown or expired id.
 * - GET /api/backtesting?limit=&cursor= → `{runs: [<run summary>], next_cursor}`: the caller's runs, newest first,
 *   limit 1..100 (default 20).
 * - POST /api/backtesting/:id/cancel → 200 `<run summary>` (status cancelled); 404 NOT_FOUND; 409 BACKTEST_NOT_RUNNING.
 * - GET /api/backtesting/:id/trades?limit=&cursor= → `{trades: [...], next_cursor}`, limit 1..5000 (default 1000).
 * Identity (AUTH=jwt, `access` given): every route needs `Authorization: Bearer <jwt>` (401 UNAUTHORIZED without,
 * INVALID_TOKEN / TOKEN_EXPIRED for a bad one); a run belongs to the token's `sub` that started it, and another
 * user's run answers 404 like an unknown one (its existence is not revealed) and is not listed.
 * Validation and the run lifecycle are the service's (BacktestService in src/backtest/service.ts implements
 * BacktestRuns; src/app.ts passes it in). The router only speaks HTTP, so server/ never imports backtest/.
 */
import express, { Router, type Request, type Response } from 'express';

/** The outcome of a start request: the new run's id, or an HTTP status with a stable error code. */
export type BacktestStartOutcome =
  | { ok: true; run: { id: string } }
  | { ok: false; status: 400 | 429 | 503; error: { code: string; message: string; field?: string }; retryAfterSec?: number };

/** A page of a list and the cursor of the next one (null on the last page); undefined for an unreadable cursor. */
export interface BacktestPage {
  items: Record<string, unknown>[];
  next: string | null;
}

/** Retry-After of a 429 when the service gives no estimate: most runs end within a few seconds. */
export const RETRY_AFTER_S = 5;

/** What the backtesting routes need from the backtest service (declared here, by its consumer). */
export interface BacktestRuns {
  /** Validates and registers a run; never throws for bad input (errors are values). */
  startRun(body: unknown, options: { streaming: boolean; owner?: string | null; caller?: string }): BacktestStartOutcome;
  /** The JSON body of GET /api/backtesting/:id; undefined when the id is unknown or has expired. */
  describe(id: string): Record<string, unknown> | undefined;
  /** Summaries of the runs started by `owner` (every run when undefined), newest first; undefined for a bad cursor. */
  list(owner: string | null | undefined, page: { limit: number; cursor?: string }): BacktestPage | undefined;
  /** Cancels a queued or running run of `owner` (any run when undefined). */
  cancel(id: string, owner?: string | null):
    | { ok: true; summary: Record<string, unknown> }
    | { ok: false; status: 404 | 409; error: { code: string; message: string } };
  /** A page of a run's trades from `offset`; undefined for an unknown run. */
  trades(id: string, offset: number, limit: number): BacktestPage | undefined;
  ownerOf(id: string): string | null | undefined;
}

/** Trades cursors are the service's (an offset, opaque to clients). */
export interface BacktestCursors {
  decodeOffset(cursor: string): number | undefined;
}

/** Who the caller is: a `sub`, anonymous (null), or a refusal to send as is. */
export type HttpIdentity = { ok: true; sub: string | null } | { ok: false; status: 401 | 503; error: { code: string; message: string } };

export interface BacktestAccess {
  /** Verifies the request's token (Authorization: Bearer, or `token` query parameter). */
  identify(req: Request): Promise<HttpIdentity>;
}

export interface BacktestRouterOptions {
  access?: BacktestAccess;
  cursors: BacktestCursors;
  /** ws(s)://host a client reaches this gateway's WebSockets at, for this request (see public-url.ts). */
  wsBase: (req: Request) => string;
  /** The caller's address, for per-IP limits when there is no identity (see client-ip.ts). */
  clientIp: (req: Request) => string;
}

/** An integer query parameter from `min` to `max`, `fallback` when absent; a string error naming it otherwise. */
function intParam(req: Request, name: string, fallback: number, min: number, max: number): number | string {
  const v = req.query[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) return `${name} must be an integer from ${min} to ${max}`;
  return Number(v);
}

function cursorParam(req: Request): string | undefined | null {
  const v = req.query.cursor;
  if (v === undefined || v === '') return undefined;
  return typeof v === 'string' ? v : null;
}

export function createBacktestRouter(service: BacktestRuns, options: BacktestRouterOptions): Router {
  const { access } = options;
  const router = Router();
  router.use('/api/backtesting', express.json({ limit: '16kb', strict: false }));
  /** The caller's sub (AUTH=jwt) or null (no access control); undefined when the response was already sent. */
  const caller = async (req: Request, res: Response): Promise<string | null | undefined> => {
    if (!access) return null;
    const who = await access.identify(req);
    if (!who.ok) {
      res.status(who.status).json({ error: who.error });
      return undefined;
    }
    if (who.sub === null) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: { code: 'UNAUTHORIZED', message: 'a token is required: Authorization: Bearer <jwt>' } });
      return undefined;
    }
    return who.sub;
  };
  const unknown = (res: Response, id: string) =>
    res.status(404).json({ error: { code: 'UNKNOWN_BACKTEST', message: `No backtest with id ${id} (it never existed or has expired)` } });

  router.post('/api/backtesting/start', async (req, res) => {
    const owner = await caller(req, res);
    if (owner === undefined) return;
    const flag = req.query.stream;
    let streaming = true;
    if (flag !== undefined) {
      if (flag === 'true' || flag === '1') streaming = true;
      else if (flag === 'false' || flag === '0') streaming = false;
      else {
        res.status(400).json({ error: { code: 'INVALID_QUERY', message: 'stream must be true or false', field: 'stream' } });
        return;
      }
    }
    // Starts are counted per user with AUTH=jwt, per client address otherwise.
    const outcome = service.startRun(req.body, { streaming, owner, caller: owner !== null ? `user:${owner}` : `ip:${options.clientIp(req)}` });
    if (!outcome.ok) {
      if (outcome.status === 429) res.set('Retry-After', String(Math.max(1, Math.ceil(outcome.retryAfterSec ?? RETRY_AFTER_S))));
      res.status(outcome.status).json({ error: outcome.error });
      return;
    }
    const id = outcome.run.id;
    res.status(202).json({ backtest_id: id, streaming, stream_url: `${options.wsBase(req)}/api/ws/stream/backtest/${id}` });
  });

  const badQuery = (res: Response, field: string, message: string) => res.status(400).json({ error: { code: 'INVALID_QUERY', message, field } });

  router.get('/api/backtesting', async (req, res) => {
    const owner = await caller(req, res);
    if (owner === undefined) return;
    const limit = intParam(req, 'limit', 20, 1, 100);
    if (typeof limit === 'string') return void badQuery(res, 'limit', limit);
    const cursor = cursorParam(req);
    if (cursor === null) return void badQuery(res, 'cursor', 'cursor must be a next_cursor from a previous page');
    const page = service.list(access ? owner : undefined, { limit, cursor });
    if (!page) return void badQuery(res, 'cursor', 'cursor must be a next_cursor from a previous page');
    res.json({ runs: page.items, next_cursor: page.next });
  });

  router.post('/api/backtesting/:id/cancel', async (req, res) => {
    const owner = await caller(req, res);
    if (owner === undefined) return;
    const out = service.cancel(req.params.id!, access ? owner : undefined);
    if (!out.ok) return void res.status(out.status).json({ error: out.error });
    res.json(out.summary);
  });

  router.get('/api/backtesting/:id/trades', async (req, res) => {
    const owner = await caller(req, res);
    if (owner === undefined) return;
    const id = req.params.id!;
    if (access && service.ownerOf(id) !== owner) return void unknown(res, id);
    const limit = intParam(req, 'limit', 1000, 1, 5000);
    if (typeof limit === 'string') return void badQuery(res, 'limit', limit);
    const cursor = cursorParam(req);
    const offset = cursor === undefined ? 0 : cursor === null ? undefined : options.cursors.decodeOffset(cursor);
    if (offset === undefined) return void badQuery(res, 'cursor', 'cursor must be a next_cursor from a previous page');
    const page = service.trades(id, offset, limit);
    if (!page) return void unknown(res, id);
    res.json({ trades: page.items, next_cursor: page.next });
  });

  router.get('/api/backtesting/:id', async (req, res) => {
    const owner = await caller(req, res);
    if (owner === undefined) return;
    const id = req.params.id;
    const described = service.describe(id);
    if (!described || (access && service.ownerOf(id) !== owner)) return void unknown(res, id);
    res.json(described);
  });
  return router;
}
