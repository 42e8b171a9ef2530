/**
 * Configuration: environment variables → one validated Config. A bad value is an error naming the variable and
 * the accepted values; startup stops on it (src/main.ts). Nothing here reads process.env except `loadConfig(env)`.
 */
import { validateTickerSymbol } from '../generated/validators.js';
import { isLoopbackHost } from './auth/request.ts';
import { DEFAULT_SYMBOLS } from './market/source-simulated.ts';
import { ibTradingKind } from './trading/order-policy.ts';

export interface Config {
  port: number;
  host: string;
  /** Structured logs (src/observability/logger.ts). */
  logging: { level: 'debug' | 'info' | 'warn' | 'error' | 'silent'; format: 'auto' | 'json' | 'pretty' };
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
    /** Upgrades at once from one remote address; undefined = no per-address cap (maxConnections still applies). */
    maxConnectionsPerIp: number | undefined;
    /** Origins allowed to open WebSockets besides the gateway's own and loopback ones (`*` = any). */
    allowedOrigins: string[];
  };
  /** Identity and permissions (see src/auth/ and README "Authentication"). */
  auth: {
    mode: 'none' | 'jwt';
    /** HS256 secret; exactly one of secret and jwksUrl when mode is jwt. */
    secret: string | undefined;
    jwksUrl: string | undefined;
    audience: string | undefined;
    issuer: string | undefined;
    anonymousMarketData: boolean;
    privateSignals: boolean;
    /** token_expiring is sent this long before a connection's token expires. */
    expiryWarningMs: number;
    /** The role of a token without a `roles` claim (src/auth/permissions.ts). */
    defaultRole: 'viewer' | 'trader';
    /** Clock skew tolerated on a token's exp and nbf (jose clockTolerance), seconds. */
    clockToleranceS: number;
  };
  market: {
    source: 'simulated' | 'ibkr';
    symbols: string[];
    seed: number;
    tickIntervalMs: number;
    /** Simulated clock speed: 60 = one market minute per real second (demos, browser tests). */
    speed: number;
    /** Simulated market hours: 'always' (24/7) or 'exchange' (NYSE hours and holidays for stocks, crypto 24/7). */
    calendar: 'always' | 'exchange';
  };
  ibkr: {
    host: string;
    port: number | undefined;
    clientId: number;
    account: string | undefined;
  };
  trading: {
    /** Default true on the simulated market, false with MARKET_SOURCE=ibkr (real orders need an explicit opt-in). */
    autoTrade: boolean;
    /** The acknowledgement that auto-trading may place orders on a live IB port or account. */
    liveOrders: boolean;
    orderQuantity: number;
    initialCash: number;
  };
  backtest: {
    retentionMs: number;
    progressInterval: number;
    maxConcurrent: number;
    /** Most finished runs kept (oldest evicted first). */
    maxRetained: number;
    /** Most estimated bytes of finished runs kept (oldest evicted first). */
    maxRetainedBytes: number;
    /** Runs one caller (user with AUTH=jwt, else IP) may start per minute. */
    startsPerMinute: number;
  };
  /** HTTP server limits (see src/server/http-limits.ts). */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** Plain HTTP connections at once (upgraded WebSockets are counted by websocket.maxConnections). */
    maxConnections: number;
    /** Requests per minute per client address on the expensive routes (history, backtest start, trades). */
    expensiveRatePerMin: number;
    /** Trust X-Forwarded-For / -Proto / -Host from a reverse proxy in front. */
    trustProxy: boolean;
  };
  /** This process's part in a deployment and how it reaches the others (see README "Scale-out"). */
  cluster: {
    role: 'standalone' | 'producer' | 'edge';
    /** Redis for the broker and the directory; required for producer and edge. */
    redisUrl: string | undefined;
    redisPrefix: string;
    /** How other nodes reach this node's HTTP server (default http://<HOST>:<PORT>). */
    publicUrl: string | undefined;
  };
  /** Per-topic history kept for recovery (see src/pubsub/history-policy.ts). */
  history: {
    size: number;
    ttlMs: number;
    backtestSize: number;
    backtestTtlMs: number;
    recoveryLimit: number;
  };
}

export interface ConfigError {
  variable: string;
  message: string;
}

type Env = Readonly<Record<string, string | undefined>>;

