/**
 * The backtest page (`/backtest`, bundled as backtest.js): start a run from a form (POST /api/backtesting/start),
 * watch it live over its stream with the typed client (progress, trades as markers on the price chart, equity with
 * its buy-and-hold benchmark and drawdown drawn as the `equity` events arrive), and compare finished runs (a metrics
 * table from GET /api/backtesting; clicking a run draws its equity and benchmark curves).
 * The price chart's candles come from `/dashboard/api/bars?from&to&calendar` at the coarsest timeframe (not coarser
 * than the run's) that keeps the range under 5000 candles.
 */
import { AreaSeries, CandlestickSeries, LineSeries, createChart, createSeriesMarkers, type IChartApi, type Time, type UTCTimestamp } from 'lightweight-charts';
import type * as T from '../../generated/types.ts';
import { connect, type TickwireClient } from '../client/client.ts';
import { labelGapFor, layoutMarkers, type MarkerEvent } from './markers.ts';
import { showMarket } from './trust.ts';

const $ = <E extends HTMLElement>(sel: string) => document.querySelector(sel) as E;
const base = location.origin;
const token = new URLSearchParams(location.search).get('token') ?? undefined;
const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
const fmt = (n: number, d = 2) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const pct = (f: number) => `${f >= 0 ? '+' : ''}${(f * 100).toFixed(2)}%`;
const ts = (ms: number) => (ms / 1000) as UTCTimestamp;
const MAX_RANGE_BARS = 5000;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const theme = {
  autoSize: true,
  layout: { background: { color: '#161d26' }, textColor: '#d6dde6' },
  grid: { vertLines: { color: '#1e2935' }, horzLines: { color: '#1e2935' } },
  timeScale: { timeVisible: true, secondsVisible: false },
};

// ---------------------------------------------------------------- charts

