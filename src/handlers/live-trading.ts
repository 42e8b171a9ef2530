/**
 * `/api/ws/stream/live-trading?symbols=A,B` (seed 003): orders, executions, positions, risk and P&L. This file
 * holds the endpoint and LiveTradingFeed, the stream that turns OrderVenue events and Portfolio snapshots into
 * hub publications.
 *
 * Hub topics (each message published once):
 * - `live-trading:orders:<SYMBOL>` and `live-trading:orders:*`: order_update (every status change the venue
 *   reports) and order_execution (every fill, once per execution id, as the venue contract guarantees).
 * - `live-trading:positions:<sorted symbols>` (`*` = all): position_update listing the open positions of exactly
 *   that symbol set; published only for sets some client watches, and only when that view changed.
 * - `live-trading:account`: pnl_update and risk_update. They describe the whole account (the contract's RiskData
 *   is the account's; PnlData has no symbol), so every client gets the same ones whatever its filter.
 * When: positions, P&L and risk are re-checked on the turn after each fill (so the Portfolio, fed by the trade
 * stream's fill listener, already holds it) and after each mark-to-market of the Portfolio (Portfolio.onMarked; the
 * portfolio stream's timer marks it). The feed never marks the Portfolio itself: one timer, one source of marks.
 * Risk: gross/net exposure = Σ|market value| / Σ market value, leverage = gross / equity, largest_position_pct =
 * max |market value| / equity × 100, drawdown = fraction below the highest equity this feed has seen.
 *
 * A client gets `connected` (data.symbols: its filter, or every symbol of the source), then a snapshot
 * (position_update, risk_update, pnl_update), then updates. A malformed or unknown symbol in the query is refused
 * with an error and close 4501 (BAD_REQUEST).
 */
import { dispatchLiveTradingStream, liveTradingStreamEndpoint, type LiveTradingStreamHandlers, type LiveTradingStreamInbound } from '../../generated/messages.ts';
import type {
  ConnectedData,
  LivePosition,
  OrderExecutionMessage,
  OrderUpdateMessage,
  PnlUpdateMessage,
  PositionUpdateMessage,
  RiskUpdateMessage,
} from '../../generated/types.ts';
import { validateTickerSymbol } from '../../generated/validators.js';
import type { MarketSource } from '../market/source.ts';
import type { Hub } from '../pubsub/hub.ts';
import { authHandlers } from './auth.ts';
import type { ConnectionContext, Endpoint } from '../server/endpoint.ts';
import type { Stream, StreamContext } from '../streams/stream.ts';
import type { Fill, Order, OrderVenue } from '../trading/venue.ts';
import type { Portfolio, PortfolioSnapshot } from '../trading/portfolio.ts';
import { admit, notSubscribed, sendSnapshots, sinceFromQuery, subscribeAll, type SinceMap } from './positions.ts';
import { connectedMessage, envelope, pingHandlers, streamError, type Clock } from './streams-common.ts';

export const ALL = '*';
export const ACCOUNT_TOPIC = 'live-trading:account';
export const MAX_SYMBOLS = 50;

export function ordersTopic(symbol: string): string {
  return `live-trading:orders:${symbol}`;
}

/** `symbols` undefined = all symbols. */
export function positionsTopic(symbols: readonly string[] | undefined): string {
  return `live-trading:positions:${symbols ? [...symbols].sort().join(',') : ALL}`;
}

function parsePositionsTopic(topic: string): readonly string[] | undefined | null {
  if (!topic.startsWith('live-trading:positions:')) return null;
  const rest = topic.slice('live-trading:positions:'.length);
  return rest === ALL ? undefined : rest.split(',');
}

