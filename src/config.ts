/**
 * Configuration: environment variables → one validated Config. A bad value is an error naming the variable and
 * the accepted values; startup stops on it (src/main.ts). Nothing here reads process.env except `loadConfig(env)`.
 */
import { validateTickerSymbol } from '../generated/validators.js';

export interface Config {
  port: number;
  host: string;
  websocket: {
    enabled: boolean;
    maxConnections: number;
    pingIntervalMs: number;
    maxLifespanMs: number;
    maxPayloadBytes: number;
    rateLimitPerSec: number;
    rateBurst: number;
    maxSubscriptions: number;
    maxBufferedBytes: number;
    priceUpdateIntervalMs: number;
    portfolioUpdateIntervalMs: number;
  };
  market: {
    source: 'simulated' | 'ibkr';
    symbols: string[];
    seed: number;
    tickIntervalMs: number;
    /** Simulated clock speed: 60 = one market minute per real second (demos, browser tests). */
    speed: number;
  };
  ibkr: {
    host: string;
    port: number | undefined;
    clientId: number;
    account: string | undefined;
  };
  trading: {
    autoTrade: boolean;
    orderQuantity: number;
    initialCash: number;
  };
  backtest: {
    retentionMs: number;
    progressInterval: number;
    maxConcurrent: number;
  };
}

export interface ConfigError {
  variable: string;
  message: string;
}

/** Documentation of every variable: name, default and what it accepts (README's table is built from the same facts). */
export const CONFIG_VARIABLES = [
  ['PORT', '8000', 'integer 0-65535'],
  ['HOST', '127.0.0.1', 'interface to listen on (0.0.0.0 for all)'],
  ['WEBSOCKET_ENABLED', 'true', 'true or false'],
  ['WEBSOCKET_MAX_CONNECTIONS', '100', 'integer 1-100000'],
  ['WEBSOCKET_PING_INTERVAL', '30', 'seconds, 1-3600'],
  ['WEBSOCKET_MAX_CONNECTION_LIFESPAN', '3600', 'seconds, 1-604800'],
  ['WEBSOCKET_MAX_PAYLOAD', '65536', 'bytes, 256-16777216'],
  ['WEBSOCKET_RATE_LIMIT', '10', 'inbound messages per second, 1-10000'],
  ['WEBSOCKET_RATE_BURST', '20', 'inbound burst, 1-100000'],
  ['WEBSOCKET_MAX_SUBSCRIPTIONS', '100', 'topics per connection, 1-100000'],
  ['WEBSOCKET_MAX_BUFFERED_BYTES', '1048576', 'unsent bytes per connection before close 4001, 1024-1073741824'],
  ['WEBSOCKET_PRICE_UPDATE_INTERVAL', '3', 'seconds, 2-5 (seed 000)'],
  ['WEBSOCKET_PORTFOLIO_UPDATE_INTERVAL', '5', 'seconds, 1-3600'],
  ['MARKET_SOURCE', 'simulated', 'simulated or ibkr'],
  ['MARKET_SYMBOLS', 'AAPL,MSFT,GOOGL,AMZN,TSLA,BRK.B,BTC-USD', 'comma-separated tickers'],
  ['MARKET_SEED', '42', 'integer (simulated market random seed)'],
  ['MARKET_TICK_INTERVAL_MS', '1000', 'milliseconds between simulated ticks, 10-60000'],
  ['MARKET_SPEED', '1', 'simulated clock speed, 1-3600 (60 = a 1-minute bar per second)'],
  ['IBKR_HOST', '127.0.0.1', 'TWS / IB Gateway host'],
  ['IBKR_PORT', '(none)', 'required when MARKET_SOURCE=ibkr: 4002 IB Gateway paper, 7497 TWS paper, 4001/7496 live'],
  ['IBKR_CLIENT_ID', '1', 'integer 0-2147483647'],
  ['IBKR_ACCOUNT', '(first managed account)', 'account id, e.g. DU1234567'],
  ['TRADING_AUTO_TRADE', 'true', 'true or false: place an order on each strategy signal (paper venue; real IB orders when MARKET_SOURCE=ibkr)'],
  ['TRADING_ORDER_QUANTITY', '10', 'shares per signal order, > 0'],
  ['TRADING_INITIAL_CASH', '100000', 'paper account cash, > 0'],
  ['BACKTEST_RETENTION_SECONDS', '3600', 'how long finished runs are kept, 1-604800'],
  ['BACKTEST_PROGRESS_INTERVAL', '100', 'candles between progress messages, 1-1000000'],
  ['BACKTEST_MAX_CONCURRENT', '4', 'runs at once, 1-64'],
] as const;

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly errors: ConfigError[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  number(name: string, fallback: number, min: number, max: number, { integer = false } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      this.errors.push({ variable: name, message: `${name}=${JSON.stringify(v)} is invalid: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}` });
      return fallback;
    }
    return n;
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.number(name, 0, min, max, { integer: true });
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    this.errors.push({ variable: name, message: `${name}=${JSON.stringify(v)} is invalid: expected true or false` });
    return fallback;
  }

  choice<T extends string>(name: string, fallback: T, accepted: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if ((accepted as readonly string[]).includes(v)) return v as T;
    this.errors.push({ variable: name, message: `${name}=${JSON.stringify(v)} is invalid: expected one of ${accepted.join(', ')}` });
    return fallback;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  symbols(name: string, fallback: string[]): string[] {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = list.filter((s) => !validateTickerSymbol(s));
    if (!list.length || bad.length) {
      this.errors.push({ variable: name, message: `${name} is invalid: ${bad.length ? `bad ticker(s) ${bad.join(', ')}` : 'empty list'}; expected comma-separated tickers like AAPL,BRK.B,BTC-USD` });
      return fallback;
    }
    return [...new Set(list)];
  }
}

