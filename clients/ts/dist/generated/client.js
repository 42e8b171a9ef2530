// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import * as M from "./messages.js";
import * as A from "./topics.js";
// ---------------------------------------------------------------- enums of the contract, as values
export const ResolutionValues = ['1', '5', '15', '30', '60', 'D'];
export const SideValues = ['BUY', 'SELL'];
export const SignalTypeValues = ['BUY', 'SELL', 'HOLD'];
export const ErrorCodeValues = ['INVALID_JSON', 'BINARY_NOT_SUPPORTED', 'UNKNOWN_TYPE', 'INVALID_MESSAGE', 'UNKNOWN_SYMBOL', 'SUBSCRIPTION_LIMIT', 'UNKNOWN_STREAM', 'UNKNOWN_BACKTEST', 'BACKTEST_FAILED', 'INTERNAL_ERROR', 'UNAVAILABLE', 'FORBIDDEN', 'UNAUTHORIZED', 'INVALID_TOKEN', 'TOKEN_EXPIRED', 'HISTORY_UNAVAILABLE'];
export const DashboardStreamValues = ['prices', 'signals', 'trades', 'portfolio'];
export const RecoveryReasonValues = ['epoch', 'expired', 'limit'];
export const BookDepthValues = ['5', '10', '20', '50'];
export const MarketChannelValues = ['quotes', 'trades', 'book'];
/** Per endpoint address: the data the client core works from. */
export const clientEndpoints = {
    '/api/v1/ws': {
        id: 'operationEndpoint',
        address: '/api/v1/ws',
        params: [],
        outbound: M.operationEndpointOutbound,
        requests: {
            'bars.subscribe': ['bars.subscribe.response', 'error'],
            'bars.unsubscribe': ['bars.unsubscribe.response', 'error'],
            'bars.history': ['bars.history.response', 'error'],
            'market.subscribe': ['market.subscribe.response', 'error'],
            'market.unsubscribe': ['market.unsubscribe.response', 'error'],
            'auth': ['authenticated', 'error'],
        },
        error: { type: 'error', at: 'payload' },
        heartbeat: { ping: 'ping', pong: 'pong' },
    },
    '/ws': {
        id: 'dashboard',
        address: '/ws',
        params: [],
        outbound: M.dashboardOutbound,
        requests: {
            'subscribe': ['subscriptions', 'error'],
            'unsubscribe': ['subscriptions', 'error'],
            'auth': ['authenticated', 'error'],
        },
        error: { type: 'error', at: 'root' },
        heartbeat: { ping: 'ping', pong: 'pong' },
    },
    '/api/ws/stream/backtest/{backtest_id}': {
        id: 'backtestStream',
        address: '/api/ws/stream/backtest/{backtest_id}',
        params: ['backtest_id'],
        buildPath: (params) => A.buildBacktestStreamPath(params),
        outbound: M.backtestStreamOutbound,
        requests: {
            'auth': ['authenticated', 'error'],
        },
        error: { type: 'error', at: 'data' },
        heartbeat: { ping: 'ping', pong: 'pong' },
    },
    '/api/ws/stream/live-trading': {
        id: 'liveTradingStream',
        address: '/api/ws/stream/live-trading',
        params: [],
        outbound: M.liveTradingStreamOutbound,
        requests: {
            'auth': ['authenticated', 'error'],
        },
        error: { type: 'error', at: 'data' },
        heartbeat: { ping: 'ping', pong: 'pong' },
    },
    '/api/ws/stream/market-data/{symbol}': {
        id: 'marketDataStream',
        address: '/api/ws/stream/market-data/{symbol}',
        params: ['symbol'],
        buildPath: (params) => A.buildMarketDataStreamPath(params),
        outbound: M.marketDataStreamOutbound,
        requests: {
            'auth': ['authenticated', 'error'],
        },
        error: { type: 'error', at: 'data' },
        heartbeat: { ping: 'ping', pong: 'pong' },
    },
};