export function orderMessage(o: Order, now?: Clock): OrderUpdateMessage {
  return envelope('order_update', {
    order_id: o.order_id,
    symbol: o.symbol,
    side: o.side,
    quantity: o.quantity,
    type: o.type,
    ...(o.limit_price !== undefined ? { limit_price: o.limit_price } : {}),
    status: o.status,
    filled_quantity: o.filled_quantity,
    ...(o.avg_fill_price !== undefined ? { avg_fill_price: o.avg_fill_price } : {}),
    created_at: o.created_at,
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
  }, now);
}

export function executionMessage(f: Fill, now?: Clock): OrderExecutionMessage {
  return envelope('order_execution', {
    execution_id: f.execution_id,
    order_id: f.order_id,
    symbol: f.symbol,
    side: f.side,
    quantity: f.quantity,
    price: f.price,
    commission: f.commission,
    timestamp: f.timestamp,
  }, now);
}

export function positionsOf(s: PortfolioSnapshot, symbols: readonly string[] | undefined): LivePosition[] {
  const wanted = symbols ? new Set(symbols) : undefined;
  return s.positions
    .filter((p) => !wanted || wanted.has(p.symbol))
    .map((p) => ({ symbol: p.symbol, quantity: p.quantity, avg_price: p.avg_price, market_price: p.market_price, unrealized_pnl: p.unrealized_pnl, realized_pnl: p.realized_pnl }));
}

export function pnlMessage(s: PortfolioSnapshot, now?: Clock): PnlUpdateMessage {
  return envelope('pnl_update', { realized_pnl: s.realized_pnl, unrealized_pnl: s.unrealized_pnl, total_pnl: s.total_pnl, daily_pnl: s.daily_pnl }, now);
}

export function riskMessage(s: PortfolioSnapshot, peakEquity: number, now?: Clock): RiskUpdateMessage {
  let gross = 0;
  let net = 0;
  let largest = 0;
  for (const p of s.positions) {
    gross += Math.abs(p.market_value);
    net += p.market_value;
    largest = Math.max(largest, Math.abs(p.market_value));
  }
  const equity = s.equity;
  const peak = Math.max(peakEquity, equity);
  return envelope('risk_update', {
    gross_exposure: gross,
    net_exposure: net,
    leverage: equity > 0 ? gross / equity : 0,
    largest_position_pct: equity > 0 ? (largest / equity) * 100 : 0,
    equity,
    drawdown: peak > 0 ? Math.max(0, (peak - equity) / peak) : 0,
  }, now);
}

export interface LiveTradingFeedOptions {
  venue: Pick<OrderVenue, 'onOrder' | 'onFill'>;
  portfolio: Pick<Portfolio, 'snapshot' | 'onMarked'>;
  hub: Pick<Hub, 'publish' | 'setSnapshot' | 'watch' | 'activeTopics'>;
  now?: Clock;
  /** @deprecated Unused (the feed reads no quotes); kept until src/app.ts stops passing it. */
  source?: unknown;
  /** @deprecated Unused (the portfolio stream's interval marks the portfolio); kept until src/app.ts stops passing it. */
  intervalMs?: number;
}

export class LiveTradingFeed implements Stream {
  readonly name = 'live_trading';
  private off: (() => void)[] = [];
  private pendingRefresh: NodeJS.Immediate | undefined;
  private ctx: StreamContext | undefined;
  private peakEquity = -Infinity;
  /** Last published JSON of each positions topic and of the account messages (change detection). */
  private readonly lastPositions = new Map<string, string>();
  private lastAccount: string | undefined;
  private readonly now: Clock;

  constructor(private readonly deps: LiveTradingFeedOptions) {
    this.now = deps.now ?? Date.now;
  }

