/**
 * TradingView UDF (Universal Data Feed) over HTTP, so the Charting Library's UDF adapter (`Datafeeds.UDFCompatibleDatafeed`)
 * works against Tickwire unchanged, plus `GET /api/v1/bars/history`, the JSON twin of the `bars.history` request
 * (an edge node's `bars.history` asks its producer through it).
 *
 * The adapter's requests and the answers it expects (times in the UDF are epoch SECONDS; Tickwire's bars are ms):
 * - `GET /udf/config` → `{supported_resolutions, supports_search, supports_group_request: false, supports_marks: false,
 *   supports_timescale_marks: false, supports_time: true, exchanges, symbols_types}`
 * - `GET /udf/symbols?symbol=AAPL` → symbol info (`name, ticker, description, type, session, timezone, exchange,
 *   listed_exchange, minmov, pricescale, has_intraday, has_daily, supported_resolutions, volume_precision,
 *   data_status`), or `{s: "error", errmsg}` for an unknown symbol (HTTP 200, as the adapter reads it)
 * - `GET /udf/search?query=AA&type=&exchange=&limit=30` → `[{symbol, full_name, description, exchange, ticker, type}]`
 * - `GET /udf/history?symbol=AAPL&resolution=5&from=<s>&to=<s>[&countback=N]` → `{s: "ok", t, o, h, l, c, v}` (bars
 *   with from <= t < to, the same as `bars.history`), `{s: "no_data", nextTime?}` or `{s: "error", errmsg}`
 * - `GET /udf/time` → the server's clock in seconds, as plain text
 * UDF resolutions `1 5 15 30 60 D` are the contract's (`1D` is accepted for `D`).
 */
import express, { type Router } from 'express';
import type { HistoryProvider, HistoryQuery } from '../market/bar-history.ts';
import type { Resolution } from '../market/source.ts';
import { validateTickerSymbol } from '../../generated/validators.js';
import { ResolutionValues } from '../../generated/client.ts';

export interface UdfSymbolInfo {
  symbol: string;
  /** Simulated 24/7 market or crypto: "24x7"; US stocks: "0930-1600". */
  session: string;
  timezone: string;
  exchange: string;
  type: string;
  description: string;
  /** Price scale: 100 = two decimals. */
  pricescale: number;
}

export interface UdfRouterOptions {
  history: HistoryProvider;
  /** The market's symbols and their descriptions; empty on an edge that knows no producer yet. */
  symbols: () => readonly UdfSymbolInfo[];
  /** Server clock (ms). */
  now?: () => number;
}

const UDF_RESOLUTIONS = [...ResolutionValues];

/** Symbol facts from a symbol name: crypto pairs trade 24/7, everything else follows the simulated or US equity session. */
export function describeSymbol(symbol: string, market: 'simulated' | 'ibkr'): UdfSymbolInfo {
  const crypto = /-USD$/.test(symbol);
  if (market === 'simulated') {
    return { symbol, session: '24x7', timezone: 'Etc/UTC', exchange: 'SIM', type: crypto ? 'crypto' : 'stock', description: `${symbol} (simulated)`, pricescale: 100 };
  }
  return crypto
    ? { symbol, session: '24x7', timezone: 'Etc/UTC', exchange: 'PAXOS', type: 'crypto', description: symbol, pricescale: 100 }
    : { symbol, session: '0930-1600', timezone: 'America/New_York', exchange: 'SMART', type: 'stock', description: symbol, pricescale: 100 };
}

function udfResolution(raw: unknown): Resolution | undefined {
  const r = String(raw ?? '');
  if (r === '1D') return 'D';
  return (ResolutionValues as readonly string[]).includes(r) ? (r as Resolution) : undefined;
}

function seconds(raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 1e11 ? Math.floor(n) : NaN;
}

