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
