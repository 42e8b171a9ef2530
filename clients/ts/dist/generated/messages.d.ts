// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import type * as T from './types.js';
import * as V from './validators.js';
import type { ValidatorTable } from './runtime.js';
/** A handler may answer synchronously or with a promise. */
export type Reply<R> = R | Promise<R>;
/** Every message `type` of the contract, by component message name. */
export declare const MessageTypes: {
    readonly barsSubscribe: "bars.subscribe";
    readonly barsUnsubscribe: "bars.unsubscribe";
    readonly barsSubscribeResponse: "bars.subscribe.response";
    readonly barsUnsubscribeResponse: "bars.unsubscribe.response";
    readonly barsUpdate: "bars.update";
    readonly barsHistory: "bars.history";
    readonly barsHistoryResponse: "bars.history.response";
    readonly marketSubscribe: "market.subscribe";
    readonly marketUnsubscribe: "market.unsubscribe";
    readonly marketSubscribeResponse: "market.subscribe.response";
    readonly marketUnsubscribeResponse: "market.unsubscribe.response";
    readonly quotesUpdate: "quotes.update";
    readonly tradesUpdate: "trades.update";
    readonly tradesSnapshot: "trades.snapshot";
    readonly bookSnapshot: "book.snapshot";
    readonly bookUpdate: "book.update";
    readonly operationError: "error";
    readonly dashboardSubscribe: "subscribe";
    readonly dashboardUnsubscribe: "unsubscribe";
    readonly dashboardSubscriptions: "subscriptions";
    readonly priceUpdate: "price_update";
    readonly signal: "signal";
    readonly tradeExecuted: "trade_executed";
    readonly portfolioUpdate: "portfolio_update";
    readonly dashboardError: "error";
    readonly streamConnected: "connected";
    readonly backtestProgress: "progress";
    readonly backtestTrade: "trade";
    readonly backtestEquity: "equity";
    readonly backtestMetrics: "metrics";
    readonly backtestComplete: "complete";
    readonly streamError: "error";
    readonly streamPing: "ping";
    readonly streamPong: "pong";
    readonly auth: "auth";
    readonly authenticated: "authenticated";
    readonly tokenExpiring: "token_expiring";
    readonly positionUpdate: "position_update";
    readonly orderUpdate: "order_update";
    readonly orderExecution: "order_execution";
    readonly riskUpdate: "risk_update";
    readonly pnlUpdate: "pnl_update";
    readonly marketCandle: "candle";
    readonly marketPattern: "pattern";
    readonly marketStructure: "market_structure";
    readonly marketConfluence: "confluence";
};
/** Messages a client may send on /api/v1/ws. */
export type OperationEndpointInbound = T.BarsSubscribeMessage | T.BarsUnsubscribeMessage | T.BarsHistoryMessage | T.MarketSubscribeMessage | T.MarketUnsubscribeMessage | T.StreamPingMessage | T.AuthMessage;
/** Messages the server sends on /api/v1/ws. */
export type OperationEndpointOutbound = T.BarsSubscribeResponseMessage | T.BarsUnsubscribeResponseMessage | T.BarsUpdateMessage | T.OperationErrorMessage | T.BarsHistoryResponseMessage | T.MarketSubscribeResponseMessage | T.MarketUnsubscribeResponseMessage | T.QuotesUpdateMessage | T.TradesUpdateMessage | T.TradesSnapshotMessage | T.BookSnapshotMessage | T.BookUpdateMessage | T.StreamPongMessage | T.AuthenticatedMessage | T.TokenExpiringMessage;
/** Validators of inbound messages, keyed by `type`. */
export declare const operationEndpointInbound: ValidatorTable;
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export declare const operationEndpointOutbound: ValidatorTable;
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export declare const operationEndpointOutboundStrict: ValidatorTable;
/** Handlers for every inbound message of /api/v1/ws; each returns the operation's reply. */
export interface OperationEndpointHandlers<Ctx> {
    /** Client request to receive bar updates of one symbol at one resolution. */
    'bars.subscribe'(message: T.BarsSubscribeMessage, ctx: Ctx): Reply<T.BarsSubscribeResponseMessage | T.OperationErrorMessage>;
    /** Client request to stop receiving a bars topic. */
    'bars.unsubscribe'(message: T.BarsUnsubscribeMessage, ctx: Ctx): Reply<T.BarsUnsubscribeResponseMessage | T.OperationErrorMessage>;
    /** Client request for historical bars of one symbol at one resolution (a chart's backfill and scroll-back). */
    'bars.history'(message: T.BarsHistoryMessage, ctx: Ctx): Reply<T.BarsHistoryResponseMessage | T.OperationErrorMessage>;
    /** Client request to receive `quotes:<SYMBOL>`, `trades:<SYMBOL>` or `book:<SYMBOL>:<DEPTH>`. */
    'market.subscribe'(message: T.MarketSubscribeMessage, ctx: Ctx): Reply<T.MarketSubscribeResponseMessage | T.OperationErrorMessage>;
    /** Client request to stop a quotes, trades or book topic. Idempotent. */
    'market.unsubscribe'(message: T.MarketUnsubscribeMessage, ctx: Ctx): Reply<T.MarketUnsubscribeResponseMessage | T.OperationErrorMessage>;
    /** Client heartbeat on any endpoint; answered with pong. */
    'ping'(message: T.StreamPingMessage, ctx: Ctx): Reply<T.StreamPongMessage>;
    /** Present a token (a fresh one before the current expires, or a first one on an anonymous connection). */
    'auth'(message: T.AuthMessage, ctx: Ctx): Reply<T.AuthenticatedMessage | T.OperationErrorMessage>;
}
/** Routes a validated inbound message to its handler. */
export declare function dispatchOperationEndpoint<Ctx>(handlers: OperationEndpointHandlers<Ctx>, message: OperationEndpointInbound, ctx: Ctx): Reply<T.BarsSubscribeResponseMessage | T.OperationErrorMessage | T.BarsUnsubscribeResponseMessage | T.BarsHistoryResponseMessage | T.MarketSubscribeResponseMessage | T.MarketUnsubscribeResponseMessage | T.StreamPongMessage | T.AuthenticatedMessage | void>;
export declare const operationEndpointEndpoint: {
    readonly id: "operationEndpoint";
    readonly address: "/api/v1/ws";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
};
/** Messages a client may send on /ws. */
export type DashboardInbound = T.DashboardSubscribeMessage | T.DashboardUnsubscribeMessage | T.StreamPingMessage | T.AuthMessage;
/** Messages the server sends on /ws. */
export type DashboardOutbound = T.DashboardSubscriptionsMessage | T.PriceUpdateMessage | T.SignalMessage | T.TradeExecutedMessage | T.PortfolioUpdateMessage | T.DashboardErrorMessage | T.StreamPongMessage | T.AuthenticatedMessage | T.TokenExpiringMessage;
/** Validators of inbound messages, keyed by `type`. */
export declare const dashboardInbound: ValidatorTable;
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export declare const dashboardOutbound: ValidatorTable;
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export declare const dashboardOutboundStrict: ValidatorTable;
/** Handlers for every inbound message of /ws; each returns the operation's reply. */
export interface DashboardHandlers<Ctx> {
    /** Receive the named streams (prices, signals, trades, portfolio). */
    'subscribe'(message: T.DashboardSubscribeMessage, ctx: Ctx): Reply<T.DashboardSubscriptionsMessage | T.DashboardErrorMessage>;
    /** Stop receiving the named streams. */
    'unsubscribe'(message: T.DashboardUnsubscribeMessage, ctx: Ctx): Reply<T.DashboardSubscriptionsMessage | T.DashboardErrorMessage>;
    /** Client heartbeat on any endpoint; answered with pong. */
    'ping'(message: T.StreamPingMessage, ctx: Ctx): Reply<T.StreamPongMessage>;
    /** Present a token (a fresh one before the current expires, or a first one on an anonymous connection). */
    'auth'(message: T.AuthMessage, ctx: Ctx): Reply<T.AuthenticatedMessage | T.DashboardErrorMessage>;
}
/** Routes a validated inbound message to its handler. */
export declare function dispatchDashboard<Ctx>(handlers: DashboardHandlers<Ctx>, message: DashboardInbound, ctx: Ctx): Reply<T.DashboardSubscriptionsMessage | T.DashboardErrorMessage | T.StreamPongMessage | T.AuthenticatedMessage | void>;
export declare const dashboardEndpoint: {
    readonly id: "dashboard";
    readonly address: "/ws";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
};
/** Messages a client may send on /api/ws/stream/backtest/{backtest_id}. */
export type BacktestStreamInbound = T.StreamPingMessage | T.AuthMessage;
/** Messages the server sends on /api/ws/stream/backtest/{backtest_id}. */
export type BacktestStreamOutbound = T.StreamConnectedMessage | T.BacktestProgressMessage | T.BacktestTradeMessage | T.BacktestEquityMessage | T.BacktestMetricsMessage | T.BacktestCompleteMessage | T.StreamErrorMessage | T.StreamPongMessage | T.AuthenticatedMessage | T.TokenExpiringMessage;
/** Validators of inbound messages, keyed by `type`. */
export declare const backtestStreamInbound: ValidatorTable;
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export declare const backtestStreamOutbound: ValidatorTable;
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export declare const backtestStreamOutboundStrict: ValidatorTable;
/** Handlers for every inbound message of /api/ws/stream/backtest/{backtest_id}; each returns the operation's reply. */
export interface BacktestStreamHandlers<Ctx> {
    /** Client heartbeat on any endpoint; answered with pong. */
    'ping'(message: T.StreamPingMessage, ctx: Ctx): Reply<T.StreamPongMessage>;
    /** Present a token (a fresh one before the current expires, or a first one on an anonymous connection). */
    'auth'(message: T.AuthMessage, ctx: Ctx): Reply<T.AuthenticatedMessage | T.StreamErrorMessage>;
}
/** Routes a validated inbound message to its handler. */
export declare function dispatchBacktestStream<Ctx>(handlers: BacktestStreamHandlers<Ctx>, message: BacktestStreamInbound, ctx: Ctx): Reply<T.StreamPongMessage | T.AuthenticatedMessage | T.StreamErrorMessage | void>;
export declare const backtestStreamEndpoint: {
    readonly id: "backtestStream";
    readonly address: "/api/ws/stream/backtest/{backtest_id}";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
};
/** Messages a client may send on /api/ws/stream/live-trading. */
export type LiveTradingStreamInbound = T.StreamPingMessage | T.AuthMessage;
/** Messages the server sends on /api/ws/stream/live-trading. */
export type LiveTradingStreamOutbound = T.StreamConnectedMessage | T.PositionUpdateMessage | T.OrderUpdateMessage | T.OrderExecutionMessage | T.RiskUpdateMessage | T.PnlUpdateMessage | T.StreamErrorMessage | T.StreamPongMessage | T.AuthenticatedMessage | T.TokenExpiringMessage;
/** Validators of inbound messages, keyed by `type`. */
export declare const liveTradingStreamInbound: ValidatorTable;
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export declare const liveTradingStreamOutbound: ValidatorTable;
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export declare const liveTradingStreamOutboundStrict: ValidatorTable;
/** Handlers for every inbound message of /api/ws/stream/live-trading; each returns the operation's reply. */
export interface LiveTradingStreamHandlers<Ctx> {
    /** Client heartbeat on any endpoint; answered with pong. */
    'ping'(message: T.StreamPingMessage, ctx: Ctx): Reply<T.StreamPongMessage>;
    /** Present a token (a fresh one before the current expires, or a first one on an anonymous connection). */
    'auth'(message: T.AuthMessage, ctx: Ctx): Reply<T.AuthenticatedMessage | T.StreamErrorMessage>;
}
/** Routes a validated inbound message to its handler. */
export declare function dispatchLiveTradingStream<Ctx>(handlers: LiveTradingStreamHandlers<Ctx>, message: LiveTradingStreamInbound, ctx: Ctx): Reply<T.StreamPongMessage | T.AuthenticatedMessage | T.StreamErrorMessage | void>;
export declare const liveTradingStreamEndpoint: {
    readonly id: "liveTradingStream";
    readonly address: "/api/ws/stream/live-trading";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
};
/** Messages a client may send on /api/ws/stream/market-data/{symbol}. */
export type MarketDataStreamInbound = T.StreamPingMessage | T.AuthMessage;
/** Messages the server sends on /api/ws/stream/market-data/{symbol}. */
export type MarketDataStreamOutbound = T.StreamConnectedMessage | T.MarketCandleMessage | T.MarketPatternMessage | T.MarketStructureMessage | T.MarketConfluenceMessage | T.StreamErrorMessage | T.StreamPongMessage | T.AuthenticatedMessage | T.TokenExpiringMessage;
/** Validators of inbound messages, keyed by `type`. */
export declare const marketDataStreamInbound: ValidatorTable;
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export declare const marketDataStreamOutbound: ValidatorTable;
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export declare const marketDataStreamOutboundStrict: ValidatorTable;
/** Handlers for every inbound message of /api/ws/stream/market-data/{symbol}; each returns the operation's reply. */
export interface MarketDataStreamHandlers<Ctx> {
    /** Client heartbeat on any endpoint; answered with pong. */
    'ping'(message: T.StreamPingMessage, ctx: Ctx): Reply<T.StreamPongMessage>;
    /** Present a token (a fresh one before the current expires, or a first one on an anonymous connection). */
    'auth'(message: T.AuthMessage, ctx: Ctx): Reply<T.AuthenticatedMessage | T.StreamErrorMessage>;
}
/** Routes a validated inbound message to its handler. */
export declare function dispatchMarketDataStream<Ctx>(handlers: MarketDataStreamHandlers<Ctx>, message: MarketDataStreamInbound, ctx: Ctx): Reply<T.StreamPongMessage | T.AuthenticatedMessage | T.StreamErrorMessage | void>;
export declare const marketDataStreamEndpoint: {
    readonly id: "marketDataStream";
    readonly address: "/api/ws/stream/market-data/{symbol}";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
};
/** Every WebSocket endpoint of the contract. */
export declare const endpoints: readonly [{
    readonly id: "operationEndpoint";
    readonly address: "/api/v1/ws";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
}, {
    readonly id: "dashboard";
    readonly address: "/ws";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
}, {
    readonly id: "backtestStream";
    readonly address: "/api/ws/stream/backtest/{backtest_id}";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
}, {
    readonly id: "liveTradingStream";
    readonly address: "/api/ws/stream/live-trading";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
}, {
    readonly id: "marketDataStream";
    readonly address: "/api/ws/stream/market-data/{symbol}";
    readonly inbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outbound: Readonly<Record<string, V.Validator<unknown>>>;
    readonly outboundStrict: Readonly<Record<string, V.Validator<unknown>>>;
}];