interface NumberVariable {
  default: number;
  min: number;
  max: number;
  /** min is exclusive: the value must be greater than it (said so in errors, never as a tiny float). */
  exclusiveMin?: boolean;
  integer?: boolean;
  /** Shown after the range in the docs ("a number from 1 to 3600 seconds"). */
  unit?: string;
  /** What it does, for the README table. The accepted values are derived from min/max/integer. */
  description: string;
}
interface ChoiceVariable {
  default: string;
  /** The values it takes; the default is one of them. */
  accepted: readonly string[];
  accepts: string;
  description: string;
}
interface OtherVariable {
  /** undefined: the variable is optional and has no default (`shown` says what happens then). */
  default: string | boolean | readonly string[] | undefined;
  /** For the docs, when the default is not a value. */
  shown?: string;
  /** The accepted values in words. */
  accepts: string;
  /** What it does. */
  description: string;
}

/** WEBSOCKET_MAX_CONNECTIONS_PER_IP when unset and HOST is not a loopback address (see perIpCap). */
const DEFAULT_PUBLIC_PER_IP = 50;

/**
 * Every variable, once: its default, its range (numbers) or what it accepts in words, and what it does. loadConfig reads defaults and
 * ranges from here, and CONFIG_VARIABLES (the docs, checked against README's table by test/readme.test.ts) is
 * derived from it, so a default is written in one place.
 */