export const DEFAULT_SYMBOLS = ['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA', 'BRK.B', 'BTC-USD'];

/** Reads and validates the environment. Errors name the variable and the accepted values. */
export function loadConfig(env: Env): { ok: true; config: Config } | { ok: false; errors: ConfigError[] } {
  const r = new Reader(env);
  const s = 1000;
  const config: Config = {
    port: r.number('PORT', 8000, 0, 65535, { integer: true }),
    host: r.string('HOST', '127.0.0.1'),
    websocket: {
      enabled: r.bool('WEBSOCKET_ENABLED', true),
      maxConnections: r.number('WEBSOCKET_MAX_CONNECTIONS', 100, 1, 100_000, { integer: true }),
      pingIntervalMs: r.number('WEBSOCKET_PING_INTERVAL', 30, 1, 3600) * s,
      maxLifespanMs: r.number('WEBSOCKET_MAX_CONNECTION_LIFESPAN', 3600, 1, 604_800) * s,
      maxPayloadBytes: r.number('WEBSOCKET_MAX_PAYLOAD', 65_536, 256, 16_777_216, { integer: true }),
      rateLimitPerSec: r.number('WEBSOCKET_RATE_LIMIT', 10, 1, 10_000),
      rateBurst: r.number('WEBSOCKET_RATE_BURST', 20, 1, 100_000, { integer: true }),
      maxSubscriptions: r.number('WEBSOCKET_MAX_SUBSCRIPTIONS', 100, 1, 100_000, { integer: true }),
      maxBufferedBytes: r.number('WEBSOCKET_MAX_BUFFERED_BYTES', 1_048_576, 1024, 1_073_741_824, { integer: true }),
      priceUpdateIntervalMs: r.number('WEBSOCKET_PRICE_UPDATE_INTERVAL', 3, 2, 5) * s,
      portfolioUpdateIntervalMs: r.number('WEBSOCKET_PORTFOLIO_UPDATE_INTERVAL', 5, 1, 3600) * s,
    },
    market: {
      source: r.choice('MARKET_SOURCE', 'simulated', ['simulated', 'ibkr'] as const),
      symbols: r.symbols('MARKET_SYMBOLS', DEFAULT_SYMBOLS),
      seed: r.number('MARKET_SEED', 42, 0, 2 ** 32 - 1, { integer: true }),
      tickIntervalMs: r.number('MARKET_TICK_INTERVAL_MS', 1000, 10, 60_000, { integer: true }),
      speed: r.number('MARKET_SPEED', 1, 1, 3600),
    },
    ibkr: {
      host: r.string('IBKR_HOST', '127.0.0.1'),
      port: r.optionalInt('IBKR_PORT', 1, 65535),
      clientId: r.number('IBKR_CLIENT_ID', 1, 0, 2_147_483_647, { integer: true }),
      account: r.optionalString('IBKR_ACCOUNT'),
    },
    trading: {
      autoTrade: r.bool('TRADING_AUTO_TRADE', true),
      orderQuantity: r.number('TRADING_ORDER_QUANTITY', 10, Number.MIN_VALUE, 1e9),
      initialCash: r.number('TRADING_INITIAL_CASH', 100_000, Number.MIN_VALUE, 1e12),
    },
    backtest: {
      retentionMs: r.number('BACKTEST_RETENTION_SECONDS', 3600, 1, 604_800) * s,
      progressInterval: r.number('BACKTEST_PROGRESS_INTERVAL', 100, 1, 1_000_000, { integer: true }),
      maxConcurrent: r.number('BACKTEST_MAX_CONCURRENT', 4, 1, 64, { integer: true }),
    },
  };
  if (config.market.source === 'ibkr' && config.ibkr.port === undefined && !r.errors.some((e) => e.variable === 'IBKR_PORT')) {
    r.errors.push({ variable: 'IBKR_PORT', message: 'IBKR_PORT is required when MARKET_SOURCE=ibkr (there is no default): 4002 IB Gateway paper, 7497 TWS paper' });
  }
  return r.errors.length ? { ok: false, errors: r.errors } : { ok: true, config };
}

/** The defaults, for tests and tools that build a server without an environment. */
export function defaultConfig(): Config {
  const loaded = loadConfig({});
  if (!loaded.ok) throw new Error('defaults must be valid');
  return loaded.config;
}
