// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/**
 * Ticker: upper-case letters and digits, optionally joined by "." or "-" (AAPL, BRK.B, BTC-USD).
 */
export type TickerSymbol = string;
/**
 * Bar resolution in minutes, or D for one exchange session.
 */
export type Resolution = '1' | '5' | '15' | '30' | '60' | 'D';
/**
 * A bars topic, `bars:<SYMBOL>:<RES>`.
 */
export type BarsTopic = string;
/**
 * Backtest run id.
 */
export type BacktestId = string;
/**
 * Client-chosen correlation id; the reply echoes it.
 */
export type RequestId = string;
/**
 * ISO-8601 UTC timestamp.
 */
export type Timestamp = string;
/**
 * Epoch milliseconds UTC.
 */
export type EpochMs = number;
export type Side = 'BUY' | 'SELL';
export type SignalType = 'BUY' | 'SELL' | 'HOLD';
/**
 * Stable, machine-readable error code (see the error code table). An open list: a minor version may add codes,
 * so treat a code you do not know as a failure of that request (like INTERNAL_ERROR).
 *
 */
export type ErrorCode = 'INVALID_JSON' | 'BINARY_NOT_SUPPORTED' | 'UNKNOWN_TYPE' | 'INVALID_MESSAGE' | 'UNKNOWN_SYMBOL' | 'SUBSCRIPTION_LIMIT' | 'UNKNOWN_STREAM' | 'UNKNOWN_BACKTEST' | 'BACKTEST_FAILED' | 'INTERNAL_ERROR' | 'UNAVAILABLE' | 'FORBIDDEN' | 'UNAUTHORIZED' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'HISTORY_UNAVAILABLE';
/**
 * A dashboard stream name; stream `prices` is hub topic `dashboard:prices`, and so on.
 */
export type DashboardStream = 'prices' | 'signals' | 'trades' | 'portfolio';
/**
 * The hub topic a publication was published on, and the key of SinceMap and PositionsMap. Topics:
 * `bars:<SYMBOL>:<RES>` (/api/v1/ws); `dashboard:prices`, `dashboard:signals`, `dashboard:trades`,
 * `dashboard:portfolio` (/ws); `backtest:<backtest_id>`; `live-trading:orders:<SYMBOL>` (or
 * `live-trading:orders:*` when the stream has no `symbols`), `live-trading:positions:<SYMBOLS>` (the stream's
 * sorted, comma-joined symbols, or `*`), `live-trading:account`; `market-data:<SYMBOL>:<RES>`. A client treats
 * it as an opaque name: it reads it from pushes and positions and sends it back in `since`.
 *
 */
export type HubTopic = string;
/**
 * The publication's offset on its topic (`topic`): 1, 2, 3... with no gap within one epoch. Present on every
 * message pushed on a topic (live or replayed); absent on snapshots sent to one client, whose position is the
 * `asOf` of the subscription.
 *
 */
export type PublicationSeq = number;
/**
 * Why a subscribe that gave `since` was not recovered. `epoch`: the topic's epoch is not `since.epoch` (its
 * history was lost or reset). `expired`: history no longer holds every publication after `since.offset`
 * (trimmed by count or age), or `since.offset` is ahead of the topic. `limit`: more publications were missed
 * than the server replays (default 1000).
 *
 */
export type RecoveryReason = 'epoch' | 'expired' | 'limit';
/**
 * Server → client: the topics this request (or the connection, at connect) asked for and did NOT get, each with
 * the reason's error code (SUBSCRIPTION_LIMIT: the per-connection cap WEBSOCKET_MAX_SUBSCRIPTIONS was reached).
 * Absent when every topic was subscribed. An endpoint never drops a topic silently.
 *
 */
export type NotSubscribed = {
    topic: HubTopic;
    code: ErrorCode;
}[];
/**
 * Price levels per side of a book topic.
 */
export type BookDepth = '5' | '10' | '20' | '50';
/**
 * The kind of a market topic: `quotes:<SYMBOL>`, `trades:<SYMBOL>`, `book:<SYMBOL>:<DEPTH>`.
 */
export type MarketChannel = 'quotes' | 'trades' | 'book';
/**
 * A quotes, trades or book topic.
 */
export type MarketTopic = string;
/**
 * [price, size]; in an update, size 0 removes the level.
 *
 * @minItems 2
 * @maxItems 2
 */
