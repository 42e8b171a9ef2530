// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import * as V from './validators.js';
import * as S from './validators-strict.js';
/** Every message `type` of the contract, by component message name. */
export const MessageTypes = {
    barsSubscribe: 'bars.subscribe',
    barsUnsubscribe: 'bars.unsubscribe',
    barsSubscribeResponse: 'bars.subscribe.response',
    barsUnsubscribeResponse: 'bars.unsubscribe.response',
    barsUpdate: 'bars.update',
    barsHistory: 'bars.history',
    barsHistoryResponse: 'bars.history.response',
    marketSubscribe: 'market.subscribe',
    marketUnsubscribe: 'market.unsubscribe',
    marketSubscribeResponse: 'market.subscribe.response',
    marketUnsubscribeResponse: 'market.unsubscribe.response',
    quotesUpdate: 'quotes.update',
    tradesUpdate: 'trades.update',
    tradesSnapshot: 'trades.snapshot',
    bookSnapshot: 'book.snapshot',
    bookUpdate: 'book.update',
    operationError: 'error',
    dashboardSubscribe: 'subscribe',
    dashboardUnsubscribe: 'unsubscribe',
    dashboardSubscriptions: 'subscriptions',
    priceUpdate: 'price_update',
    signal: 'signal',
    tradeExecuted: 'trade_executed',
    portfolioUpdate: 'portfolio_update',
    dashboardError: 'error',
    streamConnected: 'connected',
    backtestProgress: 'progress',
    backtestTrade: 'trade',
    backtestEquity: 'equity',
    backtestMetrics: 'metrics',
    backtestComplete: 'complete',
    streamError: 'error',
    streamPing: 'ping',
    streamPong: 'pong',
    auth: 'auth',
    authenticated: 'authenticated',
    tokenExpiring: 'token_expiring',
    positionUpdate: 'position_update',
    orderUpdate: 'order_update',
    orderExecution: 'order_execution',
    riskUpdate: 'risk_update',
    pnlUpdate: 'pnl_update',
    marketCandle: 'candle',
    marketPattern: 'pattern',
    marketStructure: 'market_structure',
    marketConfluence: 'confluence',
};
/** Validators of inbound messages, keyed by `type`. */
export const operationEndpointInbound = {
    'bars.subscribe': V.validateBarsSubscribeMessage,
    'bars.unsubscribe': V.validateBarsUnsubscribeMessage,
    'bars.history': V.validateBarsHistoryMessage,
    'market.subscribe': V.validateMarketSubscribeMessage,
    'market.unsubscribe': V.validateMarketUnsubscribeMessage,
    'ping': V.validateStreamPingMessage,
    'auth': V.validateAuthMessage,
};
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export const operationEndpointOutbound = {
    'bars.subscribe.response': V.validateBarsSubscribeResponseMessage,
    'bars.unsubscribe.response': V.validateBarsUnsubscribeResponseMessage,
    'bars.update': V.validateBarsUpdateMessage,
    'error': V.validateOperationErrorMessage,
    'bars.history.response': V.validateBarsHistoryResponseMessage,
    'market.subscribe.response': V.validateMarketSubscribeResponseMessage,
    'market.unsubscribe.response': V.validateMarketUnsubscribeResponseMessage,
    'quotes.update': V.validateQuotesUpdateMessage,
    'trades.update': V.validateTradesUpdateMessage,
    'trades.snapshot': V.validateTradesSnapshotMessage,
    'book.snapshot': V.validateBookSnapshotMessage,
    'book.update': V.validateBookUpdateMessage,
    'pong': V.validateStreamPongMessage,
    'authenticated': V.validateAuthenticatedMessage,
    'token_expiring': V.validateTokenExpiringMessage,
};
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export const operationEndpointOutboundStrict = {
    'bars.subscribe.response': S.validateBarsSubscribeResponseMessage,
    'bars.unsubscribe.response': S.validateBarsUnsubscribeResponseMessage,
    'bars.update': S.validateBarsUpdateMessage,
    'error': S.validateOperationErrorMessage,
    'bars.history.response': S.validateBarsHistoryResponseMessage,
    'market.subscribe.response': S.validateMarketSubscribeResponseMessage,
    'market.unsubscribe.response': S.validateMarketUnsubscribeResponseMessage,
    'quotes.update': S.validateQuotesUpdateMessage,
    'trades.update': S.validateTradesUpdateMessage,
    'trades.snapshot': S.validateTradesSnapshotMessage,
    'book.snapshot': S.validateBookSnapshotMessage,
    'book.update': S.validateBookUpdateMessage,
    'pong': S.validateStreamPongMessage,
    'authenticated': S.validateAuthenticatedMessage,
    'token_expiring': S.validateTokenExpiringMessage,
};
/** Routes a validated inbound message to its handler. */
export function dispatchOperationEndpoint(handlers, message, ctx) {
    switch (message.type) {
        case 'bars.subscribe':
            return handlers['bars.subscribe'](message, ctx);
        case 'bars.unsubscribe':
            return handlers['bars.unsubscribe'](message, ctx);
        case 'bars.history':
            return handlers['bars.history'](message, ctx);
        case 'market.subscribe':
            return handlers['market.subscribe'](message, ctx);
        case 'market.unsubscribe':
            return handlers['market.unsubscribe'](message, ctx);
        case 'ping':
            return handlers['ping'](message, ctx);
        case 'auth':
            return handlers['auth'](message, ctx);
    }
}
export const operationEndpointEndpoint = {
    id: 'operationEndpoint',
    address: '/api/v1/ws',
    inbound: operationEndpointInbound,
    outbound: operationEndpointOutbound,
    outboundStrict: operationEndpointOutboundStrict,
};
/** Validators of inbound messages, keyed by `type`. */
export const dashboardInbound = {
    'subscribe': V.validateDashboardSubscribeMessage,
    'unsubscribe': V.validateDashboardUnsubscribeMessage,
    'ping': V.validateStreamPingMessage,
    'auth': V.validateAuthMessage,
};
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export const dashboardOutbound = {
    'subscriptions': V.validateDashboardSubscriptionsMessage,
    'price_update': V.validatePriceUpdateMessage,
    'signal': V.validateSignalMessage,
    'trade_executed': V.validateTradeExecutedMessage,
    'portfolio_update': V.validatePortfolioUpdateMessage,
    'error': V.validateDashboardErrorMessage,
    'pong': V.validateStreamPongMessage,
    'authenticated': V.validateAuthenticatedMessage,
    'token_expiring': V.validateTokenExpiringMessage,
};
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export const dashboardOutboundStrict = {
    'subscriptions': S.validateDashboardSubscriptionsMessage,
    'price_update': S.validatePriceUpdateMessage,
    'signal': S.validateSignalMessage,
    'trade_executed': S.validateTradeExecutedMessage,
    'portfolio_update': S.validatePortfolioUpdateMessage,
    'error': S.validateDashboardErrorMessage,
    'pong': S.validateStreamPongMessage,
    'authenticated': S.validateAuthenticatedMessage,
    'token_expiring': S.validateTokenExpiringMessage,
};
/** Routes a validated inbound message to its handler. */
export function dispatchDashboard(handlers, message, ctx) {
    switch (message.type) {
        case 'subscribe':
            return handlers['subscribe'](message, ctx);
        case 'unsubscribe':
            return handlers['unsubscribe'](message, ctx);
        case 'ping':
            return handlers['ping'](message, ctx);
        case 'auth':
            return handlers['auth'](message, ctx);
    }
}
export const dashboardEndpoint = {
    id: 'dashboard',
    address: '/ws',
    inbound: dashboardInbound,
    outbound: dashboardOutbound,
    outboundStrict: dashboardOutboundStrict,
};
/** Validators of inbound messages, keyed by `type`. */
export const backtestStreamInbound = {
    'ping': V.validateStreamPingMessage,
    'auth': V.validateAuthMessage,
};
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export const backtestStreamOutbound = {
    'connected': V.validateStreamConnectedMessage,
    'progress': V.validateBacktestProgressMessage,
    'trade': V.validateBacktestTradeMessage,
    'equity': V.validateBacktestEquityMessage,
    'metrics': V.validateBacktestMetricsMessage,
    'complete': V.validateBacktestCompleteMessage,
    'error': V.validateStreamErrorMessage,
    'pong': V.validateStreamPongMessage,
    'authenticated': V.validateAuthenticatedMessage,
    'token_expiring': V.validateTokenExpiringMessage,
};
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export const backtestStreamOutboundStrict = {
    'connected': S.validateStreamConnectedMessage,
    'progress': S.validateBacktestProgressMessage,
    'trade': S.validateBacktestTradeMessage,
    'equity': S.validateBacktestEquityMessage,
    'metrics': S.validateBacktestMetricsMessage,
    'complete': S.validateBacktestCompleteMessage,
    'error': S.validateStreamErrorMessage,
    'pong': S.validateStreamPongMessage,
    'authenticated': S.validateAuthenticatedMessage,
    'token_expiring': S.validateTokenExpiringMessage,
};
/** Routes a validated inbound message to its handler. */
export function dispatchBacktestStream(handlers, message, ctx) {
    switch (message.type) {
        case 'ping':
            return handlers['ping'](message, ctx);
        case 'auth':
            return handlers['auth'](message, ctx);
    }
}
export const backtestStreamEndpoint = {
    id: 'backtestStream',
    address: '/api/ws/stream/backtest/{backtest_id}',
    inbound: backtestStreamInbound,
    outbound: backtestStreamOutbound,
    outboundStrict: backtestStreamOutboundStrict,
};
/** Validators of inbound messages, keyed by `type`. */
export const liveTradingStreamInbound = {
    'ping': V.validateStreamPingMessage,
    'auth': V.validateAuthMessage,
};
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export const liveTradingStreamOutbound = {
    'connected': V.validateStreamConnectedMessage,
    'position_update': V.validatePositionUpdateMessage,
    'order_update': V.validateOrderUpdateMessage,
    'order_execution': V.validateOrderExecutionMessage,
    'risk_update': V.validateRiskUpdateMessage,
    'pnl_update': V.validatePnlUpdateMessage,
    'error': V.validateStreamErrorMessage,
    'pong': V.validateStreamPongMessage,
    'authenticated': V.validateAuthenticatedMessage,
    'token_expiring': V.validateTokenExpiringMessage,
};
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export const liveTradingStreamOutboundStrict = {
    'connected': S.validateStreamConnectedMessage,
    'position_update': S.validatePositionUpdateMessage,
    'order_update': S.validateOrderUpdateMessage,
    'order_execution': S.validateOrderExecutionMessage,
    'risk_update': S.validateRiskUpdateMessage,
    'pnl_update': S.validatePnlUpdateMessage,
    'error': S.validateStreamErrorMessage,
    'pong': S.validateStreamPongMessage,
    'authenticated': S.validateAuthenticatedMessage,
    'token_expiring': S.validateTokenExpiringMessage,
};
/** Routes a validated inbound message to its handler. */
export function dispatchLiveTradingStream(handlers, message, ctx) {
    switch (message.type) {
        case 'ping':
            return handlers['ping'](message, ctx);
        case 'auth':
            return handlers['auth'](message, ctx);
    }
}
export const liveTradingStreamEndpoint = {
    id: 'liveTradingStream',
    address: '/api/ws/stream/live-trading',
    inbound: liveTradingStreamInbound,
    outbound: liveTradingStreamOutbound,
    outboundStrict: liveTradingStreamOutboundStrict,
};
/** Validators of inbound messages, keyed by `type`. */
export const marketDataStreamInbound = {
    'ping': V.validateStreamPingMessage,
    'auth': V.validateAuthMessage,
};
/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by `type`. Clients use these. */
export const marketDataStreamOutbound = {
    'connected': V.validateStreamConnectedMessage,
    'candle': V.validateMarketCandleMessage,
    'pattern': V.validateMarketPatternMessage,
    'market_structure': V.validateMarketStructureMessage,
    'confluence': V.validateMarketConfluenceMessage,
    'error': V.validateStreamErrorMessage,
    'pong': V.validateStreamPongMessage,
    'authenticated': V.validateAuthenticatedMessage,
    'token_expiring': V.validateTokenExpiringMessage,
};
/** Strict validators of outbound messages (no undeclared field at any depth), keyed by `type`: for checking the server's own output. */
export const marketDataStreamOutboundStrict = {
    'connected': S.validateStreamConnectedMessage,
    'candle': S.validateMarketCandleMessage,
    'pattern': S.validateMarketPatternMessage,
    'market_structure': S.validateMarketStructureMessage,
    'confluence': S.validateMarketConfluenceMessage,
    'error': S.validateStreamErrorMessage,
    'pong': S.validateStreamPongMessage,
    'authenticated': S.validateAuthenticatedMessage,
    'token_expiring': S.validateTokenExpiringMessage,
};
/** Routes a validated inbound message to its handler. */
export function dispatchMarketDataStream(handlers, message, ctx) {
    switch (message.type) {
        case 'ping':
            return handlers['ping'](message, ctx);
        case 'auth':
            return handlers['auth'](message, ctx);
    }
}
export const marketDataStreamEndpoint = {
    id: 'marketDataStream',
    address: '/api/ws/stream/market-data/{symbol}',
    inbound: marketDataStreamInbound,
    outbound: marketDataStreamOutbound,
    outboundStrict: marketDataStreamOutboundStrict,
};
/** Every WebSocket endpoint of the contract. */
export const endpoints = [operationEndpointEndpoint, dashboardEndpoint, backtestStreamEndpoint, liveTradingStreamEndpoint, marketDataStreamEndpoint];
