/**
 * The dashboard page (bundled by scripts/build-dashboard.ts, served at `/`). Two connections made with the typed
 * client: `/ws` for prices, signals, trades and the portfolio, `/api/v1/ws` for the bars of the charted topic.
 * Both reconnect by themselves and resume every topic from the position the client holds (the missed updates are
 * replayed); when a topic cannot be resumed (recovered: false, e.g. the server restarted) the page refreshes it: the
 * chart is refilled, prices and portfolio are replaced by the snapshot that follows, and the signal and trade feeds
 * say that what was missed is not shown. The badges show each connection's state and how its last reconnect went.
 */
import { CandlestickSeries, createChart, createSeriesMarkers, type CandlestickData, type SeriesMarker, type Time, type UTCTimestamp } from 'lightweight-charts';
import { ResolutionValues } from '../../generated/client.ts';
import type * as T from '../../generated/types.ts';
import { connect, type BarsTopicName, type CloseInfo, type RecoveryEvent, type SocketState, type TickwireClient } from '../client/client.ts';
import { createTokenSession } from './session.ts';
import { labelGapFor, layoutMarkers, type MarkerEvent } from './markers.ts';
import { lastUpdates, showMarket, watchStale } from './trust.ts';
import { mountDepthPanel } from './depth.ts';
import { createScrollBack } from './scrollback.ts';

const $ = <E extends HTMLElement>(sel: string) => document.querySelector(sel) as E;
const MAX_FEED = 30;
const MAX_MARKERS = 200;

const base = location.origin;
const params = new URLSearchParams(location.search);
/** AUTH=jwt: the token (from the page URL `/?token=<jwt>`, or the login box; refreshed on token_expiring): session.ts. */
const session = createTokenSession({ initial: params.get('token') ?? undefined, mount: $('header') });
if (params.has('token')) history.replaceState(null, '', location.pathname + location.search.replace(/([?&])token=[^&]*(&|$)/, (_m, a: string, b: string) => (b ? a : '')) + location.hash);
let symbol = params.get('symbol') ?? 'AAPL';
let resolution = (ResolutionValues as readonly string[]).includes(params.get('res') ?? '') ? (params.get('res') as T.Resolution) : '1';

const fmt = (n: number, digits = 2) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const signed = (n: number, digits = 2) => `${n >= 0 ? '+' : ''}${fmt(n, digits)}`;
const clock = (iso: string) => iso.slice(11, 19);
const toneOf = (n: number) => (n > 0 ? 'up' : n < 0 ? 'down' : '');
/** Per-panel "last update" labels (trust.ts). */
const updates = lastUpdates();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// ---------------------------------------------------------------- connection state

function showState(id: string, client: TickwireClient<any>): void {
  const badge = $(`#${id}`);
  const label = badge.querySelector('b')!;
  let retryIn: number | undefined;
  const render = (state: SocketState) => {
    badge.dataset.state = state;
    label.textContent = state === 'reconnecting' && retryIn !== undefined ? `reconnecting in ${(retryIn / 1000).toFixed(1)} s` : state;
  };
  let closeNote = '';
  // How the last reconnect went, over every topic it resumed: `recovered` (nothing missed) or `lost` (some topic could
  // not be resumed and was refreshed from a snapshot).
  let lost: string[] = [];
  client.onClose((info: CloseInfo) => {
    retryIn = info.delayMs;
    closeNote = `last close: ${info.code} ${info.reason || info.error || ''}`.trim();
    badge.title = closeNote;
  });
  client.onState((state: SocketState) => {
    if (state === 'open') lost = [];
    render(state);
  });
  client.onRecovery((e: RecoveryEvent) => {
    if (!e.recovered) lost.push(`${e.topic} (${e.reason ?? 'not recovered'})`);
    badge.dataset.recovery = lost.length ? 'lost' : 'recovered';
    badge.title = `${closeNote}\n${lost.length ? `not resumed: ${lost.join(', ')}` : 'every topic resumed; nothing missed'}`;
  });
  render(client.state);
}

// ---------------------------------------------------------------- prices

const priceRows = new Map<string, { row: HTMLTableRowElement; last: number }>();
const symbolSelect = $<HTMLSelectElement>('#symbol');

