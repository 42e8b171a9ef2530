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
export type ErrorCode = 'INVALID_JSON' | 'BINARY_NOT_SUPPORTED' | 'UNKNOWN_TYPE' | 'INVALID_MESSAGE' | 'UNKNOWN_SYMBOL' | 'SUBSCRIPTION_LIMIT' | 'UNKNOWN_STREAM' | 'UNKNOWN_BACKTEST' | 'BACKTEST_FAILED' | 'INTERNAL_ERROR' | 'UNAVAILABLE' | 'FORBIDDEN' | 'UNAUTHORIZED' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED';
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
