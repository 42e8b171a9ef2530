/**
 * The dashboard page: `/` serves the page built by `npm run build:dashboard` (scripts/build-dashboard.ts, run by
 * `prestart`), `/dashboard/*` its assets (one esbuild bundle holding the client library and lightweight-charts:
 * nothing comes from a CDN), and `/dashboard/api/bars` a small backfill of recent bars for the chart.
 * Files are read from disk per request (express.static); nothing is compiled while serving.
 */
import express, { type Router } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResolutionValues } from '../../generated/client.ts';
import type { Resolution } from '../../generated/types.ts';
import { validateTickerSymbol } from '../../generated/validators.js';
import type { MarketSource } from '../market/source.ts';

/** Where scripts/build-dashboard.ts writes the page. */
export const dashboardDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'dashboard');

export interface DashboardRouterOptions {
  /** The market for the bars backfill; absent on an edge node (which forwards that route to the producer). */
  source: MarketSource | undefined;
  /** Built page folder; default dist/dashboard. */
  dir?: string;
}

const MAX_BARS = 500;

export function createDashboardRouter(options: DashboardRouterOptions): Router {
  const dir = options.dir ?? dashboardDir;
  const router = express.Router();
  const notBuilt = (res: express.Response) =>
    res.status(503).type('text').send('dashboard not built: run `npm run build:dashboard` (npm start does it first)\n');

  router.get('/', (_req, res) => {
    const index = path.join(dir, 'index.html');
    if (!existsSync(index)) return notBuilt(res);
    res.sendFile(index, { headers: { 'Cache-Control': 'no-cache' } });
  });
  // Source maps (full sources) are never served, whatever the build left in the folder.
  router.use('/dashboard', (req, res, next) => (req.path.endsWith('.map') ? void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'source maps are not served' } }) : next()));
  router.use('/dashboard', express.static(dir, { index: false, fallthrough: true, maxAge: 0 }));

  /** Recent bars, oldest first: `?symbol=AAPL&resolution=1&count=300` → `{symbol, resolution, bars}`. */
  const source = options.source;
  if (source) router.get('/dashboard/api/bars', async (req, res, next) => {
    const symbol = String(req.query.symbol ?? '');
    const resolution = String(req.query.resolution ?? '1') as Resolution;
    const count = Math.min(MAX_BARS, Math.max(1, Number(req.query.count ?? 300) || 300));
    if (!validateTickerSymbol(symbol) || !ResolutionValues.includes(resolution)) {
      res.status(400).json({ error: { code: 'BAD_REQUEST', message: 'symbol (TickerSymbol) and resolution (1, 5, 15, 30, 60, D) required' } });
      return;
    }
    if (!source.hasSymbol(symbol)) {
      res.status(404).json({ error: { code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${symbol}` } });
      return;
    }
    try {
      const current = source.currentBar(symbol, resolution);
      const to = current?.time ?? Date.now();
      const span = resolution === 'D' ? 86_400_000 * 1.6 : Number(resolution) * 60_000;
      const bars = await source.history(symbol, resolution, to - span * count, to);
      res.json({ symbol, resolution, bars: bars.slice(-count) });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
