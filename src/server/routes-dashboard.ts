/**
 * The dashboard page: `/` serves the page built by `npm run build:dashboard` (scripts/build-dashboard.ts, run by
 * `prestart`), `/dashboard/*` its assets (one esbuild bundle holding the client library and lightweight-charts:
 * nothing comes from a CDN), and `/dashboard/api/bars` a small backfill of recent bars for the chart.
 * Files are read from disk per request (express.static); nothing is compiled while serving.
 */
import express, { type Router } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { assetPaths } from '../assets.ts';
import { ResolutionValues } from '../../generated/client.ts';
import type { Resolution } from '../../generated/types.ts';
import { validateTickerSymbol } from '../../generated/validators.js';
import type { MarketSource } from '../market/source.ts';

/** Where scripts/build-dashboard.ts writes the page (dist/dashboard; `<out>/dashboard` in the compiled build). */
export const dashboardDir = assetPaths.dashboard;

export interface DashboardRouterOptions {
  /** The market for the bars backfill; absent on an edge node (which forwards that route to the producer). */
  source: MarketSource | undefined;
  /** The market clock: "recent" bars end at its now when no bar is forming; default Date.now. */
  now?: () => number;
  /** Built page folder; default dist/dashboard. */
  dir?: string;
}

const MAX_BARS = 500;
const MAX_RANGE_BARS = 5000;

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
  // Browsers ask for /favicon.ico whatever the page links; answer with the page's SVG icon instead of a 404.
  router.get('/favicon.ico', (_req, res) => {
    const icon = path.join(dir, 'favicon.svg');
    if (!existsSync(icon)) return void res.status(404).end();
    res.type('image/svg+xml').sendFile(icon, { headers: { 'Cache-Control': 'public, max-age=86400' } });
  });
  // The backtest page (src/dashboard/backtest.html): start a run, watch it, compare finished runs.
  router.get('/backtest', (_req, res) => {
    const page = path.join(dir, 'backtest.html');
    if (!existsSync(page)) return notBuilt(res);
    res.sendFile(page, { headers: { 'Cache-Control': 'no-cache' } });
  });

  /**
   * Recent bars, oldest first: `?symbol=AAPL&resolution=1&count=300` → `{symbol, resolution, bars}`.
   * A range instead (the backtest page's price chart): `&from=<ms>&to=<ms>[&calendar=exchange|always]` → the bars with
   * from <= time < to under that calendar (default the market's), at most MAX_RANGE_BARS (the latest ones).
   */
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
    if (req.query.from !== undefined || req.query.to !== undefined) {
      const from = Number(req.query.from);
      const to = Number(req.query.to);
      const calendar = req.query.calendar;
      if (!Number.isFinite(from) || !Number.isFinite(to) || !(from < to) || (calendar !== undefined && calendar !== 'exchange' && calendar !== 'always')) {
        res.status(400).json({ error: { code: 'BAD_REQUEST', message: 'from and to are epoch ms with from < to; calendar is exchange or always' } });
        return;
      }
      try {
        const bars = await source.history(symbol, resolution, from, to, calendar ? { calendar } : {});
        res.json({ symbol, resolution, bars: bars.slice(-MAX_RANGE_BARS), truncated: bars.length > MAX_RANGE_BARS });
      } catch (err) {
        next(err);
      }
      return;
    }
    try {
      const current = source.currentBar(symbol, resolution);
      const to = current?.time ?? (options.now ?? Date.now)();
      const span = resolution === 'D' ? 86_400_000 * 1.6 : Number(resolution) * 60_000;
      let bars = await source.history(symbol, resolution, to - span * count, to);
      // A market with sessions (MARKET_CALENDAR=exchange at night or on a weekend) has fewer bars in that window:
      // look further back (up to 256 times the window), so the chart opens on the last sessions instead of empty.
      // Only the simulated market: each widening would be another paced request to a real source.
      for (let wider = 4; source.name === 'simulated' && bars.length < count && wider <= 256; wider *= 4) {
        bars = await source.history(symbol, resolution, to - span * count * wider, to);
      }
      res.json({ symbol, resolution, bars: bars.slice(-count) });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