const VARIABLES = {
  PORT: { default: 8000, min: 0, max: 65535, integer: true, description: 'HTTP and WebSocket port (0 = any free port)' },
  HOST: { default: '127.0.0.1', accepts: 'an address', description: 'interface to listen on (0.0.0.0 for all)' },
  LOG_LEVEL: { default: 'info', accepted: ['debug', 'info', 'warn', 'error', 'silent'], accepts: 'debug, info, warn, error or silent', description: 'least severe log line written (debug adds the health, ready and metrics requests)' },
  LOG_FORMAT: { default: 'auto', accepted: ['auto', 'json', 'pretty'], accepts: 'auto, json or pretty', description: 'auto: readable on a terminal, JSON lines otherwise' },
  WEBSOCKET_ENABLED: { default: true, accepts: 'true or false', description: 'serve the WebSocket endpoints (false: HTTP only)' },
  WEBSOCKET_MAX_CONNECTIONS: { default: 100, min: 1, max: 100_000, integer: true, description: 'WebSocket connections at once' },
  WEBSOCKET_PING_INTERVAL: { default: 30, min: 1, max: 3600, unit: 'seconds', description: 'between pings; a client with no pong by the next ping is dropped' },
  WEBSOCKET_MAX_CONNECTION_LIFESPAN: { default: 3600, min: 1, max: 604_800, unit: 'seconds', description: 'a connection is closed (reconnectable) after 90-100 % of this, spread so clients do not reconnect at once' },
  WEBSOCKET_MAX_PAYLOAD: { default: 65_536, min: 256, max: 16_777_216, integer: true, unit: 'bytes', description: 'largest inbound message' },
  WEBSOCKET_RATE_LIMIT: { default: 10, min: 1, max: 10_000, description: 'inbound messages per second per connection' },
  WEBSOCKET_RATE_BURST: { default: 20, min: 1, max: 100_000, integer: true, description: 'inbound messages allowed in a burst above the rate' },
  WEBSOCKET_MAX_SUBSCRIPTIONS: { default: 100, min: 1, max: 100_000, integer: true, description: 'topics per connection' },
  WEBSOCKET_MAX_BUFFERED_BYTES: { default: 1_048_576, min: 1024, max: 1_073_741_824, integer: true, unit: 'bytes', description: 'unsent bytes per connection before close 4001 (slow consumer)' },
  WEBSOCKET_PRICE_UPDATE_INTERVAL: { default: 3, min: 2, max: 5, unit: 'seconds', description: 'between dashboard price updates' },
  WEBSOCKET_PORTFOLIO_UPDATE_INTERVAL: { default: 5, min: 1, max: 3600, unit: 'seconds', description: 'between portfolio updates' },
  WEBSOCKET_MAX_CONNECTIONS_PER_IP: { default: undefined, shown: `(off on a loopback HOST, else ${DEFAULT_PUBLIC_PER_IP})`, accepts: 'an integer from 0 to 100000 (0 = no per-address cap)', description: 'WebSocket connections at once from one client address (over it: HTTP 429 at upgrade; with TRUST_PROXY the X-Forwarded-For client); raise it when clients share an address (NAT)' },
  ALLOWED_ORIGINS: { default: undefined, shown: '(own origin, loopback)', accepts: 'comma-separated origins (https://app.example.com), or *', description: "browser origins allowed to open WebSockets besides the gateway's own and loopback ones; * = any. Others get 403" },
  AUTH: { default: undefined, shown: '(none on a loopback HOST)', accepts: 'none or jwt', description: 'none: no identities, everything readable; jwt: tokens required for private streams. Required when HOST is not a loopback address' },
  AUTH_JWT_SECRET: { default: undefined, shown: '(none)', accepts: 'at least 32 characters', description: 'AUTH=jwt: HS256 secret (or AUTH_JWKS_URL)' },
  AUTH_JWKS_URL: { default: undefined, shown: '(none)', accepts: 'an http(s) URL', description: 'AUTH=jwt: a JWKS; RS/PS/ES/EdDSA keys, fetched and cached (or AUTH_JWT_SECRET)' },
  AUTH_JWT_AUDIENCE: { default: undefined, shown: '(none)', accepts: 'a string', description: 'AUTH=jwt: tokens must carry this aud' },
  AUTH_JWT_ISSUER: { default: undefined, shown: '(none)', accepts: 'a string', description: 'AUTH=jwt: tokens must carry this iss' },
  AUTH_ANONYMOUS_MARKET_DATA: { default: false, accepts: 'true or false', description: 'AUTH=jwt: true lets connections without a token read bars, prices, signals and market data' },
  AUTH_PRIVATE_SIGNALS: { default: false, accepts: 'true or false', description: 'AUTH=jwt: true makes dashboard signals need a token like trades and portfolio' },
  AUTH_TOKEN_EXPIRY_WARNING: { default: 60, min: 1, max: 3600, unit: 'seconds', description: "before a connection's token expires, token_expiring is sent" },
  AUTH_CLOCK_TOLERANCE_SECONDS: { default: 30, min: 0, max: 300, integer: true, unit: 'seconds', description: "AUTH=jwt: clock skew tolerated on a token's exp and nbf (an nbf further in the future: INVALID_TOKEN)" },
  AUTH_DEFAULT_ROLE: { default: 'trader', accepted: ['trader', 'viewer'], accepts: 'trader or viewer', description: 'AUTH=jwt: the role of a token without a roles claim: trader (market data and private streams) or viewer (market data only)' },
  MARKET_SOURCE: { default: 'simulated', accepted: ['simulated', 'ibkr'], accepts: 'simulated or ibkr', description: 'where market data comes from: the embedded simulated market, or TWS / IB Gateway' },
  MARKET_SYMBOLS: { default: DEFAULT_SYMBOLS, accepts: 'comma-separated tickers', description: 'the symbols served' },
  MARKET_SEED: { default: 42, min: 0, max: 2 ** 32 - 1, integer: true, description: 'simulated market random seed' },
  MARKET_TICK_INTERVAL_MS: { default: 1000, min: 10, max: 60_000, integer: true, unit: 'milliseconds', description: 'between simulated ticks' },
  MARKET_SPEED: { default: 1, min: 1, max: 3600, description: 'simulated clock speed (60 = a 1-minute bar per second)' },
  MARKET_CALENDAR: { default: 'always', accepted: ['always', 'exchange'], accepts: 'always or exchange', description: 'simulated market hours for live bars and history: always (every symbol 24/7, prices move at any hour) or exchange (stocks in NYSE sessions, holidays and early closes; crypto 24/7)' },
  IBKR_HOST: { default: '127.0.0.1', accepts: 'a host name or address', description: 'TWS / IB Gateway host' },
  IBKR_PORT: { default: undefined, shown: '(none)', accepts: 'an integer from 1 to 65535', description: 'required when MARKET_SOURCE=ibkr: 4002 IB Gateway paper, 7497 TWS paper, 4001/7496 live' },
  IBKR_CLIENT_ID: { default: 1, min: 0, max: 2_147_483_647, integer: true, description: 'TWS API client id; unique per connection to one TWS' },
  IBKR_ACCOUNT: { default: undefined, shown: '(first managed account)', accepts: 'an account id, e.g. DU1234567', description: 'the account for P&L and orders' },
  TRADING_AUTO_TRADE: { default: undefined, shown: '(true; false when MARKET_SOURCE=ibkr)', accepts: 'true or false', description: 'place an order on each strategy signal (the paper venue; with MARKET_SOURCE=ibkr real IB orders, so it must be set explicitly)' },
  TRADING_LIVE_ORDERS: { default: 'no', accepted: ['no', 'yes'], accepts: 'no or yes', description: 'yes lets TRADING_AUTO_TRADE place orders on a live IB port (4001/7496) or a non-DU account' },
  TRADING_ORDER_QUANTITY: { default: 10, min: 0, exclusiveMin: true, max: 1e9, description: 'shares per signal order' },
  TRADING_INITIAL_CASH: { default: 100_000, min: 0, exclusiveMin: true, max: 1e12, description: 'paper account cash' },
  BACKTEST_RETENTION_SECONDS: { default: 3600, min: 1, max: 604_800, unit: 'seconds', description: 'how long finished runs are kept' },
  BACKTEST_PROGRESS_INTERVAL: { default: 100, min: 1, max: 1_000_000, integer: true, description: 'candles between progress messages' },
  BACKTEST_MAX_CONCURRENT: { default: 4, min: 1, max: 64, integer: true, description: 'runs at once' },
  BACKTEST_MAX_RETAINED: { default: 100, min: 1, max: 100_000, integer: true, description: 'finished runs kept at most (oldest evicted first)' },
  BACKTEST_RETAINED_MB: { default: 128, min: 1, max: 65_536, unit: 'MB', description: 'estimated size of finished runs kept at most (oldest evicted first)' },
  BACKTEST_STARTS_PER_MINUTE: { default: 20, min: 1, max: 100_000, integer: true, description: 'runs one caller (user with AUTH=jwt, else address) may start per minute (over it: 429 with Retry-After)' },
  HTTP_HEADERS_TIMEOUT: { default: 10, min: 1, max: 300, unit: 'seconds', description: 'a client has this long to send complete request headers (then the connection is closed)' },
  HTTP_REQUEST_TIMEOUT: { default: 30, min: 1, max: 3600, unit: 'seconds', description: 'a client has this long to send a whole request, body included (then 408)' },
  HTTP_KEEP_ALIVE_TIMEOUT: { default: 5, min: 1, max: 600, unit: 'seconds', description: 'an idle keep-alive connection stays open this long' },
  HTTP_MAX_CONNECTIONS: { default: 512, min: 1, max: 100_000, integer: true, description: 'plain HTTP connections at once (at the cap the longest-idle one is closed for a new one)' },
  HTTP_EXPENSIVE_RATE_LIMIT: { default: 120, min: 1, max: 1_000_000, integer: true, description: 'requests per minute per client address on history, backtest start and trades routes (over it: 429 with Retry-After)' },
  TRUST_PROXY: { default: false, accepts: 'true or false', description: 'true behind a reverse proxy: client address from X-Forwarded-For, stream_url from X-Forwarded-Proto / X-Forwarded-Host' },
  TICKWIRE_ROLE: { default: 'standalone', accepted: ['standalone', 'producer', 'edge'], accepts: 'standalone, producer or edge', description: 'standalone: everything in one process; producer: market, strategies, trading, backtests, no WebSocket clients; edge: HTTP + WebSocket only' },
  REDIS_URL: { default: undefined, shown: '(none)', accepts: 'redis://host:port', description: 'the Redis broker; required for producer and edge (standalone: in-memory broker without it)' },
  REDIS_PREFIX: { default: 'tw', accepts: 'a string without { } or spaces', description: 'key prefix of every Redis key' },
  TICKWIRE_PUBLIC_URL: { default: undefined, shown: '(http://HOST:PORT)', accepts: 'an http(s) URL', description: "this node's HTTP base URL as other nodes reach it (edges forward backtest requests to the producer's)" },
  TICKWIRE_WORKERS: { default: 'auto', accepts: 'auto or an integer from 1 to 64', description: 'npm run start:cluster: edge workers beside the producer (auto = one per core)' },
  HISTORY_SIZE: { default: 1000, min: 1, max: 1_000_000, integer: true, description: 'publications kept per topic for recovery (bars, dashboard, live-trading, market-data)' },
  HISTORY_TTL_SECONDS: { default: 300, min: 1, max: 86_400, unit: 'seconds', description: 'how long a publication is kept for recovery' },
  HISTORY_BACKTEST_SIZE: { default: 100_000, min: 1, max: 10_000_000, integer: true, description: "events kept per backtest run (for the run's retention)" },
  HISTORY_RECOVERY_LIMIT: { default: 1000, min: 1, max: 1_000_000, integer: true, description: 'most publications replayed on one resubscribe; more missed means recovered: false' },
} as const satisfies Record<string, NumberVariable | ChoiceVariable | OtherVariable>;

