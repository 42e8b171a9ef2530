/**
 * Backtesting REST (seed 003):
 * - POST /api/backtesting/start[?stream=true|false] with `{name, symbol, timeframes, start_date, end_date,
 *   strategy_ids, initial_capital?, fee_bps?, slippage_bps?, progress_interval?}` → 202
 *   `{backtest_id, streaming, stream_url}`; stream_url = ws://<Host header>/api/ws/stream/backtest/<id>.
 *   400 `{error: {code: 'INVALID_BODY' | 'INVALID_QUERY', message, field}}` names the first bad field;
 *   429 TOO_MANY_BACKTESTS when maxConcurrent runs are queued or running; 503 SHUTTING_DOWN.
 * - GET /api/backtesting/:id → 200 with status, settings, latest progress and metrics, and `result` when completed
 *   (or `error` when failed); 404 UNKNOWN_BACKTEST for an unknown or expired id.
 * Validation and the run lifecycle live in src/backtest/service.ts.
 */
import express, { Router } from 'express';
import type { BacktestService } from '../backtest/service.ts';
import { describeRun } from '../backtest/service.ts';

export function createBacktestRouter(service: Pick<BacktestService, 'startRun' | 'get'>): Router {
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
    const host = req.headers.host ?? 'localhost';
    res.status(202).json({ backtest_id: id, streaming, stream_url: `ws://${host}/api/ws/stream/backtest/${id}` });
  });

  router.get('/api/backtesting/:id', (req, res) => {
    const run = service.get(req.params.id);
    if (!run) {
      res.status(404).json({ error: { code: 'UNKNOWN_BACKTEST', message: `No backtest with id ${req.params.id} (it never existed or has expired)` } });
      return;
    }
    res.json(describeRun(run));
  });
  return router;
}