export function createUdfRouter(options: UdfRouterOptions): Router {
  const { history, symbols } = options;
  const now = options.now ?? Date.now;
  const router = express.Router();
  const info = (s: UdfSymbolInfo) => ({
    name: s.symbol,
    ticker: s.symbol,
    full_name: `${s.exchange}:${s.symbol}`,
    description: s.description,
    type: s.type,
    session: s.session,
    timezone: s.timezone,
    exchange: s.exchange,
    listed_exchange: s.exchange,
    minmov: 1,
    pricescale: s.pricescale,
    has_intraday: true,
    has_daily: true,
    has_weekly_and_monthly: false,
    supported_resolutions: UDF_RESOLUTIONS,
    intraday_multipliers: ['1', '5', '15', '30', '60'],
    volume_precision: 0,
    data_status: 'streaming',
  });
  const find = (name: string) => {
    const plain = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    return symbols().find((s) => s.symbol === plain.toUpperCase());
  };

  router.get('/udf/config', (_req, res) => {
    const list = symbols();
    res.json({
      supported_resolutions: UDF_RESOLUTIONS,
      supports_search: true,
      supports_group_request: false,
      supports_marks: false,
      supports_timescale_marks: false,
      supports_time: true,
      exchanges: [...new Set(list.map((s) => s.exchange))].map((e) => ({ value: e, name: e, desc: e })),
      symbols_types: [...new Set(list.map((s) => s.type))].map((t) => ({ name: t, value: t })),
    });
  });

  router.get('/udf/symbols', (req, res) => {
    const s = find(String(req.query.symbol ?? ''));
    if (!s) return void res.json({ s: 'error', errmsg: `unknown symbol ${String(req.query.symbol ?? '')}` });
    res.json(info(s));
  });

  router.get('/udf/search', (req, res) => {
    const query = String(req.query.query ?? '').toUpperCase();
    const type = String(req.query.type ?? '');
    const exchange = String(req.query.exchange ?? '');
    const limit = Math.min(100, Math.max(1, Number(req.query.limit) || 30));
    const found = symbols()
      .filter((s) => (!query || s.symbol.includes(query) || s.description.toUpperCase().includes(query)) && (!type || s.type === type) && (!exchange || s.exchange === exchange))
      .slice(0, limit)
      .map((s) => ({ symbol: s.symbol, full_name: `${s.exchange}:${s.symbol}`, description: s.description, exchange: s.exchange, ticker: s.symbol, type: s.type }));
    res.json(found);
  });

  router.get('/udf/time', (_req, res) => {
    res.type('text').send(String(Math.floor(now() / 1000)));
  });

  router.get('/udf/history', async (req, res, next) => {
    const symbol = String(req.query.symbol ?? '');
    const resolution = udfResolution(req.query.resolution);
    const from = seconds(req.query.from);
    const to = seconds(req.query.to);
    const countBack = req.query.countback === undefined ? undefined : Number(req.query.countback);
    const error = (errmsg: string) => res.json({ s: 'error', errmsg });
    if (!validateTickerSymbol(symbol)) return void error(`invalid symbol ${JSON.stringify(symbol)}`);
    if (!resolution) return void error(`invalid resolution ${JSON.stringify(req.query.resolution ?? '')} (one of ${UDF_RESOLUTIONS.join(', ')})`);
    if (to === undefined || Number.isNaN(to)) return void error('to (epoch seconds) is required');
    if (Number.isNaN(from)) return void error('from must be epoch seconds');
    if (countBack !== undefined && !Number.isInteger(countBack)) return void error('countback must be an integer');
    try {
      const q: HistoryQuery = { symbol, resolution, to: to * 1000, ...(from !== undefined ? { from: from * 1000 } : {}), ...(countBack !== undefined ? { countBack } : {}) };
      const outcome = await history.query(q);
      if (!outcome.ok) return void error(outcome.message);
      const a = outcome.answer;
      if (a.noData) return void res.json({ s: 'no_data', ...(a.nextTime !== undefined ? { nextTime: Math.floor(a.nextTime / 1000) } : {}) });
      res.json({
        s: 'ok',
        t: a.bars.map((b) => Math.floor(b.time / 1000)),
        o: a.bars.map((b) => b.open),
        h: a.bars.map((b) => b.high),
        l: a.bars.map((b) => b.low),
        c: a.bars.map((b) => b.close),
        v: a.bars.map((b) => b.volume),
      });
    } catch (err) {
      next(err);
    }
  });

  /**
   * `bars.history` over HTTP, same rules and errors (ms times): `?symbol&resolution&from&to&countBack` → 200
   * `{symbol, resolution, bars, noData, nextTime?, truncated?}` or 400/404/503 `{error: {code, message, field?}}`.
   */
  router.get('/api/v1/bars/history', async (req, res, next) => {
    const symbol = String(req.query.symbol ?? '');
    const resolution = udfResolution(req.query.resolution ?? '1');
    const num = (v: unknown) => (v === undefined ? undefined : Number(v));
    const from = num(req.query.from);
    const to = num(req.query.to);
    const countBack = num(req.query.countBack);
    const bad = (field: string, message: string) => res.status(400).json({ error: { code: 'INVALID_MESSAGE', message, field: `/payload/${field}` } });
    if (!validateTickerSymbol(symbol)) return void bad('symbol', `invalid symbol ${JSON.stringify(symbol)}`);
    if (!resolution) return void bad('resolution', 'resolution must be one of 1, 5, 15, 30, 60, D');
    for (const [k, v] of [['from', from], ['to', to]] as const) if (v !== undefined && !(Number.isInteger(v) && v >= 0)) return void bad(k, `${k} must be epoch milliseconds`);
    if (to === undefined) return void bad('to', 'to (epoch milliseconds) is required');
    if (countBack !== undefined && !Number.isInteger(countBack)) return void bad('countBack', 'countBack must be an integer');
    try {
      const outcome = await history.query({ symbol, resolution, to, ...(from !== undefined ? { from } : {}), ...(countBack !== undefined ? { countBack } : {}) });
      if (!outcome.ok) {
        const status = outcome.code === 'INVALID_MESSAGE' ? 400 : outcome.code === 'UNKNOWN_SYMBOL' ? 404 : 503;
        return void res.status(status).json({ error: { code: outcome.code, message: outcome.message, ...(outcome.field ? { field: outcome.field } : {}) } });
      }
      res.json({ symbol, resolution, ...outcome.answer });
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/**
 * An edge's HistoryProvider: asks the producer's `/api/v1/bars/history` (with the caller's token when there is one).
 * No producer known, or no answer: HISTORY_UNAVAILABLE (retry later).
 */
export function remoteHistory(producerHttp: () => string | undefined, timeoutMs = 10_000): HistoryProvider {
  return {
    async query(q, opts) {
      const base = producerHttp();
      if (!base) return { ok: false, code: 'HISTORY_UNAVAILABLE', message: 'no producer node is known yet; retry later' };
      const url = new URL('/api/v1/bars/history', base);
      for (const [k, v] of Object.entries(q)) if (v !== undefined) url.searchParams.set(k, String(v));
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: opts?.token ? { authorization: `Bearer ${opts.token}` } : {} });
        const body = (await res.json()) as any;
        if (res.status === 200) return { ok: true, answer: { bars: body.bars, noData: body.noData, ...(body.nextTime !== undefined ? { nextTime: body.nextTime } : {}), ...(body.truncated ? { truncated: true } : {}) } };
        const e = body?.error ?? {};
        const code = ['INVALID_MESSAGE', 'UNKNOWN_SYMBOL', 'HISTORY_UNAVAILABLE'].includes(e.code) ? e.code : 'HISTORY_UNAVAILABLE';
        return { ok: false, code, message: String(e.message ?? `producer answered ${res.status}`), ...(e.field ? { field: e.field } : {}) };
      } catch (err) {
        return { ok: false, code: 'HISTORY_UNAVAILABLE', message: `the producer did not answer (${(err as Error).message}); retry later` };
      }
    },
  };
}