type Variables = typeof VARIABLES;
type Name = keyof Variables;
/** The variables whose default is a T. */
type NameOf<T> = { [K in Name]: Variables[K]['default'] extends T ? K : never }[Name];
type NumberName = { [K in Name]: Variables[K] extends NumberVariable ? K : never }[Name];
type ChoiceName = { [K in Name]: Variables[K] extends ChoiceVariable ? K : never }[Name];

/** Documentation of every variable: name, default as written in the README, what it accepts, what it does. */
export const CONFIG_VARIABLES: readonly (readonly [name: string, shownDefault: string, accepts: string, description: string])[] = Object.entries(VARIABLES).map(
  ([name, v]: [string, NumberVariable | ChoiceVariable | OtherVariable]) => [
    name,
    'shown' in v && v.shown !== undefined ? v.shown : showDefault(v.default),
    'accepts' in v ? v.accepts : `${describeRange(v)}${v.unit ? ` ${v.unit}` : ''}`,
    v.description,
  ] as const,
);

function showDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** A range in words: "an integer from 1 to 64", "a number greater than 0 and at most 1000000000". */
export function describeRange({ min, max, integer = false, exclusiveMin = false }: { min: number; max: number; integer?: boolean; exclusiveMin?: boolean }): string {
  const kind = integer ? 'an integer' : 'a number';
  return exclusiveMin ? `${kind} greater than ${min} and at most ${max}` : `${kind} from ${min} to ${max}`;
}