  start(ctx: StreamContext): void {
    this.stop();
    this.ctx = ctx;
    const { venue, hub } = this.deps;
    this.off.push(venue.onOrder((order) => this.safely(() => {
      const msg = orderMessage(order, this.now);
      hub.publish(ordersTopic(order.symbol), msg);
      hub.publish(ordersTopic(ALL), msg);
    })));
    this.off.push(venue.onFill((fill) => this.safely(() => {
      const msg = executionMessage(fill, this.now);
      hub.publish(ordersTopic(fill.symbol), msg);
      hub.publish(ordersTopic(ALL), msg);
      this.scheduleRefresh();
    })));
    // A topic's snapshot is set when it becomes active (the state a first subscriber gets) and carried by every update.
    this.off.push(hub.watch({
      active: (topic) => this.safely(() => this.activate(topic)),
      idle: (topic) => this.lastPositions.delete(topic),
    }));
    this.off.push(this.deps.portfolio.onMarked(() => this.safely(() => this.refresh())));
    this.peakEquity = Math.max(this.peakEquity, this.deps.portfolio.snapshot().equity);
    ctx.update();
  }

  stop(): void {
    for (const off of this.off) off();
    this.off = [];
    if (this.pendingRefresh) clearImmediate(this.pendingRefresh);
    this.pendingRefresh = undefined;
  }

  /** position_update, risk_update, pnl_update for a client that just connected (symbols undefined = all). */
  snapshot(symbols: readonly string[] | undefined): [PositionUpdateMessage, RiskUpdateMessage, PnlUpdateMessage] {
    const s = this.deps.portfolio.snapshot();
    this.peakEquity = Math.max(this.peakEquity, s.equity);
    return [envelope('position_update', { positions: positionsOf(s, symbols) }, this.now), riskMessage(s, this.peakEquity, this.now), pnlMessage(s, this.now)];
  }

  /** Publishes what changed: positions of every watched symbol set, then P&L and risk. Public for tests. */
  refresh(): void {
    const { portfolio, hub } = this.deps;
    const s = portfolio.snapshot();
    this.peakEquity = Math.max(this.peakEquity, s.equity);
    for (const topic of hub.activeTopics()) {
      const symbols = parsePositionsTopic(topic);
      if (symbols === null) continue;
      const positions = positionsOf(s, symbols);
      const key = JSON.stringify(positions);
      if (this.lastPositions.get(topic) === key) continue;
      this.lastPositions.set(topic, key);
      const msg = envelope('position_update', { positions }, this.now);
      hub.publish(topic, msg, { snapshot: [msg] });
    }
    const pnl = pnlMessage(s, this.now);
    const risk = riskMessage(s, this.peakEquity, this.now);
    const key = JSON.stringify([pnl.data, risk.data]);
    if (key !== this.lastAccount) {
      this.lastAccount = key;
      hub.publish(ACCOUNT_TOPIC, pnl, { snapshot: [risk, pnl] });
      hub.publish(ACCOUNT_TOPIC, risk, { snapshot: [risk, pnl] });
    }
  }

  /** A topic became active: its snapshot is the current state (positions of its symbols; risk and P&L). */
  private activate(topic: string): void {
    const symbols = parsePositionsTopic(topic);
    if (symbols === null && topic !== ACCOUNT_TOPIC) return;
    const [positions, risk, pnl] = this.snapshot(symbols ?? undefined);
    if (topic === ACCOUNT_TOPIC) {
      void this.deps.hub.setSnapshot(topic, [risk, pnl]);
      return;
    }
    this.lastPositions.set(topic, JSON.stringify(positions.data.positions));
    void this.deps.hub.setSnapshot(topic, [positions]);
  }

  private scheduleRefresh(): void {
    if (this.pendingRefresh) return;
    this.pendingRefresh = setImmediate(() => {
      this.pendingRefresh = undefined;
      this.safely(() => this.refresh());
    });
  }

  private safely(fn: () => void): void {
    try {
      fn();
      this.ctx?.update();
    } catch (err) {
      this.ctx?.error(err);
    }
  }
}

