// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import type * as T from './types.js';
/** Errors are values: a bad parameter names itself. */
export type AddressResult<Value> = {
    ok: true;
    value: Value;
} | {
    ok: false;
    param: string;
    message: string;
};
export declare const barsAddress = "bars:{symbol}:{resolution}";
export interface BarsParams {
    symbol: T.TickerSymbol;
    resolution: T.Resolution;
}
/** Builds bars:{symbol}:{resolution} from its parameters, checking each against its schema (missing ones take their default). */
export declare function buildBarsTopic(params: {
    symbol: string;
    resolution?: string;
}): AddressResult<string>;
/** Parses bars:{symbol}:{resolution}; returns the parameters or which one is wrong. */
export declare function parseBarsTopic(address: string): AddressResult<BarsParams>;
export declare const quotesAddress = "quotes:{symbol}";
export interface QuotesParams {
    symbol: T.TickerSymbol;
}
/** Builds quotes:{symbol} from its parameters, checking each against its schema. */
export declare function buildQuotesTopic(params: {
    symbol: string;
}): AddressResult<string>;
/** Parses quotes:{symbol}; returns the parameters or which one is wrong. */
export declare function parseQuotesTopic(address: string): AddressResult<QuotesParams>;
export declare const tradesAddress = "trades:{symbol}";
export interface TradesParams {
    symbol: T.TickerSymbol;
}
/** Builds trades:{symbol} from its parameters, checking each against its schema. */
export declare function buildTradesTopic(params: {
    symbol: string;
}): AddressResult<string>;
/** Parses trades:{symbol}; returns the parameters or which one is wrong. */
export declare function parseTradesTopic(address: string): AddressResult<TradesParams>;
export declare const bookAddress = "book:{symbol}:{depth}";
export interface BookParams {
    symbol: T.TickerSymbol;
    depth: T.BookDepth;
}
/** Builds book:{symbol}:{depth} from its parameters, checking each against its schema (missing ones take their default). */
export declare function buildBookTopic(params: {
    symbol: string;
    depth?: string;
}): AddressResult<string>;
/** Parses book:{symbol}:{depth}; returns the parameters or which one is wrong. */
export declare function parseBookTopic(address: string): AddressResult<BookParams>;
export declare const backtestStreamAddress = "/api/ws/stream/backtest/{backtest_id}";
export interface BacktestStreamParams {
    backtest_id: T.BacktestId;
}
/** Builds /api/ws/stream/backtest/{backtest_id} from its parameters, checking each against its schema. */
export declare function buildBacktestStreamPath(params: {
    backtest_id: string;
}): AddressResult<string>;
/** Parses /api/ws/stream/backtest/{backtest_id}; returns the parameters or which one is wrong. */
export declare function parseBacktestStreamPath(address: string): AddressResult<BacktestStreamParams>;
export declare const marketDataStreamAddress = "/api/ws/stream/market-data/{symbol}";
export interface MarketDataStreamParams {
    symbol: T.TickerSymbol;
}
/** Builds /api/ws/stream/market-data/{symbol} from its parameters, checking each against its schema. */
export declare function buildMarketDataStreamPath(params: {
    symbol: string;
}): AddressResult<string>;
/** Parses /api/ws/stream/market-data/{symbol}; returns the parameters or which one is wrong. */
export declare function parseMarketDataStreamPath(address: string): AddressResult<MarketDataStreamParams>;
