// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import type * as T from './types.js';
import * as M from './messages.js';
import * as A from './topics.js';
import type { ValidatorTable } from './runtime.js';
export declare const ResolutionValues: readonly ["1", "5", "15", "30", "60", "D"];
export declare const SideValues: readonly ["BUY", "SELL"];
export declare const SignalTypeValues: readonly ["BUY", "SELL", "HOLD"];
export declare const ErrorCodeValues: readonly ["INVALID_JSON", "BINARY_NOT_SUPPORTED", "UNKNOWN_TYPE", "INVALID_MESSAGE", "UNKNOWN_SYMBOL", "SUBSCRIPTION_LIMIT", "UNKNOWN_STREAM", "UNKNOWN_BACKTEST", "BACKTEST_FAILED", "INTERNAL_ERROR", "UNAVAILABLE", "FORBIDDEN", "UNAUTHORIZED", "INVALID_TOKEN", "TOKEN_EXPIRED", "HISTORY_UNAVAILABLE"];
export declare const DashboardStreamValues: readonly ["prices", "signals", "trades", "portfolio"];
export declare const RecoveryReasonValues: readonly ["epoch", "expired", "limit"];
export declare const BookDepthValues: readonly ["5", "10", "20", "50"];
export declare const MarketChannelValues: readonly ["quotes", "trades", "book"];
/** What the client core needs to know about one endpoint, as data. */
export interface ClientEndpointInfo {
    readonly id: string;
    readonly address: string;
    /** Path parameters (in order); an endpoint with parameters needs them to build its URL. */
    readonly params: readonly string[];
    readonly buildPath?: (params: Record<string, string>) => A.AddressResult<string>;
    /** Validators of the messages the server sends, keyed by `type`: open (fields added later pass; ignore them). */
    readonly outbound: ValidatorTable;
    /** Requests correlated by `id`: request `type` → the `type`s of its possible replies. */
    readonly requests: Readonly<Record<string, readonly string[]>>;
    /** The outbound `type` that reports a failure, and where its {code, message, field} sit. */
    readonly error: {
        readonly type: string;
        readonly at: 'root' | 'payload' | 'data';
    } | null;
    /** Application-level heartbeat: the client sends `ping`, the server answers `pong`. */
    readonly heartbeat: {
        readonly ping: string;
        readonly pong: string;
    } | null;
}
/** Per endpoint address: its messages and requests, for typing the client. */
export interface ClientEndpoints {
    '/api/v1/ws': {
        params: null;
        inbound: M.OperationEndpointInbound;
        outbound: M.OperationEndpointOutbound;
        /** Outbound messages by `type`. */
        events: {
            'bars.subscribe.response': T.BarsSubscribeResponseMessage;
            'bars.unsubscribe.response': T.BarsUnsubscribeResponseMessage;
            'bars.update': T.BarsUpdateMessage;
            'error': T.OperationErrorMessage;
            'bars.history.response': T.BarsHistoryResponseMessage;
            'market.subscribe.response': T.MarketSubscribeResponseMessage;
            'market.unsubscribe.response': T.MarketUnsubscribeResponseMessage;
            'quotes.update': T.QuotesUpdateMessage;
            'trades.update': T.TradesUpdateMessage;
            'trades.snapshot': T.TradesSnapshotMessage;
            'book.snapshot': T.BookSnapshotMessage;
            'book.update': T.BookUpdateMessage;
            'pong': T.StreamPongMessage;
            'authenticated': T.AuthenticatedMessage;
            'token_expiring': T.TokenExpiringMessage;
        };
        /** Correlated requests by `type`: the request without its `id`, the reply and the error reply. */
        requests: {
            'bars.subscribe': {
                request: Omit<T.BarsSubscribeMessage, 'id'>;
                reply: T.BarsSubscribeResponseMessage;
                error: T.OperationErrorMessage;
            };
            'bars.unsubscribe': {
                request: Omit<T.BarsUnsubscribeMessage, 'id'>;
                reply: T.BarsUnsubscribeResponseMessage;
                error: T.OperationErrorMessage;
            };
            'bars.history': {
                request: Omit<T.BarsHistoryMessage, 'id'>;
                reply: T.BarsHistoryResponseMessage;
                error: T.OperationErrorMessage;
            };
            'market.subscribe': {
                request: Omit<T.MarketSubscribeMessage, 'id'>;
                reply: T.MarketSubscribeResponseMessage;
                error: T.OperationErrorMessage;
            };
            'market.unsubscribe': {
                request: Omit<T.MarketUnsubscribeMessage, 'id'>;
                reply: T.MarketUnsubscribeResponseMessage;
                error: T.OperationErrorMessage;
            };
            'auth': {
                request: Omit<T.AuthMessage, 'id'>;
                reply: T.AuthenticatedMessage;
                error: T.OperationErrorMessage;
            };
        };
    };
    '/ws': {
        params: null;
        inbound: M.DashboardInbound;
        outbound: M.DashboardOutbound;
        /** Outbound messages by `type`. */
        events: {
            'subscriptions': T.DashboardSubscriptionsMessage;
            'price_update': T.PriceUpdateMessage;
            'signal': T.SignalMessage;
            'trade_executed': T.TradeExecutedMessage;
            'portfolio_update': T.PortfolioUpdateMessage;
            'error': T.DashboardErrorMessage;
            'pong': T.StreamPongMessage;
            'authenticated': T.AuthenticatedMessage;
            'token_expiring': T.TokenExpiringMessage;
        };
        /** Correlated requests by `type`: the request without its `id`, the reply and the error reply. */
        requests: {
            'subscribe': {
                request: Omit<T.DashboardSubscribeMessage, 'id'>;
                reply: T.DashboardSubscriptionsMessage;
                error: T.DashboardErrorMessage;
            };
            'unsubscribe': {
                request: Omit<T.DashboardUnsubscribeMessage, 'id'>;
                reply: T.DashboardSubscriptionsMessage;
                error: T.DashboardErrorMessage;
            };
            'auth': {
                request: Omit<T.AuthMessage, 'id'>;
                reply: T.AuthenticatedMessage;
                error: T.DashboardErrorMessage;
            };
        };
    };
    '/api/ws/stream/backtest/{backtest_id}': {
        params: A.BacktestStreamParams;
        inbound: M.BacktestStreamInbound;
        outbound: M.BacktestStreamOutbound;
        /** Outbound messages by `type`. */
        events: {
            'connected': T.StreamConnectedMessage;
            'progress': T.BacktestProgressMessage;
            'trade': T.BacktestTradeMessage;
            'equity': T.BacktestEquityMessage;
            'metrics': T.BacktestMetricsMessage;
            'complete': T.BacktestCompleteMessage;
            'error': T.StreamErrorMessage;
            'pong': T.StreamPongMessage;
            'authenticated': T.AuthenticatedMessage;
            'token_expiring': T.TokenExpiringMessage;
        };
        /** Correlated requests by `type`: the request without its `id`, the reply and the error reply. */
        requests: {
            'auth': {
                request: Omit<T.AuthMessage, 'id'>;
                reply: T.AuthenticatedMessage;
                error: T.StreamErrorMessage;
            };
        };
    };
    '/api/ws/stream/live-trading': {
        params: null;
        inbound: M.LiveTradingStreamInbound;
        outbound: M.LiveTradingStreamOutbound;
        /** Outbound messages by `type`. */
        events: {
            'connected': T.StreamConnectedMessage;
            'position_update': T.PositionUpdateMessage;
            'order_update': T.OrderUpdateMessage;
            'order_execution': T.OrderExecutionMessage;
            'risk_update': T.RiskUpdateMessage;
            'pnl_update': T.PnlUpdateMessage;
            'error': T.StreamErrorMessage;
            'pong': T.StreamPongMessage;
            'authenticated': T.AuthenticatedMessage;
            'token_expiring': T.TokenExpiringMessage;
        };
        /** Correlated requests by `type`: the request without its `id`, the reply and the error reply. */
        requests: {
            'auth': {
                request: Omit<T.AuthMessage, 'id'>;
                reply: T.AuthenticatedMessage;
                error: T.StreamErrorMessage;
            };
        };
    };
    '/api/ws/stream/market-data/{symbol}': {
        params: A.MarketDataStreamParams;
        inbound: M.MarketDataStreamInbound;
        outbound: M.MarketDataStreamOutbound;
        /** Outbound messages by `type`. */
        events: {
            'connected': T.StreamConnectedMessage;
            'candle': T.MarketCandleMessage;
            'pattern': T.MarketPatternMessage;
            'market_structure': T.MarketStructureMessage;
            'confluence': T.MarketConfluenceMessage;
            'error': T.StreamErrorMessage;
            'pong': T.StreamPongMessage;
            'authenticated': T.AuthenticatedMessage;
            'token_expiring': T.TokenExpiringMessage;
        };
        /** Correlated requests by `type`: the request without its `id`, the reply and the error reply. */
        requests: {
            'auth': {
                request: Omit<T.AuthMessage, 'id'>;
                reply: T.AuthenticatedMessage;
                error: T.StreamErrorMessage;
            };
        };
    };
}
/** Per endpoint address: the data the client core works from. */
export declare const clientEndpoints: {
    readonly '/api/v1/ws': {
        readonly id: "operationEndpoint";
        readonly address: "/api/v1/ws";
        readonly params: readonly [];
        readonly outbound: Readonly<Record<string, import("./validators.js").Validator<unknown>>>;
        readonly requests: {
            readonly 'bars.subscribe': readonly ["bars.subscribe.response", "error"];
            readonly 'bars.unsubscribe': readonly ["bars.unsubscribe.response", "error"];
            readonly 'bars.history': readonly ["bars.history.response", "error"];
            readonly 'market.subscribe': readonly ["market.subscribe.response", "error"];
            readonly 'market.unsubscribe': readonly ["market.unsubscribe.response", "error"];
            readonly auth: readonly ["authenticated", "error"];
        };
        readonly error: {
            readonly type: "error";
            readonly at: "payload";
        };
        readonly heartbeat: {
            readonly ping: "ping";
            readonly pong: "pong";
        };
    };
    readonly '/ws': {
        readonly id: "dashboard";
        readonly address: "/ws";
        readonly params: readonly [];
        readonly outbound: Readonly<Record<string, import("./validators.js").Validator<unknown>>>;
        readonly requests: {
            readonly subscribe: readonly ["subscriptions", "error"];
            readonly unsubscribe: readonly ["subscriptions", "error"];
            readonly auth: readonly ["authenticated", "error"];
        };
        readonly error: {
            readonly type: "error";
            readonly at: "root";
        };
        readonly heartbeat: {
            readonly ping: "ping";
            readonly pong: "pong";
        };
    };
    readonly '/api/ws/stream/backtest/{backtest_id}': {
        readonly id: "backtestStream";
        readonly address: "/api/ws/stream/backtest/{backtest_id}";
        readonly params: readonly ["backtest_id"];
        readonly buildPath: (params: Record<string, string>) => A.AddressResult<string>;
        readonly outbound: Readonly<Record<string, import("./validators.js").Validator<unknown>>>;
        readonly requests: {
            readonly auth: readonly ["authenticated", "error"];
        };
        readonly error: {
            readonly type: "error";
            readonly at: "data";
        };
        readonly heartbeat: {
            readonly ping: "ping";
            readonly pong: "pong";
        };
    };
    readonly '/api/ws/stream/live-trading': {
        readonly id: "liveTradingStream";
        readonly address: "/api/ws/stream/live-trading";
        readonly params: readonly [];
        readonly outbound: Readonly<Record<string, import("./validators.js").Validator<unknown>>>;
        readonly requests: {
            readonly auth: readonly ["authenticated", "error"];
        };
        readonly error: {
            readonly type: "error";
            readonly at: "data";
        };
        readonly heartbeat: {
            readonly ping: "ping";
            readonly pong: "pong";
        };
    };
    readonly '/api/ws/stream/market-data/{symbol}': {
        readonly id: "marketDataStream";
        readonly address: "/api/ws/stream/market-data/{symbol}";
        readonly params: readonly ["symbol"];
        readonly buildPath: (params: Record<string, string>) => A.AddressResult<string>;
        readonly outbound: Readonly<Record<string, import("./validators.js").Validator<unknown>>>;
        readonly requests: {
            readonly auth: readonly ["authenticated", "error"];
        };
        readonly error: {
            readonly type: "error";
            readonly at: "data";
        };
        readonly heartbeat: {
            readonly ping: "ping";
            readonly pong: "pong";
        };
    };
};
/** An endpoint address of the contract, e.g. `/api/v1/ws`. */
export type EndpointAddress = keyof ClientEndpoints;
/** The messages the server may send on endpoint E, by `type`. */
export type EventsOf<E extends EndpointAddress> = ClientEndpoints[E]['events'];
/** The correlated requests of endpoint E, by `type`. */
export type RequestsOf<E extends EndpointAddress> = ClientEndpoints[E]['requests'];
