// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import * as V from './validators.js';
// ---------------------------------------------------------------- bars:{symbol}:{resolution}
export const barsAddress = 'bars:{symbol}:{resolution}';
function checkBarsParams(values) {
    if (!(V.validateTickerSymbol(values['symbol'])))
        return { ok: false, param: 'symbol', message: `invalid symbol ${JSON.stringify(values['symbol'])} (schema TickerSymbol)` };
    if (values['resolution'] === undefined)
        values['resolution'] = '1';
    if (!(V.validateResolution(values['resolution'])))
        return { ok: false, param: 'resolution', message: `invalid resolution ${JSON.stringify(values['resolution'])} (one of 1, 5, 15, 30, 60, D)` };
    return { ok: true, value: values };
}
/** Builds bars:{symbol}:{resolution} from its parameters, checking each against its schema (missing ones take their default). */
export function buildBarsTopic(params) {
    const checked = checkBarsParams({ ...params });
    if (!checked.ok)
        return checked;
    return { ok: true, value: `bars:${checked.value.symbol}:${checked.value.resolution}` };
}
const barsPattern = new RegExp('^bars:([^:/]+):([^:/]+)$');
/** Parses bars:{symbol}:{resolution}; returns the parameters or which one is wrong. */
export function parseBarsTopic(address) {
    const match = barsPattern.exec(address);
    if (!match)
        return { ok: false, param: 'address', message: `${JSON.stringify(address)} does not match bars:{symbol}:{resolution}` };
    const parts = match.slice(1);
    return checkBarsParams({ symbol: parts[0], resolution: parts[1] });
}
// ---------------------------------------------------------------- quotes:{symbol}
export const quotesAddress = 'quotes:{symbol}';
function checkQuotesParams(values) {
    if (!(V.validateTickerSymbol(values['symbol'])))
        return { ok: false, param: 'symbol', message: `invalid symbol ${JSON.stringify(values['symbol'])} (schema TickerSymbol)` };
    return { ok: true, value: values };
}
/** Builds quotes:{symbol} from its parameters, checking each against its schema. */
export function buildQuotesTopic(params) {
    const checked = checkQuotesParams({ ...params });
    if (!checked.ok)
        return checked;
    return { ok: true, value: `quotes:${checked.value.symbol}` };
}
const quotesPattern = new RegExp('^quotes:([^:/]+)$');
/** Parses quotes:{symbol}; returns the parameters or which one is wrong. */
export function parseQuotesTopic(address) {
    const match = quotesPattern.exec(address);
    if (!match)
        return { ok: false, param: 'address', message: `${JSON.stringify(address)} does not match quotes:{symbol}` };
    const parts = match.slice(1);
    return checkQuotesParams({ symbol: parts[0] });
}
// ---------------------------------------------------------------- trades:{symbol}
export const tradesAddress = 'trades:{symbol}';
function checkTradesParams(values) {
    if (!(V.validateTickerSymbol(values['symbol'])))
        return { ok: false, param: 'symbol', message: `invalid symbol ${JSON.stringify(values['symbol'])} (schema TickerSymbol)` };
    return { ok: true, value: values };
}
/** Builds trades:{symbol} from its parameters, checking each against its schema. */
export function buildTradesTopic(params) {
    const checked = checkTradesParams({ ...params });
    if (!checked.ok)
        return checked;
    return { ok: true, value: `trades:${checked.value.symbol}` };
}
const tradesPattern = new RegExp('^trades:([^:/]+)$');
/** Parses trades:{symbol}; returns the parameters or which one is wrong. */
export function parseTradesTopic(address) {
    const match = tradesPattern.exec(address);
    if (!match)
        return { ok: false, param: 'address', message: `${JSON.stringify(address)} does not match trades:{symbol}` };
    const parts = match.slice(1);
    return checkTradesParams({ symbol: parts[0] });
}
// ---------------------------------------------------------------- book:{symbol}:{depth}
export const bookAddress = 'book:{symbol}:{depth}';
function checkBookParams(values) {
    if (!(V.validateTickerSymbol(values['symbol'])))
        return { ok: false, param: 'symbol', message: `invalid symbol ${JSON.stringify(values['symbol'])} (schema TickerSymbol)` };
    if (values['depth'] === undefined)
        values['depth'] = '10';
    if (!(V.validateBookDepth(values['depth'])))
        return { ok: false, param: 'depth', message: `invalid depth ${JSON.stringify(values['depth'])} (one of 5, 10, 20, 50)` };
    return { ok: true, value: values };
}
/** Builds book:{symbol}:{depth} from its parameters, checking each against its schema (missing ones take their default). */
export function buildBookTopic(params) {
    const checked = checkBookParams({ ...params });
    if (!checked.ok)
        return checked;
    return { ok: true, value: `book:${checked.value.symbol}:${checked.value.depth}` };
}
const bookPattern = new RegExp('^book:([^:/]+):([^:/]+)$');
/** Parses book:{symbol}:{depth}; returns the parameters or which one is wrong. */
export function parseBookTopic(address) {
    const match = bookPattern.exec(address);
    if (!match)
        return { ok: false, param: 'address', message: `${JSON.stringify(address)} does not match book:{symbol}:{depth}` };
    const parts = match.slice(1);
    return checkBookParams({ symbol: parts[0], depth: parts[1] });
}
// ---------------------------------------------------------------- /api/ws/stream/backtest/{backtest_id}
export const backtestStreamAddress = '/api/ws/stream/backtest/{backtest_id}';
function checkBacktestStreamParams(values) {
    if (!(V.validateBacktestId(values['backtest_id'])))
        return { ok: false, param: 'backtest_id', message: `invalid backtest_id ${JSON.stringify(values['backtest_id'])} (schema BacktestId)` };
    return { ok: true, value: values };
}
/** Builds /api/ws/stream/backtest/{backtest_id} from its parameters, checking each against its schema. */
export function buildBacktestStreamPath(params) {
    const checked = checkBacktestStreamParams({ ...params });
    if (!checked.ok)
        return checked;
    return { ok: true, value: `/api/ws/stream/backtest/${encodeURIComponent(checked.value.backtest_id)}` };
}
const backtestStreamPattern = new RegExp('^\\/api\\/ws\\/stream\\/backtest\\/([^/]+)$');
/** Parses /api/ws/stream/backtest/{backtest_id}; returns the parameters or which one is wrong. */
export function parseBacktestStreamPath(address) {
    const match = backtestStreamPattern.exec(address);
    if (!match)
        return { ok: false, param: 'address', message: `${JSON.stringify(address)} does not match /api/ws/stream/backtest/{backtest_id}` };
    let parts;
    try {
        parts = match.slice(1).map(decodeURIComponent);
    }
    catch {
        return { ok: false, param: 'address', message: 'malformed percent-encoding' };
    }
    return checkBacktestStreamParams({ backtest_id: parts[0] });
}
// ---------------------------------------------------------------- /api/ws/stream/market-data/{symbol}
export const marketDataStreamAddress = '/api/ws/stream/market-data/{symbol}';
function checkMarketDataStreamParams(values) {
    if (!(V.validateTickerSymbol(values['symbol'])))
        return { ok: false, param: 'symbol', message: `invalid symbol ${JSON.stringify(values['symbol'])} (schema TickerSymbol)` };
    return { ok: true, value: values };
}
/** Builds /api/ws/stream/market-data/{symbol} from its parameters, checking each against its schema. */
export function buildMarketDataStreamPath(params) {
    const checked = checkMarketDataStreamParams({ ...params });
    if (!checked.ok)
        return checked;
    return { ok: true, value: `/api/ws/stream/market-data/${encodeURIComponent(checked.value.symbol)}` };
}
const marketDataStreamPattern = new RegExp('^\\/api\\/ws\\/stream\\/market-data\\/([^/]+)$');
/** Parses /api/ws/stream/market-data/{symbol}; returns the parameters or which one is wrong. */
export function parseMarketDataStreamPath(address) {
    const match = marketDataStreamPattern.exec(address);
    if (!match)
        return { ok: false, param: 'address', message: `${JSON.stringify(address)} does not match /api/ws/stream/market-data/{symbol}` };
    let parts;
    try {
        parts = match.slice(1).map(decodeURIComponent);
    }
    catch {
        return { ok: false, param: 'address', message: 'malformed percent-encoding' };
    }
    return checkMarketDataStreamParams({ symbol: parts[0] });
}
