/**
 * Backtesting REST (seed 003):
 * - POST /api/backtesting/start[?stream=true|false] with `{name, symbol, timeframes, start_date, end_date,
 *   strategy_ids, initial_capital?, fee_bps?, slippage_bps?, progress_interval?}` → 202
 *   `{backtest_id, streaming, stream_url}`; stream_url = ws://<Host header>/api/ws/stream/backtest/<id>.
 *   400 `{error: {code: 'INVALID_BODY' | 'INVALID_QUERY', message, field}}` names the first bad field;
 *   429 TOO_MANY_BACKTESTS when maxConcurrent runs are queued or running; 503 SHUTTING_DOWN.
 * - GET /api/backtesting/:id → 200 with status, settings, latest progress and metrics, and `result` when completed
 *   (or `error` when failed); 404 UNKNOWN_BACKTEST for an unknown or expired id.
 * Validation and the run lifecycle are the service's (BacktestService in src/backtest/service.ts implements
 * BacktestRuns; src/app.ts passes it in). The router only speaks HTTP, so server/ never imports backtest/.
 */
import express, { Router } from 'express';

/** The outcome of a start request: the new run's id, or an HTTP status with a stable error code. */
export type BacktestStartOutcome =
  | { ok: true; run: { id: string } }
  | { ok: false; status: 400 | 429 | 503; error: { code: string; message: string; field?: string } };

/** What the backtesting routes need from the backtest service (declared here, by its consumer). */
export interface BacktestRuns {
  /** Validates and registers a run; never throws for bad input (errors are values). */
  startRun(body: unknown, options: { streaming: boolean }): BacktestStartOutcome;
  /** The JSON body of GET /api/backtesting/:id; undefined when the id is unknown or has expired. */
  describe(id: string): Record<string, unknown> | undefined;
}

export function createBacktestRouter(service: BacktestRuns): Router {
  const router = Router();
  router.use('/api/backtesting', express.json({ limit: '16kb', strict: false }));

  router.post('/api/backtesting/start', (req, res) => {
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
    const outcome = service.startRun(req.body, { streaming });
    if (!outcome.ok) {
      res.status(outcome.status).json({ error: outcome.error });
      return;
    }
    const id = outcome.run.id;
    // Forwarded by an edge (the producer serves no WebSocket clients): the stream is followed on the edge's host.
    const forwarded = req.headers['x-forwarded-host'];
    const host = (typeof forwarded === 'string' && forwarded) || req.headers.host || 'localhost';
    res.status(202).json({ backtest_id: id, streaming, stream_url: `ws://${host}/api/ws/stream/backtest/${id}` });
  });

  router.get('/api/backtesting/:id', (req, res) => {
    const described = service.describe(req.params.id);
    if (!described) {
      res.status(404).json({ error: { code: 'UNKNOWN_BACKTEST', message: `No backtest with id ${req.params.id} (it never existed or has expired)` } });
      return;
    }
    res.json(described);
  });
  return router;
}