/** Query `symbols`: undefined when absent (all symbols), the deduplicated list, or an error naming the problem. */
export function parseSymbolsQuery(raw: string | null, hasSymbol: (s: string) => boolean): { ok: true; symbols: string[] | undefined } | { ok: false; code: 'INVALID_MESSAGE' | 'UNKNOWN_SYMBOL'; message: string } {
  if (raw === null) return { ok: true, symbols: undefined };
  const list = [...new Set(raw.split(',').map((s) => s.trim()))];
  if (list.length === 0 || list.some((s) => s === '')) return { ok: false, code: 'INVALID_MESSAGE', message: 'symbols must be a comma-separated list of tickers, e.g. AAPL,BTC-USD' };
  if (list.length > MAX_SYMBOLS) return { ok: false, code: 'INVALID_MESSAGE', message: `at most ${MAX_SYMBOLS} symbols` };
  const malformed = list.filter((s) => !validateTickerSymbol(s));
  if (malformed.length) return { ok: false, code: 'INVALID_MESSAGE', message: `malformed symbol(s) ${malformed.map((s) => JSON.stringify(s)).join(', ')} (schema TickerSymbol)` };
  const unknown = list.filter((s) => !hasSymbol(s));
  if (unknown.length) return { ok: false, code: 'UNKNOWN_SYMBOL', message: `Unknown symbol(s) ${unknown.join(', ')}` };
  return { ok: true, symbols: list };
}

export function liveTradingWsEndpoint(deps: {
  source: Pick<MarketSource, 'hasSymbol' | 'symbols'>;
}): Endpoint<{ symbols: string[] | undefined; since: SinceMap }> {
  const handlers: LiveTradingStreamHandlers<ConnectionContext> = { ...pingHandlers<ConnectionContext>(), ...authHandlers((e) => streamError(e)) };
  return {
    id: liveTradingStreamEndpoint.id,
    inbound: liveTradingStreamEndpoint.inbound,
    outbound: liveTradingStreamEndpoint.outboundStrict,
    match(pathname, query) {
      if (pathname !== liveTradingStreamEndpoint.address) return null;
      const parsed = parseSymbolsQuery(query.get('symbols'), (s) => deps.source.hasSymbol(s));
      if (!parsed.ok) return { ok: false, error: { code: parsed.code, message: parsed.message, field: 'symbols' }, close: 'BAD_REQUEST' };
      const since = sinceFromQuery(query);
      if (!since.ok) return { ok: false, error: { code: 'INVALID_MESSAGE', message: since.message, field: 'since' }, close: 'BAD_REQUEST' };
      return { ok: true, params: { symbols: parsed.symbols, since: since.since } };
    },
    errorMessage: (error) => streamError(error),
    /**
     * `connected` (with each topic's position), then the snapshot of what was not recovered (positions; risk and
     * P&L), then live updates. Orders and executions have no snapshot: they are recovered from history or missed.
     */
    async open(ctx, { symbols, since }) {
      // Account (P&L, risk) and positions first: under a tight subscription cap the per-symbol order topics are what
      // is left out, and `not_subscribed` names them.
      const topics = [ACCOUNT_TOPIC, positionsTopic(symbols), ...(symbols ?? [ALL]).map(ordersTopic)];
      // Private as a whole: without a token (AUTH=jwt) error UNAUTHORIZED and close 4503; not covered, 4504.
      if (!(await admit(ctx, topics, (e) => streamError(e)))) return;
      const result = await subscribeAll(ctx, topics, since);
      const positionsState = Object.keys(result.positions).length ? { positions: result.positions } : {};
      ctx.send(connectedMessage({ stream: 'live-trading', message: 'Connected to live trading stream', symbols: symbols ?? [...deps.source.symbols()], ...positionsState, ...notSubscribed(result) } as ConnectedData));
      sendSnapshots(ctx, result, [positionsTopic(symbols), ACCOUNT_TOPIC]);
    },
    handle: (message, ctx) => dispatchLiveTradingStream(handlers, message as LiveTradingStreamInbound, ctx),
  };
}