export type BookLevel = [number, number];
/**
 * A position in one topic's stream: `epoch` names this copy of the topic's history (it changes whenever that
 * history is lost, and an offset is never compared across epochs); `offset` is the offset of the last
 * publication included (0 before the first).
 *
 */
export interface StreamPosition {
    /**
     * Opaque; compare for equality only.
     */
    epoch: string;
    /**
     * The last publication included (a `seq`); 0 = none yet.
     */
    offset: number;
}
/**
 * The state of one topic after a subscribe. `asOf`: the position the client is current to once the replay is
 * done (recovered) or once the snapshot that follows has been applied (not recovered); apply later updates
 * with `seq > asOf.offset` only. `recovered`: true only when `since` was given and every publication after it
 * is replayed (in order, before any live one). `reason`: why not, when `since` was given and `recovered` is
 * false.
 *
 */
export interface SubscriptionState {
    asOf: StreamPosition;
    recovered: boolean;
    reason?: RecoveryReason;
}
/**
 * Client → server: per hub topic, the last position the client holds (the epoch of its `asOf` and the last
 * `seq` applied). Entries for topics the request does not subscribe are ignored. Sent in `subscribe` on /ws,
 * and as the `since` query parameter (URL-encoded JSON) of /ws and the stream endpoints.
 *
 */
export interface SinceMap {
    [k: string]: StreamPosition | undefined;
}
/**
 * Server → client, per hub topic subscribed by this request (or at connect), its SubscriptionState.
 */
export interface PositionsMap {
    [k: string]: SubscriptionState | undefined;
}
/**
 * One OHLCV bar. `time` is the start of the bar's period (epoch ms UTC).
 */
export interface Bar {
    time: EpochMs;
    open: number;
    high: number;
    low: number;
    close: number;
    volume: number;
}
export interface BarsSubscriptionRequest {
    symbol: TickerSymbol;
    resolution?: Resolution;
}
/**
 * A bars subscribe. `since`: recover from a position the client holds on this topic (the epoch of its `asOf`
 * and the last `seq` it applied).
 *
 */
export interface BarsSubscribeRequest {
    symbol: TickerSymbol;
    resolution?: Resolution;
    since?: StreamPosition;
}
export interface SubscriptionResponse {
    /**
     * Always `ok` from this server (failures are replied with an `error` message).
     */
    status: 'ok' | 'error';
    message: string;
    topic: BarsTopic;
}
/**
 * A bars subscribe's outcome: the topic and its SubscriptionState fields (`asOf`, `recovered`, `reason`).
 * Recovered: the missed `bars.update`s follow in order, then live ones. Not recovered: the current bar follows
 * (no `seq`; when one exists), then updates with `seq > asOf.offset`.
 *
 */
export interface BarsSubscribeResult {
    /**
     * Always `ok` from this server (failures are replied with an `error` message).
     */
    status: 'ok' | 'error';
    message: string;
    topic: BarsTopic;
    asOf: StreamPosition;
    recovered: boolean;
    reason?: RecoveryReason;
}
export interface ErrorPayload {
    code: ErrorCode;
    /**
     * Human-readable; names the problem.
     */
    message: string;
    /**
     * JSON pointer of the offending field, for INVALID_MESSAGE (e.g. /payload/resolution).
     */
    field?: string;
}
export interface BarsSubscribeMessage {
    type: 'bars.subscribe';
    id?: RequestId;
    payload: BarsSubscribeRequest;
}
export interface BarsUnsubscribeMessage {
    type: 'bars.unsubscribe';
    id?: RequestId;
    payload: BarsSubscriptionRequest;
}
export interface BarsSubscribeResponseMessage {
    type: 'bars.subscribe.response';
    id?: RequestId;
    payload: BarsSubscribeResult;
}
export interface BarsUnsubscribeResponseMessage {
    type: 'bars.unsubscribe.response';
    id?: RequestId;
    payload: SubscriptionResponse;
}
export interface BarsUpdateMessage {
    type: 'bars.update';
    topic: BarsTopic;
    seq?: PublicationSeq;
    payload: Bar;
}
/**
 * A history window, TradingView `getBars` style, in epoch milliseconds. Bars with `from <= time < to`, oldest
 * first. `countBack` (TradingView: "has priority over from") asks for exactly that many bars ending before
 * `to`, however far back they are (then `from` is ignored). Without `countBack`, `from` is required. At most
 * 5000 bars per request (`countBack` above it is refused; a wider `from`..`to` window is answered with its
 * newest 5000 bars and `truncated: true`).
 *
 */
