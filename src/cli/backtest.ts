/**
 * `tickwire-cli backtest start|get|list|cancel`: the backtest REST routes and stream, for a terminal.
 *
 * - start: checks every argument first and reports all that are wrong at once (exit 2), POSTs the run, follows its
 *   stream with a progress bar, then prints a summary (metrics, buy-and-hold benchmark, an equity sparkline); the
 *   trades only with --trades; --csv PREFIX writes PREFIX.trades.csv and PREFIX.equity.csv.
 * - get ID: the run's status, settings and summary (the same flags).
 * - list: the caller's runs, newest first (GET /api/backtesting?limit=&cursor=); prints the next cursor when there is
 *   more.
 * - cancel ID: POST /api/backtesting/{id}/cancel.
 * Trades of a finished run come from GET /api/backtesting/{id}/trades (paged) and, where that route does not exist,
 * from the run's `result.trades`.
 */
import { validateTickerSymbol } from '../../generated/validators.js';
import { connect } from '../client/node.ts';
import { call, EXIT, Failure, num, painter, pct, Refused, request, signed, signedPct, tone, UsageError, type Io, type Paint } from './common.ts';

export interface BacktestFlags {
  url: string;
  token?: string;
  json: boolean;
  trades: boolean;
  csv?: string;
}

export interface StartFlags extends BacktestFlags {
  symbol?: string;
  from?: string;
  to?: string;
  strategies: string;
  timeframe: string;
  name?: string;
  capital?: string;
  feeBps?: string;
  slippageBps?: string;
  calendar?: string;
}

interface Trade {
  action: 'entry' | 'exit';
  side: 'BUY' | 'SELL';
  symbol: string;
  price: number;
  quantity: number;
  time: number;
  pnl?: number;
  fee?: number;
  reason?: string;
  strategy_id?: string;
}
interface EquityPoint {
  time: number;
  equity: number;
  drawdown: number;
  benchmark?: number;
}
interface Metrics {
  total_return: number;
  max_drawdown: number;
  sharpe_ratio: number;
  win_rate: number;
  num_trades: number;
  profit_factor: number | null;
  final_equity: number;
  buy_and_hold_return?: number;
  excess_return?: number;
  total_fees?: number;
}

const ID = /^bt_\d{8}_\d{6}_[0-9a-f]{6}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** What is wrong with a --symbol value, or undefined. */
export function symbolProblem(value: string): string | undefined {
  const symbol: string = value;
  if (validateTickerSymbol(value)) return undefined;
  if (validateTickerSymbol(symbol.toUpperCase())) return `symbol '${symbol}' must be upper case: ${symbol.toUpperCase()}`;
  return `symbol '${symbol}' is not a ticker: 1-10 letters or digits, optionally .X or -X (AAPL, BRK.B, BTC-USD)`;
}

function dateValue(flag: string, value: string, problems: string[]): number | undefined {
  const ok = DATE.test(value) || DATE_TIME.test(value);
  const t = ok ? Date.parse(DATE.test(value) ? `${value}T00:00:00Z` : value) : NaN;
  const real = Number.isFinite(t) && (!DATE.test(value) || new Date(t).toISOString().startsWith(value));
  if (!real) {
    problems.push(`${flag} '${value}' is not a date: use YYYY-MM-DD (e.g. 2024-01-02) or an ISO time with Z`);
    return undefined;
  }
  return t;
}

function numberValue(flag: string, value: string | undefined, min: number, max: number, problems: string[], exclusiveMin = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (exclusiveMin ? n <= min : n < min) || n > max) {
    problems.push(`${flag} '${value}' must be a number ${exclusiveMin ? `above ${min}` : `from ${min}`} to ${max}`);
    return undefined;
  }
  return n;
}