function addSymbol(sym: string): void {
  if (Array.from(symbolSelect.options).some((o) => o.value === sym)) return;
  symbolSelect.append(new Option(sym, sym, false, sym === symbol));
}

function onPrices(m: T.PriceUpdateMessage): void {
  updates.touch('prices');
  const tbody = $('#prices tbody');
  for (const [sym, data] of Object.entries(m.symbols)) {
    if (!data) continue;
    let entry = priceRows.get(sym);
    if (!entry) {
      const row = el('tr');
      row.dataset.symbol = sym;
      row.append(el('td', sym), el('td'), el('td'), el('td'));
      row.addEventListener('click', () => setChart(sym, resolution));
      const after = Array.from(tbody.children).find((r) => (r as HTMLElement).dataset.symbol! > sym);
      tbody.insertBefore(row, after ?? null);
      entry = { row, last: data.price };
      priceRows.set(sym, entry);
      addSymbol(sym);
      row.classList.toggle('selected', sym === symbol);
    }
    const cells = entry.row.cells;
    cells[1]!.textContent = fmt(data.price);
    cells[2]!.textContent = signed(data.change);
    cells[3]!.textContent = `${signed(data.change_pct)}%`;
    for (const c of [cells[2]!, cells[3]!]) c.className = toneOf(data.change);
    if (data.price !== entry.last) {
      const flash = data.price > entry.last ? 'flash-up' : 'flash-down';
      cells[1]!.classList.remove('flash-up', 'flash-down');
      void cells[1]!.offsetWidth; // restart the animation
      cells[1]!.classList.add(flash);
    }
    entry.last = data.price;
  }
}

// ---------------------------------------------------------------- chart