export interface BarsHistoryRequest {
    symbol: TickerSymbol;
    resolution?: Resolution;
    from?: EpochMs;
    to: EpochMs;
    /**
     * Bars wanted, ending before `to` (1-5000).
     */
    countBack?: number;
}
/**
 * Bars in time order, on the same bucket boundaries as the live `bars:<SYMBOL>:<RES>` topic. When `to` is past
 * the start of the forming bar, that bar (as the live topic last published it) is the last one, so a chart
 * that draws the history and then applies live `bars.update`s by `time` sees no seam. `noData: true` when no
 * bar is in the window: with `nextTime` = the `time` of the newest bar before the window (ask again with
 * `to = nextTime + 1`), or without it when there is nothing earlier at all (stop asking). `truncated: true`
 * when the window held more than 5000 bars: the newest are sent; ask again with `to = bars[0].time` for older.
 *
 */
export interface BarsHistoryResult {
    symbol: TickerSymbol;
    resolution: Resolution;
    /**
     * @maxItems 5000
     */
    bars: Bar[];
    noData: boolean;
    nextTime?: EpochMs;
    truncated?: boolean;
}
export interface BarsHistoryMessage {
    type: 'bars.history';
    id?: RequestId;
    payload: BarsHistoryRequest;
}
export interface BarsHistoryResponseMessage {
    type: 'bars.history.response';
    id?: RequestId;
    payload: BarsHistoryResult;
}
/**
 * A quotes, trades or book subscribe. `depth` only for `book` (default "10"). `since`: recover from a position
 * held on this topic, exactly as `bars.subscribe` does.
 *
 */
export interface MarketSubscribeRequest {
    channel: MarketChannel;
    symbol: TickerSymbol;
    depth?: BookDepth;
    since?: StreamPosition;
}
export interface MarketUnsubscribeRequest {
    channel: MarketChannel;
    symbol: TickerSymbol;
    depth?: BookDepth;
}
/**
 * A market subscribe's outcome, as BarsSubscribeResult (topic, asOf, recovered, reason).
 */
export interface MarketSubscribeResult {
    status: 'ok' | 'error';
    message: string;
    topic: MarketTopic;
    asOf: StreamPosition;
    recovered: boolean;
    reason?: RecoveryReason;
}
export interface MarketUnsubscribeResult {
    status: 'ok' | 'error';
    message: string;
    topic: MarketTopic;
}
/**
 * Best bid and ask (price and size) and the last trade; `time` of the latest change (epoch ms).
 */
export interface QuoteData {
    time: EpochMs;
    bid: number;
    bid_size: number;
    ask: number;
    ask_size: number;
    last: number;
    last_size: number;
}
/**
 * One trade (a print of the tape). `side`: the aggressor (`buy` lifted the ask, `sell` hit the bid), `unknown`
 * when the source cannot tell. `id` is unique per symbol and increasing.
 *
 */
export interface TradeData {
    id: number;
    time: EpochMs;
    price: number;
    size: number;
    side: 'buy' | 'sell' | 'unknown';
}
/**
 * The top levels (bids descending, asks ascending) current to position `u`.
 */
export interface BookSnapshotData {
    /**
     * The book's position; the next update has u + 1.
     */
    u: number;
    time: EpochMs;
    /**
     * @maxItems 50
     */
    bids: BookLevel[];
    /**
     * @maxItems 50
     */
    asks: BookLevel[];
}
/**
 * The levels that changed since position u - 1 (size 0 = removed).
 */
