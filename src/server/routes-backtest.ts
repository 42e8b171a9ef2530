/**
 * Backtesting REST (seed 003):
 * - POST /api/backtesting/start[?stream=true|false] with `{name, symbol, timeframes, start_date, end_date,
 *   strategy_ids, initial_capital?, fee_bps?, slippage_bps?, progress_interval?}` → 202
 *   `{backtest_id, streaming, stream_url}`; stream_url = ws://<Host header>/api/ws/stream/backtest/<id>.
 *   400 `{error: {code: 'INVALID_BODY' | 'INVALID_QUERY', message, field}}` names the first bad field;
 *   429 TOO_MANY_BACKTESTS when maxConcurrent runs are queued or running, with `Retry-After` (seconds: the service's
 *   estimate, else RETRY_AFTER_S); 503 SHUTTING_DOWN.
 * - GET /api/backtesting/:id → 200 with status, settings, latest progress and metrics, and `result` when completed
 *   (or `error` when failed); 404 UNKNOWN_BACKTEST for an unknown or expired id.
 * - GET /api/backtesting → `{backtests: [...]}`, newest first: the caller's runs.
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
  | { ok: false; status: 400 | 429 | 503; error: { code: string; message: string; field?: string }; retryAfterSeconds?: number };

/** Retry-After of a 429 when the service gives no estimate: most runs end within a few seconds. */
export const RETRY_AFTER_S = 5;

/** What the backtesting routes need from the backtest service (declared here, by its consumer). */
export interface BacktestRuns {
  /** Validates and registers a run; never throws for bad input (errors are values). */
  startRun(body: unknown, options: { streaming: boolean; owner?: string | null }): BacktestStartOutcome;
  /** The JSON body of GET /api/backtesting/:id; undefined when the id is unknown or has expired. */
  describe(id: string): Record<string, unknown> | undefined;
  /** Runs started by `owner` (every run when undefined), newest first. */
  list(owner?: string | null): Record<string, unknown>[];
  ownerOf(id: string): string | null | undefined;
}

/** Who the caller is: a `sub`, anonymous (null), or a refusal to send as is. */
export type HttpIdentity = { ok: true; sub: string | null } | { ok: false; status: 401 | 503; error: { code: string; message: string } };

export interface BacktestAccess {
  /** Verifies the request's token (Authorization: Bearer, or `token` query parameter). */
  identify(req: Request): Promise<HttpIdentity>;
}

export function createBacktestRouter(service: BacktestRuns, access?: BacktestAccess): Router {
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
    const outcome = service.startRun(req.body, { streaming, owner });
    if (!outcome.ok) {
      if (outcome.status === 429) res.set('Retry-After', String(Math.max(1, Math.ceil(outcome.retryAfterSeconds ?? RETRY_AFTER_S))));
      res.status(outcome.status).json({ error: outcome.error });
      return;
    }
    const id = outcome.run.id;
    // Forwarded by an edge (the producer serves no WebSocket clients): the stream is followed on the edge's host.
    const forwarded = req.headers['x-forwarded-host'];
    const host = (typeof forwarded === 'string' && forwarded) || req.headers.host || 'localhost';
    res.status(202).json({ backtest_id: id, streaming, stream_url: `ws://${host}/api/ws/stream/backtest/${id}` });
  });

  router.get('/api/backtesting', async (req, res) => {
    const owner = await caller(req, res);
    if (owner === undefined) return;
    res.json({ backtests: service.list(access ? owner : undefined) });
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