const chartBox = $('#chart');
const chart = createChart(chartBox, {
  autoSize: true,
  layout: { background: { color: '#161d26' }, textColor: '#d6dde6' },
  grid: { vertLines: { color: '#1e2935' }, horzLines: { color: '#1e2935' } },
  timeScale: { timeVisible: true, secondsVisible: false },
});
const series = chart.addSeries(CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', wickUpColor: '#26a69a', wickDownColor: '#ef5350', borderVisible: false });
const markersApi = createSeriesMarkers(series, []);
/** Bars of the charted topic by time (ms), and their sorted times. */
let bars = new Map<number, T.Bar>();
let times: number[] = [];
/** Signals and trades of the charted symbol, as markers to place on the bar that contains them. */
let markerEvents: MarkerEvent[] = [];
let topic: BarsTopicName | null = null;
let markersQueued = false;

const candle = (b: T.Bar): CandlestickData<Time> => ({ time: (b.time / 1000) as UTCTimestamp, open: b.open, high: b.high, low: b.low, close: b.close });

function renderMarkers(): void {
  markersQueued = false;
  // One marker per bar and side, labels spaced out (markers.ts): they never overlap.
  const range = chart.timeScale().getVisibleLogicalRange();
  const out: SeriesMarker<Time>[] = layoutMarkers(markerEvents, times, labelGapFor(chartBox.clientWidth, range ? range.to - range.from : 0));
  markersApi.setMarkers(out);
  chartBox.dataset.markers = String(out.length);
}

function queueMarkers(): void {
  if (markersQueued) return;
  markersQueued = true;
  requestAnimationFrame(renderMarkers);
}

function addMarker(e: (typeof markerEvents)[number], sym: string): void {
  if (sym !== symbol) return;
  markerEvents.push(e);
  if (markerEvents.length > MAX_MARKERS) markerEvents = markerEvents.slice(-MAX_MARKERS);
  queueMarkers();
}

function onBar(m: T.BarsUpdateMessage): void {
  if (m.topic !== topic) return;
  updates.touch('bars');
  const last = times[times.length - 1];
  if (last !== undefined && m.payload.time < last) return; // the chart only appends or replaces the forming bar
  if (!bars.has(m.payload.time)) {
    // The forming bar before this one is final now: keep the shape of the last few live candles (for tests and
    // debugging, e.g. that a sped-up market still draws bodies and wicks).
    const closed = last !== undefined ? bars.get(last) : undefined;
    if (closed) chartBox.dataset.liveClosed = JSON.stringify([...JSON.parse(chartBox.dataset.liveClosed ?? '[]').slice(-9), [closed.open, closed.high, closed.low, closed.close]]);
    times.push(m.payload.time);
    queueMarkers();
  }
  bars.set(m.payload.time, m.payload);
  series.update(candle(m.payload));
  chartBox.dataset.candles = String(times.length);
}

function setChart(sym: string, res: T.Resolution): void {
  const next = `bars:${sym}:${res}` as BarsTopicName;
  if (next === topic) return;
  if (topic) barsClient.unsubscribe(topic).catch(report);
  symbol = sym;
  resolution = res;
  topic = next;
  markerEvents = [];
  $('#chart-title').textContent = `${sym} · ${res === 'D' ? '1D' : `${res}m`}`;
  symbolSelect.value = sym;
  $<HTMLSelectElement>('#resolution').value = res;
  for (const [s, { row }] of priceRows) row.classList.toggle('selected', s === sym);
  history.replaceState(null, '', `?symbol=${encodeURIComponent(sym)}&res=${res}`);
  barsClient.subscribe(next).catch(report);
  depthPanel.setSymbol(sym);
  loadBars();
}

/** Clears the chart and backfills it (optional: recent bars from the gateway, merged under the live ones). */
function loadBars(): void {
  const want = topic;
  if (!want) return;
  bars = new Map();
  times = [];
  series.setData([]);
  renderMarkers();
  chartBox.dataset.candles = '0';
  void scrollBack.first().then(() => topic === want && chart.timeScale().scrollToRealTime());
}

/** Bars from `bars.history` (the first page, or older ones on scroll-back) merged under the live ones. */
function mergeHistory(list: T.Bar[], key: string): void {
  if (key !== topic) return;
  const before = times[0];
  for (const b of list) if (!bars.has(b.time)) bars.set(b.time, b);
  times = [...bars.keys()].sort((a, b) => a - b);
  const range = chart.timeScale().getVisibleLogicalRange();
  series.setData(times.map((t) => candle(bars.get(t)!)));
  // Older bars were prepended: logical indexes shift by their number; keep the view where the user left it.
  const prepended = before === undefined ? 0 : times.findIndex((t) => t >= before);
  if (range && prepended > 0) chart.timeScale().setVisibleLogicalRange({ from: range.from + prepended, to: range.to + prepended });
  chartBox.dataset.candles = String(times.length);
  chartBox.dataset.oldest = String(times[0] ?? '');
  queueMarkers();
}

// ---------------------------------------------------------------- signals, trades, portfolio

function prepend(list: HTMLElement, li: HTMLLIElement): void {
  list.prepend(li);
  while (list.children.length > MAX_FEED) list.lastElementChild!.remove();
}

function onSignal(m: T.SignalMessage): void {
  const li = el('li');
  li.dataset.symbol = m.symbol;
  li.append(el('span', clock(m.timestamp), 'time'), el('span', m.signal_type, `side ${m.signal_type === 'BUY' ? 'up' : 'down'}`),
    el('span', m.symbol), el('span', fmt(m.price)), el('span', `confidence ${Math.round(m.confidence * 100)}%${m.strategy_id ? ` · ${m.strategy_id}` : ''}`, 'meta'));
  updates.touch('signals');
  if (m.reason) li.title = m.reason;
  prepend($('#signals'), li);
  if (m.signal_type !== 'HOLD') addMarker({ ts: Date.parse(m.timestamp), kind: 'signal', side: m.signal_type, text: m.signal_type }, m.symbol);
}

function onTrade(m: T.TradeExecutedMessage): void {
  const li = el('li');
  li.append(el('span', clock(m.timestamp), 'time'), el('span', m.side, `side ${m.side === 'BUY' ? 'up' : 'down'}`),
    el('span', `${m.quantity} ${m.symbol}`), el('span', `@ ${fmt(m.price)}`), el('span', m.commission !== undefined ? `fee ${fmt(m.commission)}` : '', 'meta'));
  prepend($('#trades'), li);
  updates.touch('trades');
  addMarker({ ts: Date.parse(m.timestamp), kind: 'trade', side: m.side, text: `${m.side === 'BUY' ? 'B' : 'S'} ${m.quantity}` }, m.symbol);
}

function onPortfolio(m: T.PortfolioUpdateMessage): void {
  updates.touch('portfolio');
  for (const dd of Array.from(document.querySelectorAll<HTMLElement>("#portfolio dd"))) {
    const key = dd.dataset.field as keyof T.PortfolioUpdateMessage;
    const v = m[key] as number;
    dd.textContent = key === 'equity' || key === 'cash' ? fmt(v) : signed(v);
    dd.className = key === 'equity' || key === 'cash' ? '' : toneOf(v);
  }
  const tbody = $('#positions tbody');
  tbody.replaceChildren(...m.positions.map((p) => {
    const row = el('tr');
    row.append(el('td', p.symbol), el('td', String(p.quantity)), el('td', fmt(p.avg_price)), el('td', fmt(p.market_price)), el('td', signed(p.unrealized_pnl), toneOf(p.unrealized_pnl)));
    return row;
  }));
}

/** A line in a feed saying that events were missed while disconnected (they are not replayed). */
function feedGap(list: HTMLElement, what: string, e: RecoveryEvent): void {
  const li = el('li', undefined, 'gap');
  li.append(el('span', new Date().toISOString().slice(11, 19), 'time'), el('span', `reconnected: ${what} missed meanwhile are not shown (${e.reason ?? 'not recovered'})`));
  prepend(list, li);
}

function report(err: unknown): void {
  console.warn('tickwire dashboard:', err);
}

// ---------------------------------------------------------------- wiring

const dashboard = connect(base, '/ws', session.clientOptions());
const barsClient = connect(base, '/api/v1/ws', session.clientOptions());
// After an `auth` (login box or refresh) the chart's topic is subscribed again if it had been refused.
session.attach({ dashboard, bars: barsClient, resubscribeChart: () => topic && !barsClient.subscriptions().includes(topic) && (barsClient.subscribe(topic).catch(report), loadBars()) });
const depthPanel = mountDepthPanel(barsClient, $('main'), report);
const scrollBack = createScrollBack(barsClient, {
  current: () => (topic ? { symbol, resolution, key: topic } : null),
  oldest: () => times[0],
  merge: mergeHistory,
}, report);
chart.timeScale().subscribeVisibleLogicalRangeChange((range) => scrollBack.onVisibleFrom(range?.from));
showState('conn-ws', dashboard);
showState('conn-bars', barsClient);
watchStale([dashboard, barsClient]);
void showMarket(session.token);
for (const c of [dashboard, barsClient] as TickwireClient<any>[]) {
  c.onInvalid((p) => console.warn('tickwire: invalid message from the server', p));
  c.onError(report);
}
dashboard.on('price_update', onPrices);
dashboard.on('signal', onSignal);
dashboard.on('trade_executed', onTrade);
dashboard.on('portfolio_update', onPortfolio);
barsClient.on('bars.update', onBar);
// After a reconnect the client resumes the charted topic from its position: the bars missed meanwhile are replayed
// and the chart stays as it is. When they cannot be (recovered: false) the chart is refilled: cleared and backfilled,
// with the current bar (the snapshot that follows the answer) on top. onRecovery comes before that snapshot.
barsClient.onRecovery((e) => {
  if (e.topic === topic && !e.recovered) loadBars();
});
// A reconnect before the first subscribe was answered has no position to resume from: refill as well.
let barsOpened = false;
barsClient.onState((state) => {
  if (state !== 'open') return;
  if (barsOpened && topic && !Object.hasOwn(barsClient.positions(), topic)) loadBars();
  barsOpened = true;
});
// Prices and the portfolio are latest-state streams: when not resumed, the snapshot that follows replaces them.
// Signals and trades are events: what was missed is gone; the feed says so.
dashboard.onRecovery((e) => {
  if (e.recovered) return;
  if (e.topic === 'dashboard:signals') feedGap($('#signals'), 'signals', e);
  if (e.topic === 'dashboard:trades') feedGap($('#trades'), 'trades', e);
});

symbolSelect.addEventListener('change', () => setChart(symbolSelect.value, resolution));
$<HTMLSelectElement>('#resolution').addEventListener('change', (e) => setChart(symbol, (e.target as HTMLSelectElement).value as T.Resolution));
addSymbol(symbol);
setChart(symbol, resolution);