export interface BookUpdateData {
    u: number;
    time: EpochMs;
    bids: BookLevel[];
    asks: BookLevel[];
}
export interface MarketSubscribeMessage {
    type: 'market.subscribe';
    id?: RequestId;
    payload: MarketSubscribeRequest;
}
export interface MarketUnsubscribeMessage {
    type: 'market.unsubscribe';
    id?: RequestId;
    payload: MarketUnsubscribeRequest;
}
export interface MarketSubscribeResponseMessage {
    type: 'market.subscribe.response';
    id?: RequestId;
    payload: MarketSubscribeResult;
}
export interface MarketUnsubscribeResponseMessage {
    type: 'market.unsubscribe.response';
    id?: RequestId;
    payload: MarketUnsubscribeResult;
}
export interface QuotesUpdateMessage {
    type: 'quotes.update';
    topic: MarketTopic;
    seq?: PublicationSeq;
    payload: QuoteData;
}
export interface TradesUpdateMessage {
    type: 'trades.update';
    topic: MarketTopic;
    seq?: PublicationSeq;
    payload: TradeData;
}
export interface TradesSnapshotMessage {
    type: 'trades.snapshot';
    topic: MarketTopic;
    payload: {
        /**
         * Oldest first.
         *
         * @maxItems 50
         */
        trades: TradeData[];
    };
}
export interface BookSnapshotMessage {
    type: 'book.snapshot';
    topic: MarketTopic;
    payload: BookSnapshotData;
}
export interface BookUpdateMessage {
    type: 'book.update';
    topic: MarketTopic;
    seq?: PublicationSeq;
    payload: BookUpdateData;
}
export interface OperationErrorMessage {
    type: 'error';
    id?: RequestId;
    payload: ErrorPayload;
}
export interface PriceData {
    /**
     * Last price.
     */
    price: number;
    /**
     * Price minus the previous session close.
     */
    change: number;
    /**
     * Change in percent of the previous close, 2 decimals.
     */
    change_pct: number;
}
export interface PriceUpdateMessage {
    type: 'price_update';
    seq?: PublicationSeq;
    topic?: HubTopic;
    /**
     * Only the symbols whose price changed since the last update.
     */
    symbols: {
        [k: string]: PriceData | undefined;
    };
    timestamp: Timestamp;
}
export interface SignalMessage {
    type: 'signal';
    seq?: PublicationSeq;
    topic?: HubTopic;
    signal_type: SignalType;
    symbol: TickerSymbol;
    price: number;
    confidence: number;
    timestamp: Timestamp;
    /**
     * The strategy that produced the signal.
     */
    strategy_id?: string;
    /**
     * Why, in words.
     */
    reason?: string;
}
export interface TradeExecutedMessage {
    type: 'trade_executed';
    seq?: PublicationSeq;
    topic?: HubTopic;
    symbol: TickerSymbol;
    side: Side;
    quantity: number;
    price: number;
    timestamp: Timestamp;
    order_id?: string;
    /**
     * Unique per execution; a fill is published once.
     */
    execution_id?: string;
    commission?: number;
}
export interface PortfolioPosition {
    symbol: TickerSymbol;
    /**
     * Signed; negative is short.
     */
    quantity: number;
    avg_price: number;
    market_price: number;
    market_value: number;
    unrealized_pnl: number;
    realized_pnl: number;
}
export interface PortfolioSnapshot {
    positions: PortfolioPosition[];
    cash: number;
    /**
     * Cash plus market value of all positions.
     */
    equity: number;
    unrealized_pnl: number;
    realized_pnl: number;
    total_pnl: number;
    /**
     * Equity change since the start of the trading day.
     */
    daily_pnl: number;
}
export interface PortfolioUpdateMessage {
    type: 'portfolio_update';
    seq?: PublicationSeq;
    topic?: HubTopic;
    positions: PortfolioPosition[];
    cash: number;
    equity: number;
    unrealized_pnl: number;
    realized_pnl: number;
    total_pnl: number;
    daily_pnl: number;
    timestamp: Timestamp;
}
/**
 * `since`: recover these streams from the positions held, keyed by hub topic (`dashboard:prices`...).
 */
export interface DashboardSubscribeMessage {
    type: 'subscribe';
    id?: RequestId;
    /**
     * @minItems 1
     */
    streams: [string, ...string[]];
    since?: SinceMap;
}
export interface DashboardUnsubscribeMessage {
    type: 'unsubscribe';
    id?: RequestId;
    /**
     * @minItems 1
     */
    streams: [string, ...string[]];
}
/**
 * `positions`: the state of each stream subscribed by this request (or at connect), keyed by hub topic
 * (`dashboard:prices`...). Absent on an unsubscribe reply.
 *
 */
export interface DashboardSubscriptionsMessage {
    type: 'subscriptions';
    id?: RequestId;
    /**
     * The streams this connection now receives.
     */
    streams: DashboardStream[];
    positions?: PositionsMap;
    not_subscribed?: NotSubscribed;
}
export interface DashboardErrorMessage {
    type: 'error';
    id?: RequestId;
    code: ErrorCode;
    message: string;
    field?: string;
}
/**
 * `positions`: the state of each topic this stream subscribed at connect, keyed by hub topic.
 */