/** Prefixes that belong to this gateway: an unknown variable with one of them is most likely a typo. */
const OWN_PREFIXES = ['TICKWIRE_', 'WEBSOCKET_'];

/**
 * Variables that look like ours but are not known (TICKWIRE_*, WEBSOCKET_*), each with the closest known name when
 * one is near (a typo), for a startup warning. Never an error: a deployment may set variables for other tools.
 */
export function unknownVariables(env: Env): { variable: string; message: string }[] {
  const known = Object.keys(VARIABLES);
  const out: { variable: string; message: string }[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!OWN_PREFIXES.some((p) => name.startsWith(p)) || known.includes(name)) continue;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
      const d = editDistance(name, k);
      if (d < bestDistance) [best, bestDistance] = [k, d];
    }
    const near = best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4));
    out.push({ variable: name, message: `${name} is not a tickwire setting (ignored)${near ? `; did you mean ${best}?` : ''}` });
  }
  return out;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

class Reader {
  readonly errors: ConfigError[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: Name): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  number(name: NumberName): number {
    const spec: NumberVariable = VARIABLES[name];
    return this.parseNumber(name, spec.default, spec);
  }

  optionalInt(name: NameOf<undefined>, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.parseNumber(name, 0, { min, max, integer: true });
  }

  bool(name: NameOf<boolean>): boolean {
    return this.optionalBool(name) ?? VARIABLES[name].default;
  }

  optionalBool(name: NameOf<boolean> | NameOf<undefined>): boolean | undefined {
    const fallback = undefined;
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    this.errors.push({ variable: name, message: `${name}=${JSON.stringify(v)} is invalid: expected true or false` });
    return fallback;
  }

  choice<N extends ChoiceName>(name: N): Variables[N]['accepted'][number] {
    const { default: fallback, accepted }: ChoiceVariable = VARIABLES[name];
    const v = this.raw(name);
    if (v !== undefined && !accepted.includes(v)) {
      this.errors.push({ variable: name, message: `${name}=${JSON.stringify(v)} is invalid: expected one of ${accepted.join(', ')}` });
    }
    return (v !== undefined && accepted.includes(v) ? v : fallback) as Variables[N]['accepted'][number];
  }