const priceBox = $('#bt-price');
const equityBox = $('#bt-equity');
const drawdownBox = $('#bt-drawdown');
const priceChart = createChart(priceBox, theme);
const candles = priceChart.addSeries(CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', wickUpColor: '#26a69a', wickDownColor: '#ef5350', borderVisible: false });
const tradeMarkers = createSeriesMarkers(candles, []);
const equityChart = createChart(equityBox, theme);
const equityLine = equityChart.addSeries(LineSeries, { color: '#4a9eff', lineWidth: 2, title: 'strategy' });
const benchmarkLine = equityChart.addSeries(LineSeries, { color: '#f0b429', lineWidth: 1, title: 'buy & hold' });
const drawdownChart = createChart(drawdownBox, theme);
const drawdownArea = drawdownChart.addSeries(AreaSeries, { lineColor: '#ef5350', topColor: 'rgba(239,83,80,.05)', bottomColor: 'rgba(239,83,80,.4)', lineWidth: 1, priceFormat: { type: 'percent' } });
syncTimeScales([equityChart, drawdownChart]);
// Labels are spaced by pixels: zooming changes how many bars apart they must be.
let relabel: number | undefined;
priceChart.timeScale().subscribeVisibleLogicalRangeChange(() => {
  if (relabel === undefined) relabel = requestAnimationFrame(() => ((relabel = undefined), drawTrades()));
});

/** Keeps the visible time range of charts in step (equity and drawdown share one time axis). */
function syncTimeScales(charts: IChartApi[]): void {
  let syncing = false;
  for (const c of charts) {
    c.timeScale().subscribeVisibleLogicalRangeChange((range) => {
      if (syncing || !range) return;
      syncing = true;
      for (const other of charts) if (other !== c) other.timeScale().setVisibleLogicalRange(range);
      syncing = false;
    });
  }
}

let barTimes: number[] = [];
let trades: MarkerEvent[] = [];
let lastEquityTime = -Infinity;
let equityPoints = 0;

function resetCharts(): void {
  candles.setData([]);
  tradeMarkers.setMarkers([]);
  equityLine.setData([]);
  benchmarkLine.setData([]);
  drawdownArea.setData([]);
  barTimes = [];
  trades = [];
  lastEquityTime = -Infinity;
  equityPoints = 0;
  priceBox.dataset.candles = '0';
  priceBox.dataset.markers = '0';
  equityBox.dataset.points = '0';
  drawdownBox.dataset.points = '0';
}

function addEquity(p: T.EquityPoint): void {
  if (!(p.time > lastEquityTime)) return; // the charts only append
  lastEquityTime = p.time;
  equityLine.update({ time: ts(p.time), value: p.equity });
  if (p.benchmark !== undefined) benchmarkLine.update({ time: ts(p.time), value: p.benchmark });
  drawdownArea.update({ time: ts(p.time), value: -p.drawdown * 100 });
  equityPoints++;
  equityBox.dataset.points = String(equityPoints);
  drawdownBox.dataset.points = String(equityPoints);
}

function drawCurve(curve: readonly T.EquityPoint[]): void {
  equityLine.setData(curve.map((p) => ({ time: ts(p.time), value: p.equity })));
  benchmarkLine.setData(curve.filter((p) => p.benchmark !== undefined).map((p) => ({ time: ts(p.time), value: p.benchmark! })));
  drawdownArea.setData(curve.map((p) => ({ time: ts(p.time), value: -p.drawdown * 100 })));
  equityPoints = curve.length;
  lastEquityTime = curve.at(-1)?.time ?? -Infinity;
  equityBox.dataset.points = String(curve.length);
  drawdownBox.dataset.points = String(curve.length);
  equityChart.timeScale().fitContent();
  drawdownChart.timeScale().fitContent();
}

function drawTrades(): void {
  const range = priceChart.timeScale().getVisibleLogicalRange();
  const gap = labelGapFor(priceBox.clientWidth, range ? range.to - range.from : barTimes.length);
  const markers = layoutMarkers(trades, barTimes, gap);
  tradeMarkers.setMarkers(markers);
  priceBox.dataset.markers = String(markers.length);
}

const MINUTES: Record<string, number> = { '1': 1, '5': 5, '15': 15, '30': 30, '60': 60, D: 1440 };

/** The price chart of a run's range, at the coarsest resolution (never finer than the run's) under MAX_RANGE_BARS. */
async function loadPrices(symbol: string, resolution: string, from: number, to: number, calendar: string): Promise<void> {
  const order = ['1', '5', '15', '30', '60', 'D'];
  let res = resolution;
  for (const r of order.slice(order.indexOf(resolution))) {
    res = r;
    if ((to - from) / (MINUTES[r]! * 60_000) <= MAX_RANGE_BARS) break;
  }
  $('#bt-price-title').textContent = `${symbol} · ${res === 'D' ? '1D' : res === '60' ? '1h' : `${res}m`} · trades`;
  const q = new URLSearchParams({ symbol, resolution: res, from: String(from), to: String(to), calendar });
  const r = await fetch(`/dashboard/api/bars?${q}`, { headers: auth });
  if (!r.ok) return;
  const body = (await r.json()) as { bars: T.Bar[] };
  barTimes = body.bars.map((b) => b.time);
  candles.setData(body.bars.map((b) => ({ time: ts(b.time), open: b.open, high: b.high, low: b.low, close: b.close })));
  priceChart.timeScale().fitContent();
  priceBox.dataset.candles = String(body.bars.length);
  drawTrades();
}

// ---------------------------------------------------------------- a run

const statusBadge = $('#bt-status');
const progressBox = $('#bt-progress');
function setStatus(s: string): void {
  statusBadge.dataset.status = s;
  statusBadge.querySelector('b')!.textContent = s;
}
function setProgress(pctDone: number, text: string): void {
  progressBox.dataset.pct = String(pctDone);
  progressBox.querySelector<HTMLElement>('.fill')!.style.width = `${pctDone}%`;
  progressBox.querySelector('.label')!.textContent = text;
}

function showMetrics(m: T.BacktestMetrics): void {
  const rows: [string, string][] = [
    ['Total return', pct(m.total_return)],
    ['Buy & hold', m.buy_and_hold_return !== undefined ? pct(m.buy_and_hold_return) : '–'],
    ['Excess', m.excess_return !== undefined ? pct(m.excess_return) : '–'],
    ['Max drawdown', `${(m.max_drawdown * 100).toFixed(2)}%`],
    ['Sharpe', m.sharpe_ratio.toFixed(2)],
    ['Win rate', `${(m.win_rate * 100).toFixed(1)}% of ${m.num_trades}`],
    ['Profit factor', m.profit_factor === null ? '∞' : m.profit_factor.toFixed(2)],
    ['Fees', m.total_fees !== undefined ? fmt(m.total_fees) : '–'],
    ['Final equity', fmt(m.final_equity)],
  ];
  $('#bt-metrics').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
}

let stream: TickwireClient<any> | undefined;

function formBody(form: HTMLFormElement): Record<string, unknown> {
  const f = new FormData(form);
  const num = (k: string) => (String(f.get(k) ?? '').trim() === '' ? undefined : Number(f.get(k)));
  const body: Record<string, unknown> = {
    name: `${f.get('symbol')} ${f.get('start_date')}..${f.get('end_date')}`,
    symbol: String(f.get('symbol') ?? '').trim(),
    timeframes: [String(f.get('timeframe'))],
    start_date: f.get('start_date'),
    end_date: f.get('end_date'),
    strategy_ids: f.getAll('strategy').map(String),
    calendar: f.get('calendar'),
  };
  for (const k of ['initial_capital', 'fee_bps', 'slippage_bps']) if (num(k) !== undefined) body[k] = num(k);
  return body;
}

async function start(form: HTMLFormElement): Promise<void> {
  const error = $('#bt-error');
  error.hidden = true;
  const body = formBody(form);
  const button = $<HTMLButtonElement>('#bt-start');
  button.disabled = true;
  try {
    const res = await fetch('/api/backtesting/start', { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });
    const answer = (await res.json().catch(() => ({}))) as { backtest_id?: string; error?: { code: string; message: string; field?: string } };
    if (!res.ok || !answer.backtest_id) {
      const retry = res.headers.get('retry-after');
      error.textContent = `${answer.error ? `${answer.error.message}${answer.error.field ? ` (${answer.error.field})` : ''}` : `HTTP ${res.status}`}${retry ? `; retry in ${retry} s` : ''}`;
      error.hidden = false;
      return;
    }
    follow(answer.backtest_id, body);
  } catch (err) {
    error.textContent = `cannot reach the gateway (${(err as Error).message})`;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

function follow(id: string, body: Record<string, unknown>): void {
  stream?.close();
  resetCharts();
  setStatus('running');
  statusBadge.title = id;
  setProgress(0, 'waiting for the first candles…');
  $('#bt-metrics').replaceChildren();
  const from = Date.parse(`${body.start_date}T00:00:00Z`);
  const to = Date.parse(`${body.end_date}T00:00:00Z`) + 86_400_000;
  void loadPrices(String(body.symbol), String((body.timeframes as string[])[0]), from, Math.min(to, Date.now()), String(body.calendar ?? 'exchange'));
  const client = connect(base, '/api/ws/stream/backtest/{backtest_id}', { params: { backtest_id: id }, ...(token ? { token } : {}) });
  stream = client;
  client.onAny((m: any) => {
    switch (m.type) {
      case 'progress':
        setProgress(m.data.pct, `${m.data.pct.toFixed(0)}%  ${m.data.processed.toLocaleString()} / ${m.data.total.toLocaleString()} candles  equity ${fmt(m.data.equity)}  ${m.data.num_trades ?? 0} round trips`);
        break;
      case 'trade':
        trades.push({ ts: m.data.time, kind: 'trade', side: m.data.side, text: m.data.side === 'BUY' ? 'B' : 'S' });
        drawTrades();
        break;
      case 'equity':
        addEquity(m.data);
        break;
      case 'metrics':
        showMetrics(m.data);
        break;
      case 'complete':
        setStatus('completed');
        setProgress(100, `completed: ${m.data.num_candles.toLocaleString()} candles in ${m.data.duration_ms} ms`);
        showMetrics(m.data.metrics);
        if (equityPoints < 2 && m.data.equity_curve) drawCurve(m.data.equity_curve);
        equityChart.timeScale().fitContent();
        drawdownChart.timeScale().fitContent();
        client.close();
        void loadRuns();
        break;
      case 'error':
        setStatus('failed');
        setProgress(0, m.data.message);
        client.close();
        void loadRuns();
        break;
    }
  });
}

// ---------------------------------------------------------------- compare

async function loadRuns(): Promise<void> {
  const res = await fetch('/api/backtesting?limit=100', { headers: auth }).catch(() => undefined);
  if (!res?.ok) return;
  const body = (await res.json()) as { runs?: any[]; backtests?: any[] };
  const runs = (body.runs ?? body.backtests ?? []).filter((r) => r.status === 'completed');
  const tbody = $('#bt-runs tbody');
  tbody.replaceChildren(...runs.map((r) => {
    const m = (r.result?.metrics ?? r.metrics ?? {}) as Partial<T.BacktestMetrics>;
    const row = el('tr');
    row.dataset.id = r.backtest_id;
    const cell = (text: string, tone?: number) => el('td', text, tone === undefined ? undefined : tone > 0 ? 'up' : tone < 0 ? 'down' : '');
    row.append(
      cell(r.name ?? r.backtest_id), cell(r.symbol), cell(`${r.start_date}..${r.end_date}`), cell((r.strategy_ids ?? []).join('+')),
      cell(m.total_return !== undefined ? pct(m.total_return) : '–', m.total_return),
      cell(m.buy_and_hold_return !== undefined ? pct(m.buy_and_hold_return) : '–', m.buy_and_hold_return),
      cell(m.excess_return !== undefined ? pct(m.excess_return) : '–', m.excess_return),
      cell(m.max_drawdown !== undefined ? `${(m.max_drawdown * 100).toFixed(2)}%` : '–'),
      cell(m.sharpe_ratio !== undefined ? m.sharpe_ratio.toFixed(2) : '–'),
      cell(m.win_rate !== undefined ? `${(m.win_rate * 100).toFixed(1)}%` : '–'),
      cell(String(m.num_trades ?? '–')),
      cell(m.total_fees !== undefined ? fmt(m.total_fees) : '–'),
    );
    row.addEventListener('click', () => void showRun(r.backtest_id, row));
    return row;
  }));
}

async function showRun(id: string, row: HTMLTableRowElement): Promise<void> {
  for (const r of Array.from(row.parentElement!.children)) r.classList.toggle('selected', r === row);
  const res = await fetch(`/api/backtesting/${id}`, { headers: auth });
  if (!res.ok) return;
  const run = (await res.json()) as any;
  if (run.result?.equity_curve) drawCurve(run.result.equity_curve);
  if (run.result?.metrics) showMetrics(run.result.metrics);
}

// ---------------------------------------------------------------- wiring

const form = $<HTMLFormElement>('#bt-form');
form.addEventListener('submit', (e) => {
  e.preventDefault();
  void start(form);
});
$('#bt-refresh').addEventListener('click', () => void loadRuns());
void showMarket(token);
void loadRuns();