/** The start body from the flags, or every problem with them (UsageError, exit 2). */
export function startBody(f: StartFlags): Record<string, unknown> {
  const problems: string[] = [];
  const missing = (['symbol', 'from', 'to'] as const).filter((k) => !f[k]);
  if (missing.length) problems.push(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  if (f.symbol) {
    const p = symbolProblem(f.symbol);
    if (p) problems.push(p);
  }
  const from = f.from ? dateValue('--from', f.from, problems) : undefined;
  const to = f.to ? dateValue('--to', f.to, problems) : undefined;
  if (from !== undefined && to !== undefined && to < from) problems.push(`--to ${f.to} is before --from ${f.from}`);
  const capital = numberValue('--capital', f.capital, 0, 1e12, problems, true);
  const fee = numberValue('--fee-bps', f.feeBps, 0, 1000, problems);
  const slippage = numberValue('--slippage-bps', f.slippageBps, 0, 1000, problems);
  if (f.calendar !== undefined && f.calendar !== 'exchange' && f.calendar !== 'always') {
    problems.push(`--calendar '${f.calendar}' must be exchange (stocks in NYSE sessions, crypto 24/7) or always (24/7)`);
  }
  const timeframes = f.timeframe.split(',').map((s) => s.trim()).filter(Boolean);
  if (!timeframes.length) problems.push('--timeframe needs at least one of 1, 5, 15, 30, 60, D');
  const strategies = f.strategies.split(',').map((s) => s.trim()).filter(Boolean);
  if (!strategies.length) problems.push('--strategies needs at least one strategy id (ma_crossover, rsi)');
  if (problems.length) throw new UsageError(problems.map((p) => `backtest start: ${p}`));
  return {
    name: f.name ?? `tickwire-cli ${f.symbol} ${f.from}..${f.to}`,
    symbol: f.symbol,
    timeframes,
    start_date: f.from,
    end_date: f.to,
    strategy_ids: strategies,
    ...(capital !== undefined ? { initial_capital: capital } : {}),
    ...(fee !== undefined ? { fee_bps: fee } : {}),
    ...(slippage !== undefined ? { slippage_bps: slippage } : {}),
    ...(f.calendar !== undefined ? { calendar: f.calendar } : {}),
  };
}

export function checkId(id: string | undefined, cmd: string): string {
  if (!id) throw new UsageError(`backtest ${cmd}: name the run, e.g. backtest ${cmd} bt_20240211_143022_a1b2c3`);
  if (!ID.test(id)) throw new UsageError(`backtest ${cmd}: '${id}' is not a backtest id like bt_20240211_143022_a1b2c3`);
  return id;
}

// ------------------------------------------------------------------------------------------ output

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A one-line chart of `values`: `width` cells (the last value of each slice), scaled from min to max. */
export function sparkline(values: readonly number[], width = 60): string {
  if (!values.length) return '';
  const cells = Math.min(width, values.length);
  const picked = Array.from({ length: cells }, (_, i) => values[Math.min(values.length - 1, Math.floor(((i + 1) * values.length) / cells) - 1)]!);
  const min = Math.min(...picked);
  const max = Math.max(...picked);
  return picked.map((v) => BLOCKS[max === min ? 3 : Math.round(((v - min) / (max - min)) * (BLOCKS.length - 1))]).join('');
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const iso = (t: number) => new Date(t).toISOString();

export function tradesCsv(trades: readonly Trade[]): string {
  const head = ['time', 'time_ms', 'action', 'side', 'symbol', 'price', 'quantity', 'fee', 'pnl', 'strategy_id', 'reason'];
  const rows = trades.map((t) => [iso(t.time), t.time, t.action, t.side, t.symbol, t.price, t.quantity, t.fee, t.pnl, t.strategy_id, t.reason].map(csvCell).join(','));
  return [head.join(','), ...rows].join('\n') + '\n';
}

export function equityCsv(points: readonly EquityPoint[]): string {
  const rows = points.map((e) => [iso(e.time), e.time, e.equity, e.drawdown, e.benchmark].map(csvCell).join(','));
  return [['time', 'time_ms', 'equity', 'drawdown', 'benchmark'].join(','), ...rows].join('\n') + '\n';
}

function tradeLine(t: Trade, p: Paint): string {
  return `${p('dim', iso(t.time).slice(0, 16).replace('T', ' '))} ${t.action.padEnd(5)} ${t.side === 'BUY' ? p('green', 'BUY ') : p('red', 'SELL')} ${+t.quantity.toFixed(4)} ${t.symbol} @ ${num(t.price)}${t.fee !== undefined ? p('dim', `  fee ${num(t.fee)}`) : ''}${t.pnl !== undefined ? `  pnl ${tone(p, t.pnl, signed(t.pnl))}` : ''}`;
}

/** The summary block of a finished (or running) run. */
function printSummary(io: Io, p: Paint, m: Metrics, equity: readonly EquityPoint[], trades: readonly Trade[] | undefined, listTrades: boolean): void {
  const row = (k: string, v: string) => io.out(`  ${k.padEnd(15)} ${v}`);
  const bh = m.buy_and_hold_return;
  row('total return', `${tone(p, m.total_return, signedPct(m.total_return))}${bh !== undefined ? `   buy & hold ${tone(p, bh, signedPct(bh))}   excess ${tone(p, m.excess_return ?? m.total_return - bh, signedPct(m.excess_return ?? m.total_return - bh))}` : ''}`);
  row('max drawdown', pct(m.max_drawdown));
  row('sharpe', m.sharpe_ratio.toFixed(2));
  row('win rate', `${pct(m.win_rate)}  (${m.num_trades} round trips)`);
  row('profit factor', m.profit_factor === null ? '∞ (no losing trade)' : m.profit_factor.toFixed(2));
  if (m.total_fees !== undefined) row('fees', num(m.total_fees));
  row('final equity', num(m.final_equity));
  if (equity.length > 1) {
    const values = equity.map((e) => e.equity);
    row('equity', `${sparkline(values)}  ${num(Math.min(...values), 0)} .. ${num(Math.max(...values), 0)}`);
  }
  if (trades === undefined) return;
  if (listTrades) {
    io.out(`  trades (${trades.length})`);
    for (const t of trades) io.out(`    ${tradeLine(t, p)}`);
  } else {
    row('trades', `${trades.length} fills${trades.length ? ' (--trades lists them)' : ''}`);
  }
}

function writeCsv(io: Io, prefix: string, trades: readonly Trade[], equity: readonly EquityPoint[]): void {
  const write = io.writeFile;
  if (!write) throw new Failure('--csv: no file system');
  const files = [`${prefix}.trades.csv`, `${prefix}.equity.csv`];
  try {
    write(files[0]!, tradesCsv(trades));
    write(files[1]!, equityCsv(equity));
  } catch (err) {
    throw new UsageError(`--csv: cannot write ${prefix}.*.csv (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  io.err(`tickwire-cli: wrote ${files.join(' and ')} (${trades.length} trades, ${equity.length} equity points)`);
}

// ------------------------------------------------------------------------------------------ commands

function bar(fraction: number, width = 30): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

export async function backtestStart(f: StartFlags, io: Io): Promise<number> {
  const body = startBody(f);
  const answer = await call<{ backtest_id: string; stream_url?: string }>('backtest', `${f.url}/api/backtesting/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, f.token);
  const id = answer.backtest_id;
  const p = painter(io.color);
  io.err(`tickwire-cli: backtest ${id} started; following ${answer.stream_url ?? `/api/ws/stream/backtest/${id}`}`);
  const client = connect(f.url, '/api/ws/stream/backtest/{backtest_id}', { params: { backtest_id: id }, failFast: true, ...(f.token ? { token: f.token } : {}) });
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let lastDecile = -1;
  let barShown = false;
  const trades: Trade[] = [];
  const clearBar = () => {
    if (barShown && io.status) io.status('');
    barShown = false;
  };
  client.onAny((m) => {
    if (f.json && m.type !== 'pong') io.out(JSON.stringify(m));
    switch (m.type) {
      case 'progress': {
        const d = m.data;
        const line = `${bar(d.pct / 100)} ${d.pct.toFixed(0).padStart(3)}%  ${d.processed}/${d.total} candles  equity ${num(d.equity)}${d.num_trades !== undefined ? `  trades ${d.num_trades}` : ''}`;
        if (io.status) {
          io.status(line);
          barShown = true;
        } else if (!f.json && Math.floor(d.pct / 10) > lastDecile) {
          lastDecile = Math.floor(d.pct / 10);
          io.out(line);
        }
        break;
      }
      case 'trade':
        trades.push(m.data as Trade);
        break;
      case 'complete': {
        clearBar();
        const equity = (m.data.equity_curve ?? []) as EquityPoint[];
        if (!f.json) {
          io.out(p('bold', `backtest ${id} complete`) + ` (${m.data.num_candles} candles in ${m.data.duration_ms} ms)`);
          printSummary(io, p, m.data.metrics as Metrics, equity, trades, f.trades);
        }
        try {
          if (f.csv) writeCsv(io, f.csv, trades, equity);
        } catch (err) {
          io.err(`tickwire-cli: ${(err as Error).message}`);
          return finish(EXIT.USAGE);
        }
        finish(EXIT.OK);
        break;
      }
      case 'error':
        clearBar();
        io.err(`tickwire-cli: backtest ${id} failed: ${m.data.code}: ${m.data.message}`);
        finish(EXIT.REFUSED);
        break;
    }
  });
  client.onClose((info) => {
    if (!info.willReconnect && !(info.code === 1000 && info.reason === 'client closed')) {
      clearBar();
      io.err(`tickwire-cli: backtest stream ${info.error ? `unreachable (${info.error})` : `closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`}`);
      finish(info.code >= 4500 ? EXIT.REFUSED : EXIT.UNREACHABLE);
    }
  });
  client.onInvalid((x) => io.err(`tickwire-cli: invalid message from the server (${x.code}: ${x.message})`));
  const interrupt = () => finish(EXIT.INTERRUPTED);
  process.once('SIGINT', interrupt);
  const code = await done;
  process.off('SIGINT', interrupt);
  client.close();
  return code;
}

/** Every trade of a run: the paged trades route, else the run's result.trades. */
async function runTrades(f: BacktestFlags, id: string, described: Record<string, any>): Promise<Trade[]> {
  const out: Trade[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const res = await request(`${f.url}/api/backtesting/${id}/trades?limit=5000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, f.token);
    if (res.status === 404 && page === 0) return (described.result?.trades as Trade[] | undefined) ?? [];
    if (!res.ok) throw new Refused([`backtest trades refused (HTTP ${res.status})`]);
    const body = (await res.json()) as { trades: Trade[]; next_cursor: string | null };
    out.push(...body.trades);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return out;
}

export async function backtestGet(f: BacktestFlags & { id: string }, io: Io): Promise<number> {
  const run = await call<Record<string, any>>(`backtest ${f.id}`, `${f.url}/api/backtesting/${f.id}`, undefined, f.token);
  const finished = run.status === 'completed';
  const trades = finished && (f.trades || f.csv || !f.json) ? await runTrades(f, f.id, run) : undefined;
  if (f.json) {
    io.out(JSON.stringify(trades && f.trades ? { ...run, trades } : run));
  } else {
    const p = painter(io.color);
    const status = run.status === 'completed' ? p('green', 'completed') : run.status === 'failed' || run.status === 'cancelled' ? p('red', run.status) : p('yellow', run.status);
    io.out(`${p('bold', `backtest ${run.backtest_id}`)} ${status}${run.name ? `  "${run.name}"` : ''}`);
    io.out(`  ${run.symbol} ${run.start_date}..${run.end_date}  ${(run.strategy_ids ?? []).join('+')}  ${run.resolution === 'D' ? 'daily' : `${run.resolution}-minute`} candles${run.calendar ? `  ${run.calendar} calendar` : ''}`);
    io.out(`  capital ${num(run.initial_capital ?? 0)}  fee ${run.fee_bps ?? 0} bp  slippage ${run.slippage_bps ?? 0} bp`);
    if (run.progress && !finished) io.out(`  progress ${bar((run.progress.pct ?? 0) / 100)} ${(run.progress.pct ?? 0).toFixed(0)}%`);
    if (run.error) io.out(p('red', `  error ${run.error.code}: ${run.error.message}`));
    const metrics = (run.result?.metrics ?? run.metrics) as Metrics | null;
    if (metrics) printSummary(io, p, metrics, (run.result?.equity_curve ?? []) as EquityPoint[], trades, f.trades);
  }
  if (f.csv) {
    if (!finished) throw new Refused([`backtest ${f.id} is ${run.status}: --csv needs a completed run`]);
    writeCsv(io, f.csv, trades ?? [], (run.result?.equity_curve ?? []) as EquityPoint[]);
  }
  return EXIT.OK;
}

export async function backtestList(f: BacktestFlags & { limit?: string; cursor?: string }, io: Io): Promise<number> {
  const problems: string[] = [];
  const limit = numberValue('--limit', f.limit, 1, 100, problems);
  if (limit !== undefined && !Number.isInteger(limit)) problems.push(`--limit '${f.limit}' must be a whole number from 1 to 100`);
  if (problems.length) throw new UsageError(problems.map((p) => `backtest list: ${p}`));
  const q = new URLSearchParams();
  if (limit !== undefined) q.set('limit', String(limit));
  if (f.cursor) q.set('cursor', f.cursor);
  const answer = await call<{ runs?: Record<string, any>[]; backtests?: Record<string, any>[]; next_cursor?: string | null }>('backtest list', `${f.url}/api/backtesting${q.size ? `?${q}` : ''}`, undefined, f.token);
  const runs = answer.runs ?? answer.backtests ?? [];
  if (f.json) {
    io.out(JSON.stringify({ runs, next_cursor: answer.next_cursor ?? null }));
    return EXIT.OK;
  }
  const p = painter(io.color);
  if (!runs.length) io.out('no backtests');
  for (const r of runs) {
    const m = (r.result?.metrics ?? r.metrics) as Metrics | null | undefined;
    const ret = m ? tone(p, m.total_return, signedPct(m.total_return).padStart(8)) : ''.padStart(8);
    io.out(`${r.backtest_id}  ${String(r.status).padEnd(9)}  ${String(r.symbol).padEnd(8)} ${r.start_date}..${r.end_date}  ${ret}  ${r.name ?? ''}`);
  }
  if (answer.next_cursor) io.out(p('dim', `more: tickwire-cli backtest list --cursor ${answer.next_cursor}`));
  return EXIT.OK;
}

export async function backtestCancel(f: BacktestFlags & { id: string }, io: Io): Promise<number> {
  const run = await call<Record<string, any>>(`cancel ${f.id}`, `${f.url}/api/backtesting/${f.id}/cancel`, { method: 'POST' }, f.token);
  if (f.json) io.out(JSON.stringify(run));
  else io.out(`backtest ${f.id} ${run.status ?? 'cancelled'}`);
  return EXIT.OK;
}