export interface ConnectedData {
    stream: 'backtest' | 'live-trading' | 'market-data';
    message: string;
    backtest_id?: BacktestId;
    status?: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
    symbols?: TickerSymbol[];
    symbol?: TickerSymbol;
    resolution?: Resolution;
    positions?: PositionsMap;
    not_subscribed?: NotSubscribed;
}
export interface StreamConnectedMessage {
    type: 'connected';
    timestamp: Timestamp;
    data: ConnectedData;
}
export interface BacktestMetrics {
    /**
     * Fraction: 0.12 = +12%.
     */
    total_return: number;
    /**
     * Fraction of peak equity, >= 0.
     */
    max_drawdown: number;
    /**
     * Annualized, risk-free rate 0.
     */
    sharpe_ratio: number;
    /**
     * Winning closed trades / closed trades (0..1).
     */
    win_rate: number;
    /**
     * Closed round trips.
     */
    num_trades: number;
    /**
     * Gross profit / gross loss; null when there is no loss.
     */
    profit_factor: number | null;
    final_equity: number;
    /**
     * The benchmark: the initial capital bought at the first candle's open (same slippage and fee as an entry),
     * held to the end and marked at the last close (no exit fee). Fraction: 0.12 = +12%.
     *
     */
    buy_and_hold_return?: number;
    /**
     * total_return − buy_and_hold_return.
     */
    excess_return?: number;
    /**
     * Fees paid on every entry and exit so far (each trade carries its own `fee`).
     */
    total_fees?: number;
}
export interface ProgressData {
    /**
     * Candles processed so far.
     */
    processed: number;
    total: number;
    pct: number;
    equity: number;
    current_time?: EpochMs;
    num_trades?: number;
}
export interface BacktestProgressMessage {
    type: 'progress';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: ProgressData;
}
export interface BacktestTradeData {
    action: 'entry' | 'exit';
    side: Side;
    symbol: TickerSymbol;
    price: number;
    quantity: number;
    time: EpochMs;
    /**
     * Realized P&L of the round trip (exits only).
     */
    pnl?: number;
    fee?: number;
    reason?: string;
    strategy_id?: string;
}
export interface BacktestTradeMessage {
    type: 'trade';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: BacktestTradeData;
}
export interface EquityPoint {
    time: EpochMs;
    equity: number;
    /**
     * Fraction below the running peak.
     */
    drawdown: number;
    /**
     * The buy-and-hold benchmark's equity at the same candle (see BacktestMetrics.buy_and_hold_return).
     */
    benchmark?: number;
}
export interface BacktestEquityMessage {
    type: 'equity';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: EquityPoint;
}
export interface BacktestMetricsMessage {
    type: 'metrics';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: BacktestMetrics;
}
export interface BacktestResult {
    backtest_id: BacktestId;
    status: 'completed';
    metrics: BacktestMetrics;
    num_candles: number;
    duration_ms: number;
    /**
     * Downsampled equity curve.
     */
    equity_curve?: EquityPoint[];
}
export interface BacktestCompleteMessage {
    type: 'complete';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: BacktestResult;
}
export interface StreamErrorMessage {
    type: 'error';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: ErrorPayload;
}
export interface StreamPingMessage {
    type: 'ping';
    timestamp?: Timestamp;
    /**
     * Ignored; echoed nowhere.
     */
    data?: {};
}
/**
 * Client → server on any endpoint. `token` is a JWT (AUTH=jwt); with AUTH=none it is ignored.
 */
export interface AuthMessage {
    type: 'auth';
    id?: RequestId;
    token: string;
}
/**
 * `sub`: the identity the connection now has; `expires_at`: when its token expires (absent with AUTH=none).
 * `revoked`: topics the connection was subscribed to that the new token does not cover (they were dropped).
 *
 */