  string(name: Exclude<NameOf<string>, ChoiceName>): string {
    return this.raw(name) ?? VARIABLES[name].default;
  }

  optionalString(name: NameOf<undefined>): string | undefined {
    return this.raw(name);
  }

  /** A comma-separated list; [] when unset. */
  list(name: NameOf<undefined>): string[] {
    return (this.raw(name) ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  }

  symbols(name: NameOf<readonly string[]>): string[] {
    const fallback = [...VARIABLES[name].default];
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

  private parseNumber(name: Name, fallback: number, spec: { min: number; max: number; integer?: boolean; exclusiveMin?: boolean }): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    const { min, max, integer = false, exclusiveMin = false } = spec;
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || (exclusiveMin ? n <= min : n < min) || n > max) {
      this.errors.push({ variable: name, message: `${name}=${JSON.stringify(v)} is invalid: expected ${describeRange(spec)}` });
      return fallback;
    }
    return n;
  }
}

/** Reads and validates the environment. Errors name the variable and the accepted values. */
export function loadConfig(env: Env): { ok: true; config: Config } | { ok: false; errors: ConfigError[] } {
  const r = new Reader(env);
  const s = 1000;
  const config: Config = {
    port: r.number('PORT'),
    host: r.string('HOST'),
    logging: { level: r.choice('LOG_LEVEL'), format: r.choice('LOG_FORMAT') },
    websocket: {
      enabled: r.bool('WEBSOCKET_ENABLED'),
      maxConnections: r.number('WEBSOCKET_MAX_CONNECTIONS'),
      pingIntervalMs: r.number('WEBSOCKET_PING_INTERVAL') * s,
      maxLifespanMs: r.number('WEBSOCKET_MAX_CONNECTION_LIFESPAN') * s,
      maxPayloadBytes: r.number('WEBSOCKET_MAX_PAYLOAD'),
      rateLimitPerSec: r.number('WEBSOCKET_RATE_LIMIT'),
      rateBurst: r.number('WEBSOCKET_RATE_BURST'),
      maxSubscriptions: r.number('WEBSOCKET_MAX_SUBSCRIPTIONS'),
      maxBufferedBytes: r.number('WEBSOCKET_MAX_BUFFERED_BYTES'),
      priceUpdateIntervalMs: r.number('WEBSOCKET_PRICE_UPDATE_INTERVAL') * s,
      portfolioUpdateIntervalMs: r.number('WEBSOCKET_PORTFOLIO_UPDATE_INTERVAL') * s,
      maxConnectionsPerIp: r.optionalInt('WEBSOCKET_MAX_CONNECTIONS_PER_IP', 0, 100_000),
      allowedOrigins: r.list('ALLOWED_ORIGINS'),
    },
    auth: {
      mode: 'none',
      secret: r.optionalString('AUTH_JWT_SECRET'),
      jwksUrl: r.optionalString('AUTH_JWKS_URL'),
      audience: r.optionalString('AUTH_JWT_AUDIENCE'),
      issuer: r.optionalString('AUTH_JWT_ISSUER'),
      anonymousMarketData: r.bool('AUTH_ANONYMOUS_MARKET_DATA'),
      privateSignals: r.bool('AUTH_PRIVATE_SIGNALS'),
      expiryWarningMs: r.number('AUTH_TOKEN_EXPIRY_WARNING') * s,
      defaultRole: r.choice('AUTH_DEFAULT_ROLE'),
      clockToleranceS: r.number('AUTH_CLOCK_TOLERANCE_SECONDS'),
    },
    market: {
      source: r.choice('MARKET_SOURCE'),
      symbols: r.symbols('MARKET_SYMBOLS'),
      seed: r.number('MARKET_SEED'),
      tickIntervalMs: r.number('MARKET_TICK_INTERVAL_MS'),
      speed: r.number('MARKET_SPEED'),
      calendar: r.choice('MARKET_CALENDAR'),
    },
    ibkr: {
      host: r.string('IBKR_HOST'),
      port: r.optionalInt('IBKR_PORT', 1, 65535),
      clientId: r.number('IBKR_CLIENT_ID'),
      account: r.optionalString('IBKR_ACCOUNT'),
    },
    trading: {
      autoTrade: r.optionalBool('TRADING_AUTO_TRADE') ?? env.MARKET_SOURCE?.trim() !== 'ibkr',
      liveOrders: r.choice('TRADING_LIVE_ORDERS') === 'yes',
      orderQuantity: r.number('TRADING_ORDER_QUANTITY'),
      initialCash: r.number('TRADING_INITIAL_CASH'),
    },
    backtest: {
      retentionMs: r.number('BACKTEST_RETENTION_SECONDS') * s,
      progressInterval: r.number('BACKTEST_PROGRESS_INTERVAL'),
      maxConcurrent: r.number('BACKTEST_MAX_CONCURRENT'),
      maxRetained: r.number('BACKTEST_MAX_RETAINED'),
      maxRetainedBytes: Math.round(r.number('BACKTEST_RETAINED_MB') * 1024 * 1024),
      startsPerMinute: r.number('BACKTEST_STARTS_PER_MINUTE'),
    },
    http: {
      headersTimeoutMs: r.number('HTTP_HEADERS_TIMEOUT') * s,
      requestTimeoutMs: r.number('HTTP_REQUEST_TIMEOUT') * s,
      keepAliveTimeoutMs: r.number('HTTP_KEEP_ALIVE_TIMEOUT') * s,
      maxConnections: r.number('HTTP_MAX_CONNECTIONS'),
      expensiveRatePerMin: r.number('HTTP_EXPENSIVE_RATE_LIMIT'),
      trustProxy: r.bool('TRUST_PROXY'),
    },
    cluster: {
      role: r.choice('TICKWIRE_ROLE'),
      redisUrl: r.optionalString('REDIS_URL'),
      redisPrefix: r.string('REDIS_PREFIX'),
      publicUrl: r.optionalString('TICKWIRE_PUBLIC_URL'),
    },
    history: {
      size: r.number('HISTORY_SIZE'),
      ttlMs: r.number('HISTORY_TTL_SECONDS') * s,
      backtestSize: r.number('HISTORY_BACKTEST_SIZE'),
      backtestTtlMs: r.number('BACKTEST_RETENTION_SECONDS') * s,
      recoveryLimit: r.number('HISTORY_RECOVERY_LIMIT'),
    },
  };
  if (config.cluster.role !== 'standalone' && !config.cluster.redisUrl) {
    r.errors.push({ variable: 'REDIS_URL', message: `REDIS_URL is required when TICKWIRE_ROLE=${config.cluster.role} (e.g. redis://127.0.0.1:6379)` });
  }
  if (config.cluster.redisUrl && !/^rediss?:\/\/[^\s]+$/.test(config.cluster.redisUrl)) {
    r.errors.push({ variable: 'REDIS_URL', message: `REDIS_URL=${JSON.stringify(config.cluster.redisUrl)} is invalid: expected redis://host:port` });
  }
  if (/[{}\s]/.test(config.cluster.redisPrefix)) {
    r.errors.push({ variable: 'REDIS_PREFIX', message: `REDIS_PREFIX=${JSON.stringify(config.cluster.redisPrefix)} is invalid: no braces or spaces` });
  }
  const workers = r.string('TICKWIRE_WORKERS');
  if (workers !== 'auto' && !(/^\d+$/.test(workers) && Number(workers) >= 1 && Number(workers) <= 64)) {
    r.errors.push({ variable: 'TICKWIRE_WORKERS', message: `TICKWIRE_WORKERS=${JSON.stringify(workers)} is invalid: expected auto or an integer from 1 to 64` });
  }
  checkAuth(r, env, config);
  config.websocket.maxConnectionsPerIp = perIpCap(config.websocket.maxConnectionsPerIp, config.host);
  if (config.market.source === 'ibkr' && config.trading.autoTrade && !config.trading.liveOrders && config.ibkr.port !== undefined) {
    if (ibTradingKind(config.ibkr.port, config.ibkr.account) === 'live') {
      const what = config.ibkr.account && !/^DU/i.test(config.ibkr.account) ? `IBKR_ACCOUNT=${config.ibkr.account} (a live account)` : `IBKR_PORT=${config.ibkr.port} (a live port)`;
      r.errors.push({
        variable: 'TRADING_LIVE_ORDERS',
        message: `TRADING_AUTO_TRADE=true with ${what} would place REAL orders: set TRADING_LIVE_ORDERS=yes to confirm, or use a paper port (4002, 7497) and a DU account`,
      });
    }
  }
  if (config.market.source === 'ibkr' && config.ibkr.port === undefined && !r.errors.some((e) => e.variable === 'IBKR_PORT')) {
    r.errors.push({ variable: 'IBKR_PORT', message: 'IBKR_PORT is required when MARKET_SOURCE=ibkr (there is no default): 4002 IB Gateway paper, 7497 TWS paper' });
  }
  return r.errors.length ? { ok: false, errors: r.errors } : { ok: true, config };
}

