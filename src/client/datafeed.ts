/**
 * A datafeed for TradingView's Charting Library JS API (`new TradingView.widget({ datafeed, ... })`), built on the
 * typed client: history through `bars.history`, live bars through `bars:<SYMBOL>:<RES>` subscriptions, and symbol
 * facts from the server's UDF routes (`/udf/config`, `/udf/symbols`, `/udf/search`).
 *
 * ```ts
 * import { connect } from './client.ts';
 * import { createDatafeed } from './datafeed.ts';
 * const client = connect('http://127.0.0.1:8000', '/api/v1/ws');
 * const datafeed = createDatafeed({ client, baseUrl: 'http://127.0.0.1:8000' });
 * new TradingView.widget({ symbol: 'AAPL', interval: '1', datafeed, container: 'chart', library_path: '/charting_library/' });
 * ```
 *
 * Contracts:
 * - `getBars(symbolInfo, resolution, {from, to, countBack, firstDataRequest}, onResult, onError)`: the library's
 *   seconds become ms; `onResult(bars, {noData, nextTime})` with bars oldest first in ms, as the library wants; the
 *   forming bar is the last one, so live ticks continue it seamlessly. A request error calls `onError(code: message)`.
 * - `subscribeBars(..., onTick, listenerGuid, onResetCacheNeeded)`: one topic subscription shared by every listener of
 *   the same symbol and resolution; each `bars.update` calls `onTick(bar)` (same `time` replaces the last bar, a later
 *   one appends: the library's own rule). When the client reconnects and the topic could not be recovered
 *   (`recovered: false`), `onResetCacheNeeded()` tells the chart to refetch its history (nothing is silently lost).
 * - `unsubscribeBars(guid)`: the topic is unsubscribed when its last listener leaves.
 * Resolutions: the contract's `1 5 15 30 60 D` (`1D` is read as `D`).
 */
import type { Bar, BarsUpdateMessage, Resolution } from '../../generated/types.ts';
import type { TickwireClient } from './client.ts';

type BarsClient = Pick<TickwireClient<'/api/v1/ws'>, 'request' | 'subscribe' | 'unsubscribe' | 'on' | 'onRecovery'>;

export interface DatafeedOptions {
  client: BarsClient;
  /** Server base URL for the UDF symbol routes, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** Default: globalThis.fetch. */
  fetch?: typeof fetch;
}

/** The subset of the library's LibrarySymbolInfo this datafeed fills (the library reads these names). */
export interface SymbolInfo {
  name: string;
  ticker: string;
  full_name: string;
  description: string;
  type: string;
  session: string;
  timezone: string;
  exchange: string;
  listed_exchange: string;
  format: 'price';
  minmov: number;
  pricescale: number;
  has_intraday: boolean;
  has_daily: boolean;
  supported_resolutions: string[];
  intraday_multipliers: string[];
  volume_precision: number;
  data_status: 'streaming';
}

export interface PeriodParams {
  /** Seconds. */
  from: number;
  /** Seconds. */
  to: number;
  countBack?: number;
  firstDataRequest?: boolean;
}

export interface Datafeed {
  onReady(callback: (config: Record<string, unknown>) => void): void;
  searchSymbols(userInput: string, exchange: string, symbolType: string, onResult: (items: unknown[]) => void): void;
  resolveSymbol(symbolName: string, onResolve: (info: SymbolInfo) => void, onError: (reason: string) => void): void;
  getBars(symbolInfo: Pick<SymbolInfo, 'ticker'>, resolution: string, period: PeriodParams, onResult: (bars: Bar[], meta: { noData: boolean; nextTime?: number }) => void, onError: (reason: string) => void): void;
  subscribeBars(symbolInfo: Pick<SymbolInfo, 'ticker'>, resolution: string, onTick: (bar: Bar) => void, listenerGuid: string, onResetCacheNeeded?: () => void): void;
  unsubscribeBars(listenerGuid: string): void;
}

export function toContractResolution(resolution: string): Resolution | undefined {
  const r = resolution === '1D' ? 'D' : resolution;
  return (['1', '5', '15', '30', '60', 'D'] as const).find((x) => x === r);
}

export function createDatafeed(options: DatafeedOptions): Datafeed {
  const { client } = options;
  const http = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.baseUrl.replace(/^ws/, 'http').replace(/\/$/, '');
  const listeners = new Map<string, { topic: string; onTick: (bar: Bar) => void; onReset?: () => void }>();
  const json = async (path: string) => {
    const res = await http(`${base}${path}`);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json() as Promise<any>;
  };
  const async = (fn: () => void) => setTimeout(fn, 0); // the library expects callbacks after the call returns
  client.on('bars.update', (m: BarsUpdateMessage) => {
    for (const l of listeners.values()) if (l.topic === m.topic) l.onTick({ ...m.payload });
  });
  client.onRecovery((e) => {
    if (e.recovered) return;
    for (const l of listeners.values()) if (l.topic === e.topic) l.onReset?.();
  });

  return {
    onReady(callback) {
      json('/udf/config').then(
        (config) => callback(config),
        () => async(() => callback({ supported_resolutions: ['1', '5', '15', '30', '60', 'D'], supports_search: true, supports_time: true })),
      );
    },
    searchSymbols(userInput, exchange, symbolType, onResult) {
      const q = new URLSearchParams({ query: userInput, exchange: exchange ?? '', type: symbolType ?? '', limit: '30' });
      json(`/udf/search?${q}`).then(onResult, () => onResult([]));
    },
    resolveSymbol(symbolName, onResolve, onError) {
      json(`/udf/symbols?symbol=${encodeURIComponent(symbolName)}`).then(
        (info) => (info?.s === 'error' ? onError(String(info.errmsg ?? 'unknown symbol')) : onResolve({ ...info, format: 'price' })),
        (err: Error) => onError(err.message),
      );
    },
    getBars(symbolInfo, resolution, period, onResult, onError) {
      const res = toContractResolution(resolution);
      if (!res) return void async(() => onError(`unsupported resolution ${resolution}`));
      const payload = {
        symbol: symbolInfo.ticker,
        resolution: res,
        to: Math.max(0, Math.floor(period.to * 1000)),
        ...(period.countBack ? { countBack: Math.min(5000, period.countBack) } : { from: Math.max(0, Math.floor(period.from * 1000)) }),
      };
      client.request({ type: 'bars.history', payload }).then(
        (reply) => {
          const { bars, noData, nextTime } = reply.payload;
          onResult(bars, { noData, ...(nextTime !== undefined ? { nextTime } : {}) });
        },
        (err: Error & { code?: string }) => onError(`${err.code ?? 'ERROR'}: ${err.message}`),
      );
    },
    subscribeBars(symbolInfo, resolution, onTick, listenerGuid, onResetCacheNeeded) {
      const res = toContractResolution(resolution);
      if (!res) return;
      const topic = `bars:${symbolInfo.ticker}:${res}` as const;
      const shared = [...listeners.values()].some((l) => l.topic === topic);
      listeners.set(listenerGuid, { topic, onTick, ...(onResetCacheNeeded ? { onReset: onResetCacheNeeded } : {}) });
      if (!shared) client.subscribe(topic).catch(() => onResetCacheNeeded?.());
    },
    unsubscribeBars(listenerGuid) {
      const l = listeners.get(listenerGuid);
      if (!l) return;
      listeners.delete(listenerGuid);
      if (![...listeners.values()].some((x) => x.topic === l.topic)) client.unsubscribe(l.topic as `bars:${string}:${Resolution}`).catch(() => undefined);
    },
  };
}