export interface AuthenticatedData {
    sub?: string;
    expires_at?: Timestamp;
    revoked?: HubTopic[];
}
export interface AuthenticatedMessage {
    type: 'authenticated';
    id?: RequestId;
    timestamp: Timestamp;
    data: AuthenticatedData;
}
export interface TokenExpiringMessage {
    type: 'token_expiring';
    timestamp: Timestamp;
    data: {
        expires_at: Timestamp;
        /**
         * Seconds left before the connection is closed with 4007.
         */
        expires_in: number;
    };
}
export interface StreamPongMessage {
    type: 'pong';
    timestamp: Timestamp;
    data: {};
}
export interface LivePosition {
    symbol: TickerSymbol;
    quantity: number;
    avg_price: number;
    market_price: number;
    unrealized_pnl: number;
    realized_pnl: number;
}
export interface PositionUpdateMessage {
    type: 'position_update';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: {
        positions: LivePosition[];
    };
}
export interface OrderData {
    order_id: string;
    symbol: TickerSymbol;
    side: Side;
    quantity: number;
    type: 'MKT' | 'LMT';
    limit_price?: number;
    status: 'submitted' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected';
    filled_quantity: number;
    avg_fill_price?: number;
    created_at: Timestamp;
    reason?: string;
}
export interface OrderUpdateMessage {
    type: 'order_update';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: OrderData;
}
export interface ExecutionData {
    execution_id: string;
    order_id: string;
    symbol: TickerSymbol;
    side: Side;
    quantity: number;
    price: number;
    commission: number;
    timestamp: Timestamp;
}
export interface OrderExecutionMessage {
    type: 'order_execution';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: ExecutionData;
}
export interface RiskData {
    /**
     * Sum of absolute market values.
     */
    gross_exposure: number;
    /**
     * Sum of signed market values.
     */
    net_exposure: number;
    /**
     * gross_exposure / equity.
     */
    leverage: number;
    /**
     * Largest absolute position as percent of equity.
     */
    largest_position_pct: number;
    equity: number;
    /**
     * Fraction below the session's equity peak.
     */
    drawdown: number;
}
export interface RiskUpdateMessage {
    type: 'risk_update';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: RiskData;
}
export interface PnlData {
    realized_pnl: number;
    unrealized_pnl: number;
    total_pnl: number;
    daily_pnl: number;
}
export interface PnlUpdateMessage {
    type: 'pnl_update';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: PnlData;
}
export interface CandleData {
    symbol: TickerSymbol;
    resolution: Resolution;
    /**
     * true once the bar's period has ended; the bar is final.
     */
    closed: boolean;
    bar: Bar;
}
export interface MarketCandleMessage {
    type: 'candle';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: CandleData;
}
export interface PatternData {
    symbol: TickerSymbol;
    resolution: Resolution;
    /**
     * bullish/bearish_engulfing: the body of the closed bar fully covers the opposite-colored body before it.
     * doji: body <= 10% of the range. hammer: lower wick >= 2x body and upper wick <= body, after a decline.
     * shooting_star: upper wick >= 2x body and lower wick <= body, after an advance.
     *
     */
    pattern: 'bullish_engulfing' | 'bearish_engulfing' | 'doji' | 'hammer' | 'shooting_star';
    direction: 'bullish' | 'bearish' | 'neutral';
    time: EpochMs;
    /**
     * engulfing: 1 - previous body / this body; doji: 1 - 5 x body / range; hammer and shooting_star: wick / range.
     */
    strength: number;
}
export interface MarketPatternMessage {
    type: 'pattern';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: PatternData;
}
export interface SwingPoint {
    time: EpochMs;
    price: number;
}
export interface StructureData {
    symbol: TickerSymbol;
    resolution: Resolution;
    /**
     * up = higher highs and higher lows over the last two swings; down = lower both; else range.
     */
    trend: 'up' | 'down' | 'range';
    /**
     * Most recent confirmed swing highs (a high above the N bars either side), newest last.
     */
    swing_highs: SwingPoint[];
    swing_lows: SwingPoint[];
}
export interface MarketStructureMessage {
    type: 'market_structure';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: StructureData;
}
export interface ConfluenceData {
    symbol: TickerSymbol;
    resolution: Resolution;
    /**
     * Weighted sum of the components, -100 (all bearish) to +100 (all bullish).
     */
    score: number;
    bias: 'bullish' | 'bearish' | 'neutral';
    /**
     * Each component in -1..1 with its weight in the score.
     */
    components: {
        /**
         * Market structure trend (weight 0.3).
         */
        trend: number;
        /**
         * RSI(14) read as mean reversion, (50 - RSI) / 50: oversold (RSI 0) = +1, overbought (RSI 100) = -1 (weight 0.25).
         */
        momentum: number;
        /**
         * SMA(10) vs SMA(30) gap, full scale at 0.5% (weight 0.25).
         */
        moving_average: number;
        /**
         * Latest pattern within 5 candles, direction x strength (weight 0.2).
         */
        pattern: number;
    };
}
export interface MarketConfluenceMessage {
    type: 'confluence';
    seq?: PublicationSeq;
    topic?: HubTopic;
    timestamp: Timestamp;
    data: ConfluenceData;
}