/**
 * The per-address connection cap: unset means none on a loopback HOST (every local client is 127.0.0.1: the CLI, the
 * dashboard, tests) and DEFAULT_PUBLIC_PER_IP on any other address, so one remote address cannot take more than half of
 * the default WEBSOCKET_MAX_CONNECTIONS; 0 switches it off on purpose.
 */
function perIpCap(value: number | undefined, host: string): number | undefined {
  if (value === 0) return undefined;
  return value ?? (isLoopbackHost(host) ? undefined : DEFAULT_PUBLIC_PER_IP);
}

/**
 * AUTH: `none` or `jwt`; unset means `none` on a loopback HOST and is refused elsewhere (an open gateway on a
 * network address must be a deliberate choice). `jwt` needs exactly one key source.
 */
function checkAuth(r: Reader, env: Env, config: Config): void {
  const raw = env.AUTH?.trim();
  if (raw === undefined || raw === '') {
    if (!isLoopbackHost(config.host)) {
      r.errors.push({
        variable: 'AUTH',
        message: `HOST=${config.host} is not a loopback address, so AUTH must be set: AUTH=jwt with AUTH_JWT_SECRET (or AUTH_JWKS_URL) to require tokens, or AUTH=none to run an open gateway on purpose`,
      });
    }
    return;
  }
  if (raw !== 'none' && raw !== 'jwt') {
    r.errors.push({ variable: 'AUTH', message: `AUTH=${JSON.stringify(raw)} is invalid: expected none or jwt` });
    return;
  }
  config.auth.mode = raw;
  if (raw !== 'jwt') return;
  const { secret, jwksUrl } = config.auth;
  if (!secret && !jwksUrl) r.errors.push({ variable: 'AUTH_JWT_SECRET', message: 'AUTH=jwt needs a key: AUTH_JWT_SECRET (HS256, at least 32 characters) or AUTH_JWKS_URL' });
  if (secret && jwksUrl) r.errors.push({ variable: 'AUTH_JWKS_URL', message: 'set one of AUTH_JWT_SECRET and AUTH_JWKS_URL, not both (mixing HMAC and public keys invites algorithm confusion)' });
  if (secret && secret.length < 32) r.errors.push({ variable: 'AUTH_JWT_SECRET', message: `AUTH_JWT_SECRET is too short (${secret.length} characters): at least 32` });
  if (jwksUrl && !/^https?:\/\/\S+$/.test(jwksUrl)) r.errors.push({ variable: 'AUTH_JWKS_URL', message: `AUTH_JWKS_URL=${JSON.stringify(jwksUrl)} is invalid: expected an http(s) URL` });
}

/** The defaults, for tests and tools that build a server without an environment. */
export function defaultConfig(): Config {
  const loaded = loadConfig({});
  if (!loaded.ok) throw new Error('defaults must be valid');
  return loaded.config;
}

/** The README's configuration table (scripts/config-table.ts writes it; test/readme.test.ts checks it). */
export function configTable(): string {
  const rows = CONFIG_VARIABLES.map(([name, def, accepts, description]) => `| \`${name}\` | ${def} | ${accepts} | ${description} |`);
  return ['| variable | default | accepts | what it does |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * The settings that differ from their defaults, as NAME=value (secrets shown as ***), for the startup banner: what
 * this process runs with is one line, derived from the same table.
 */
export function changedSettings(env: Env): string[] {
  const out: string[] = [];
  for (const name of Object.keys(VARIABLES)) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const v: NumberVariable | ChoiceVariable | OtherVariable = VARIABLES[name as Name];
    if (v.default !== undefined && showDefault(v.default) === raw) continue;
    out.push(`${name}=${/SECRET|PASSWORD|TOKEN/.test(name) ? '***' : /URL/.test(name) ? raw.replace(/\/\/[^@/]*@/, '//***@') : raw}`);
  }
  return out;
}
