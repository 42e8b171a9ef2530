import express from 'express';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Permissions } from './auth/permissions.ts';
import { isLoopbackHost, redactTokens, tokenFromRequest } from './auth/request.ts';
import { JoseVerifier } from './auth/verifier-jose.ts';
import type { Identity, TokenVerifier } from './auth/verifier.ts';
import type { AddressInfo } from 'node:net';
import { ClusterView } from './cluster/cluster-view.ts';
import { ConnectingBroker } from './cluster/connecting-broker.ts';
import { RedisDirectory } from './cluster/directory-redis.ts';
import { MemoryDirectory, type Directory, type NodeInfo } from './cluster/directory.ts';
import type { Config } from './config.ts';
import type { MarketSource } from './market/source.ts';
import { MemoryBroker } from './pubsub/broker-memory.ts';
import { createRedisBroker } from './pubsub/broker-redis.ts';
import type { Broker } from './pubsub/broker.ts';
import { historyPolicy } from './pubsub/history-policy.ts';
import { Hub } from './pubsub/hub.ts';
import { createBarsHandlers } from './handlers/bars.ts';
import { createMarketTopicHandlers } from './handlers/market-topics.ts';
import { createDashboardHandlers } from './handlers/dashboard.ts';
import { dashboardWsEndpoint, operationEndpoint } from './handlers/endpoints.ts';
import { liveTradingWsEndpoint } from './handlers/live-trading.ts';
import { marketDataWsEndpoint } from './handlers/market-data.ts';
import { backtestWsEndpoint, type BacktestLookup } from './backtest/stream.ts';
import { decodeOffsetCursor } from './backtest/service.ts';
import { buildProducer, type Producer, type ProducerOptions } from './producer.ts';
import type { ContractViolation } from './server/connection.ts';
import type { Endpoint } from './server/endpoint.ts';
import { forwardTo } from './server/forward.ts';
import { Gateway } from './server/gateway.ts';
import { FlushScheduler } from './server/outbound.ts';
import { createHttpApp } from './server/http.ts';
import { applyHttpLimits, serverOptions } from './server/http-limits.ts';
import { clientIpResolver } from './server/client-ip.ts';
import { publicBaseResolver, wsBase } from './server/public-url.ts';
import { KeyedRateLimiter } from './util/rate-limiter.ts';
import { originPolicy } from './server/origin.ts';
import { createBacktestRouter, type BacktestAccess, type HttpIdentity } from './server/routes-backtest.ts';
import { createDashboardRouter } from './server/routes-dashboard.ts';
import { createUdfRouter, describeSymbol, remoteHistory } from './server/routes-udf.ts';
import { HealthMonitor } from './streams/health.ts';
import { ibTradingKind, type OrderPolicy } from './trading/order-policy.ts';
import type { OrderVenue } from './trading/venue.ts';
import { randomUUID } from 'node:crypto';
import { createPinoLogger, lineLogger, type Logger } from './observability/logger.ts';
import { createPromMetrics, type PromMetrics } from './observability/metrics-prom.ts';

/** `/ready`'s answer: ready when `reasons` is empty. */
export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export interface AppOptions extends ProducerOptions {
  /** Node-level pub/sub broker; default from config (in-memory, or Redis when REDIS_URL is set). */
  broker?: Broker;
  /** The cluster directory; default from config (in-memory, or Redis when REDIS_URL is set). */
  directory?: Directory;
  /** Tests: called for every outbound message that breaks the contract. */
  onContractViolation?: ContractViolation;
  /** Every line is passed through redactTokens first (no token reaches a log). */
  log?: (line: string) => void;
  /** Token verifier; default from config (jose with AUTH_JWT_SECRET or AUTH_JWKS_URL when AUTH=jwt). */
  verifier?: TokenVerifier;
  /** Structured logger; default: `log` lines when `log` is given, else pino on stdout (LOG_LEVEL, LOG_FORMAT). */
  logger?: Logger;
  /** Node.js process metrics on /metrics (CPU, memory, GC, event-loop lag): one set per process, so src/main.ts asks. */
  processMetrics?: boolean;
  /** false: hub, gateway and HTTP count nothing (the bench's baseline); /metrics still reads state. Default true. */
  metricsEnabled?: boolean;
}

export interface App {
  readonly role: Config['cluster']['role'];
  readonly id: string;
  readonly server: Server;
  readonly hub: Hub;
  /** The market source and the venue: on standalone and producer nodes only. */
  readonly source: MarketSource | undefined;
  readonly venue: OrderVenue | undefined;
  /** Whether automatic orders may be placed (standalone and producer nodes). */
  readonly orders: OrderPolicy | undefined;
  readonly gateway: Gateway;
  readonly health: HealthMonitor;
  readonly cluster: ClusterView;
  /** Structured logs (every line has time and level; tokens and secrets redacted). */
  readonly logger: Logger;
  /** This node's metrics (GET /metrics). */
  readonly metrics: PromMetrics;
  /** True once the node can serve: its broker is connected (always, with the in-memory broker). */
  ready(): boolean;
  /**
   * `/ready`: whether this node should get traffic, with every reason it should not: draining, broker not
   * connected, an edge that knows no producer, a market source still starting, not connected or stale.
   */
  readiness(): Readiness;
  /**
   * Listens on config.port/host (0 = any free port) first, then starts the producer side (market source, IB
   * connection, strategy warm-up, streams). `background: true` (src/main.ts) resolves as soon as the port listens and
   * lets the rest come up behind it, reported by readiness(); by default (tests) it resolves once everything started.
   */
  start(options?: { background?: boolean }): Promise<{ port: number; host: string }>;
  /** Resolves once the producer side has started (at once on an edge); rejects if it failed. */
  started(): Promise<void>;
  /**
   * Draining, in this order: readiness goes false (`draining`) at once; the listening socket stops accepting; the
   * producer's streams stop (running backtests' followers get their terminal message while clients still read);
   * every WebSocket client gets 1001 after its queued frames flush; idle HTTP keep-alive sockets close; then the
   * venue, the market connection, the cluster entry and the broker. Idempotent.
   */
  stop(): Promise<void>;
}

/** One-line log entries that read as a warning (the rest are info). */
const WARNING = /\b(fail(ed|s|ure)?|error|refused|problem|lost|unreachable|cannot|invalid)\b/i;

/** What an edge knows of the market: the producer's announced symbols. */
function remoteMarket(cluster: ClusterView): Pick<MarketSource, 'hasSymbol' | 'symbols'> {
  const symbols = () => cluster.first('producer')?.symbols ?? [];
  return { symbols, hasSymbol: (s) => symbols().includes(s) };
}

/**
 * Whether a backtest exists, asked of the producer over HTTP (an edge has no runs of its own). With AUTH=jwt the
 * question is asked with the caller's token, so the producer answers only about the caller's own runs.
 */
function remoteBacktests(cluster: ClusterView): BacktestLookup {
  return {
    async find(id, identity) {
      const base = cluster.first('producer')?.http;
      if (!base) return undefined;
      const headers = identity ? { authorization: `Bearer ${identity.token}` } : undefined;
      const res = await fetch(new URL(`/api/backtesting/${encodeURIComponent(id)}`, base), { signal: AbortSignal.timeout(5000), headers });
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as { status?: string };
      return { status: body.status ?? 'queued' };
    },
  };
}

/**
 * Builds a node from a validated Config. No module state: every call builds a fresh, independent app.
 * - standalone: everything in one process (the in-memory broker, or Redis when REDIS_URL is set).
 * - producer: market, strategies, trading, portfolio, backtests; publishes through the Redis broker and follows the
 *   cluster's subscriptions; HTTP for health, status and the backtest API; no WebSocket clients.
 * - edge: HTTP + WebSocket gateway and hub only; market facts from the producer's directory entry, snapshots and
 *   updates through the broker, backtest requests forwarded to the producer.
 */
export function buildApp(config: Config, options: AppOptions = {}): App {
  // Logs: tokens (query, Bearer, JWTs), the JWT secret and URL passwords never reach the output.
  const secrets = [config.auth.secret].filter((x): x is string => !!x);
  const redact = (text: string) => {
    let out = redactTokens(text).replace(/(\w+:\/\/)[^\s/@:]*:[^\s/@]*@/g, '$1***@');
    for (const secret of secrets) out = out.split(secret).join('[redacted]');
    return out;
  };
  const format = config.logging.format === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : config.logging.format;
  const { role, redisUrl, redisPrefix } = config.cluster;
  const id = `${role}-${randomUUID().slice(0, 8)}`;
  // Every record of this node's own logger names the node (several nodes may log to one collector).
  const logger = options.logger
    ?? (options.log ? lineLogger(options.log, redact) : createPinoLogger({ level: config.logging.level, format, redact }).child({ node: id }));
  /** The one-line form used across the code base: a warning when it reads like one, else info. */
  const log = (line: string) => (WARNING.test(line) ? logger.warn(line) : logger.info(line));
  const policy = historyPolicy(config.history);
  const connecting = !options.broker && redisUrl
    ? new ConnectingBroker({
        describe: redisUrl.replace(/\/\/[^@/]*@/, '//***@'),
        log,
        connect: () => createRedisBroker({ url: redisUrl, prefix: redisPrefix, historyPolicy: policy, log, connectTimeoutMs: 3000 }),
      })
    : undefined;
  const broker = options.broker ?? connecting ?? new MemoryBroker({ historyPolicy: policy });
  const health = new HealthMonitor();
  const upstream = { up: true, errors: 0 };
  // Metrics: events are counted where they happen; state is read at scrape time (the closures run only then).
  const metrics = createPromMetrics({
    processMetrics: options.processMetrics,
    sources: {
      // Every endpoint from the start (0 until a client connects), so a dashboard shows it before the first client.
      connectionsByEndpoint: () => ({ ...Object.fromEntries(endpoints.map((e) => [e.id, 0])), ...gateway.countsByEndpoint() }),
      subscriptionsByFamily: () => hub.statsByFamily(),
      queuedBytes: () => gateway.stats().queuedBytes,
      outbound: () => gateway.stats().outbound,
      broker: () => ({ connected: ready(), kind: redisUrl ? 'redis' : 'memory' }),
      streams: () => Object.fromEntries(Object.entries(health.snapshot()).map(([k, v]) => [k, v.is_healthy])),
      ...(role !== 'edge'
        ? {
            upstream: () => ({ source: producer!.source.name, up: upstream.up, errors: upstream.errors }),
            backtests: () => {
              const out = { queued: 0, running: 0 };
              for (const run of producer!.backtests.registry.all()) if (run.status === 'queued' || run.status === 'running') out[run.status]++;
              return out;
            },
          }
        : {}),
    },
  });
  // The broker is a health entry: every publish it refuses counts as an error (never silent), and the log says so
  // once per outage with the count when it ends, instead of one line per refused publish.
  health.register('broker');
  let refused = 0;
  let brokerUp = true;
  const counting = options.metricsEnabled === false ? undefined : metrics;
  // One flush pass per turn writes every connection's queue; the hub hands it each topic's new batch (see FanOut).
  const scheduler = new FlushScheduler(counting ? (s) => counting.delivered(s) : undefined);
  const hub = new Hub(broker, {
    fanOut: (batch, sinks) => scheduler.fanOut(batch, sinks),
    metrics: counting,
    recoveryLimit: config.history.recoveryLimit,
    onPublishError: (topic, err) => {
      health.recordError('broker', err instanceof Error ? err : new Error(String(err)));
      if (refused++ === 0) log(`broker: publish on ${topic} refused (${(err as Error)?.message ?? String(err)}); counting refused publishes until it recovers`);
    },
    onError: (err, where) => log(`hub: ${where}: ${(err as Error)?.message ?? String(err)}`),
    onBrokerActivity: () => health.recordUpdate('broker'),
    onConnectionChange: (state) => {
      brokerUp = state === 'up';
      if (state === 'down') {
        log('broker: connection lost; publishes are refused and counted, clients resync when it is back');
        return;
      }
      health.recordRecovery('broker');
      health.recordUpdate('broker');
      log(`broker: connected${refused ? `; ${refused} publish(es) were refused meanwhile (clients recover from history or are told recovered: false)` : ''}`);
      refused = 0;
    },
  });
  health.recordUpdate('broker');
  const producer: Producer | undefined = role === 'edge' ? undefined : buildProducer(config, hub, health, options, log);
  const ws = config.websocket;

  const directory = options.directory ?? (redisUrl ? new RedisDirectory({ url: redisUrl, prefix: redisPrefix, log }) : new MemoryDirectory());
  const startedAt = new Date().toISOString();
  let httpBase: string | null = null;
  let gateway: Gateway;
  const cluster = new ClusterView({
    directory,
    log,
    self: (): NodeInfo => ({
      id,
      role,
      http: httpBase,
      pid: process.pid,
      connections: gateway.connectionCount,
      market_source: producer?.source.name ?? null,
      symbols: producer ? [...producer.source.symbols()] : [],
      started_at: startedAt,
      updated_at: new Date().toISOString(),
    }),
  });

  const market = producer?.source ?? remoteMarket(cluster);
  const lookup: BacktestLookup = producer
    ? { find: async (runId) => { const run = producer.backtests.get(runId); return run ? { status: run.status } : undefined; } }
    : remoteBacktests(cluster);
  // Identity and permissions (src/auth/): one verifier, one Permissions, shared by the gateway and the HTTP routes.
  const auth = config.auth;
  const verifier = auth.mode === 'jwt'
    ? options.verifier ?? new JoseVerifier({ secret: auth.secret, jwksUrl: auth.jwksUrl, audience: auth.audience, issuer: auth.issuer, clockToleranceS: auth.clockToleranceS })
    : undefined;
  const permissions = new Permissions({
    mode: auth.mode,
    anonymousMarketData: auth.anonymousMarketData,
    privateSignals: auth.privateSignals,
    defaultRoles: [auth.defaultRole],
    backtestOwner: producer
      ? (runId) => producer.backtests.ownerOf(runId)
      // An edge asks the producer with the caller's token: it answers only about the caller's own runs, so another
      // user's run looks unknown (UNKNOWN_BACKTEST, 4500), as Permissions answers on a standalone node or a producer.
      : async (runId, identity) => ((await lookup.find(runId, identity).catch(() => undefined)) ? identity.sub : undefined),
  });
  /** HTTP: the request's identity (AUTH=jwt), anonymous (null), or a 401 refusal for a bad token. */
  const identify = async (req: IncomingMessage): Promise<HttpIdentity & { identity?: Identity }> => {
    const token = verifier ? tokenFromRequest(req.headers, new URL(req.url ?? '/', 'http://localhost').searchParams) : undefined;
    if (!token || !verifier) return { ok: true, sub: null };
    const outcome = await verifier.verify(token);
    if (outcome.ok) return { ok: true, sub: outcome.identity.sub, identity: outcome.identity };
    if (outcome.reason === 'unavailable') return { ok: false, status: 503, error: { code: 'UNAVAILABLE', message: outcome.message } };
    return { ok: false, status: 401, error: { code: outcome.reason === 'expired' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN', message: outcome.message } };
  };
  const backtestAccess: BacktestAccess | undefined = verifier ? { identify } : undefined;
  // Browser safety, one policy for WebSocket upgrades and state-changing HTTP requests (own origin, loopback, ALLOWED_ORIGINS).
  // Links handed out (stream_url) and per-address limits (HTTP and WebSocket). A producer sits behind its edges, which
  // send it the X-Forwarded-* they validated themselves: it trusts them (its HTTP port must be reachable by edges only).
  const trustProxy = config.http.trustProxy || role === 'producer';
  const clientIp = clientIpResolver(trustProxy);
  const origins = originPolicy({ allowed: ws.allowedOrigins, loopbackOnly: isLoopbackHost(config.host) });

  const toProducerHttp = () => cluster.first('producer')?.http ?? undefined;
  const history = producer?.history ?? remoteHistory(toProducerHttp);
  const endpoints: Endpoint<any>[] = [
    // quotes/trades/book: served by the producer's depth source (an edge trusts its producer to serve them).
    operationEndpoint({ ...createBarsHandlers({ source: market, history }), ...createMarketTopicHandlers({ source: market, depth: producer ? { served: producer.depth !== undefined, ...(producer.depth?.bookAvailable ? { bookAvailable: (s: string) => producer.depth!.bookAvailable!(s) } : {}) } : { served: true } }) }),
    dashboardWsEndpoint(createDashboardHandlers()),
    backtestWsEndpoint(lookup),
    liveTradingWsEndpoint({ source: market }),
    marketDataWsEndpoint({ source: market }),
  ];
  gateway = new Gateway({
    endpoints,
    hub,
    limits: {
      maxSubscriptions: ws.maxSubscriptions,
      maxBufferedBytes: ws.maxBufferedBytes,
      rateLimitPerSec: ws.rateLimitPerSec,
      rateBurst: ws.rateBurst,
      maxLifespanMs: ws.maxLifespanMs,
    },
    maxConnections: ws.maxConnections,
    maxPayloadBytes: ws.maxPayloadBytes,
    pingIntervalMs: ws.pingIntervalMs,
    onContractViolation: options.onContractViolation,
    log,
    logger,
    metrics: counting,
    auth: { permissions, verifier, expiryWarningMs: auth.expiryWarningMs, clockToleranceMs: auth.clockToleranceS * 1000 },
    origins,
    maxConnectionsPerIp: ws.maxConnectionsPerIp,
    clientIp,
    scheduler,
  });

  // Ready: connected to the broker now (not only once), so during a Redis outage /ready is 503 and upgrades wait.
  const ready = () => (!connecting || connecting.ready) && brokerUp;
  let draining = false;
  let producerStart: Promise<void> | undefined;
  let producerState: 'idle' | 'starting' | 'started' | 'failed' = 'idle';
  const readiness = (): Readiness => {
    const reasons: string[] = [];
    if (draining) reasons.push('draining: the node is shutting down');
    if (!ready()) reasons.push(`broker not connected${redisUrl ? ` (Redis ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')})` : ''}`);
    if (role === 'edge' && cluster.first('producer') === undefined) reasons.push('no producer in the cluster directory yet');
    if (producer) {
      if (producerState === 'idle' || producerState === 'starting') reasons.push(`market source ${producer.source.name} starting`);
      else if (producerState === 'failed') reasons.push(`market source ${producer.source.name} failed to start (see the log)`);
      reasons.push(...producer.problems());
    }
    return { ready: reasons.length === 0, reasons };
  };
  const publicBase = publicBaseResolver({ publicUrl: role === 'producer' ? undefined : config.cluster.publicUrl, trustProxy, knownOrigins: ws.allowedOrigins });
  const toProducer = forwardTo(() => cluster.first('producer')?.http ?? undefined, {
    headers: (req) => {
      const base = publicBase(req);
      return { 'x-forwarded-host': base.host, 'x-forwarded-proto': base.secure ? 'https' : 'http', 'x-forwarded-for': clientIp(req) };
    },
  });
  // Per-address request rate on the routes that cost CPU or memory (history, backtest start, trades pages).
  const expensive = new KeyedRateLimiter(config.http.expensiveRatePerMin);
  const limitExpensive = (req: express.Request, res: express.Response, next: express.NextFunction) => {
    const took = expensive.take(clientIp(req));
    if (took.ok) return next();
    res.status(429).set('Retry-After', String(took.retryAfterSec)).json({ error: { code: 'RATE_LIMITED', message: `more than ${config.http.expensiveRatePerMin} requests per minute from this address on expensive routes; retry in ${took.retryAfterSec} s` } });
  };

  // Upstream (market source) state, orders and fills: logged, and the state is a metric.
  const offObservers: (() => void)[] = [];
  if (producer) {
    const name = producer.source.name;
    offObservers.push(producer.source.onHealth((e) => {
      if (!e.ok) upstream.errors++;
      if (e.ok !== upstream.up) {
        if (e.ok) logger.info(`upstream ${name}: up`, { source: name, state: 'up', message: e.message });
        else logger.warn(`upstream ${name}: down`, { source: name, state: 'down', code: e.code, message: e.message });
      }
      upstream.up = e.ok;
    }));
    offObservers.push(producer.venue.onOrder((o) => logger.info(`order ${o.status}: ${o.side} ${o.quantity} ${o.symbol}`, {
      order_id: o.order_id, symbol: o.symbol, side: o.side, quantity: o.quantity, type: o.type, limit_price: o.limit_price, status: o.status, filled_quantity: o.filled_quantity, reason: o.reason,
    })));
    offObservers.push(producer.venue.onFill((f) => logger.info(`fill: ${f.side} ${f.quantity} ${f.symbol} @ ${f.price}`, {
      execution_id: f.execution_id, order_id: f.order_id, symbol: f.symbol, side: f.side, quantity: f.quantity, price: f.price, commission: f.commission,
    })));
  }
  const http = createHttpApp({
    metrics: () => metrics.scrape(),
    onRequest: (r) => {
      counting?.http(r.method, r.route, r.status, r.ms / 1000);
      // Probes and scrapes come every few seconds: debug, so they do not drown the requests that matter.
      const probe = r.route === '/health' || r.route === '/ready' || r.route === '/metrics';
      logger[probe ? 'debug' : 'info'](`${r.method} ${r.path} ${r.status}`, r);
    },
    originAllowed: (origin, host) => origins.allowed(origin, host),
    status: () => ({
      enabled: ws.enabled && role !== 'producer',
      active_connections: gateway.connectionCount,
      max_connections: ws.maxConnections,
      ping_interval: ws.pingIntervalMs / 1000,
      price_update_interval: ws.priceUpdateIntervalMs / 1000,
      portfolio_update_interval: ws.portfolioUpdateIntervalMs / 1000,
      stream_health: health.snapshot(),
      connections_by_endpoint: gateway.countsByEndpoint(),
      market_source: producer?.source.name ?? cluster.first('producer')?.market_source ?? null,
      market: marketStatus(config),
      node: { id, role, ready: ready(), broker: redisUrl ? 'redis' : 'memory' },
      // What /ready answers, with its reasons, so the status page and the load balancer agree.
      readiness: readiness(),
      cluster: cluster.nodes().map((n) => ({ id: n.id, role: n.role, connections: n.connections, pid: n.pid, http: n.http, updated_at: n.updated_at })),
    }),
    health: () => {
      const r = readiness();
      return { ok: r.ready, role, broker_connected: ready(), market_source: producer?.source.name ?? null, draining, uptime_s: Math.round(process.uptime()), not_ready: r.reasons };
    },
    ready: readiness,
    mount: (app) => {
      app.get('/dashboard/api/bars', limitExpensive);
      app.get('/api/backtesting/:id/trades', limitExpensive);
      app.post('/api/backtesting/start', limitExpensive);
      // AUTH=jwt: the chart backfill is market data, readable as the bars topic it shows.
      if (verifier) {
        app.get(['/dashboard/api/bars', '/udf/history', '/api/v1/bars/history'], async (req, res, next) => {
          const who = await identify(req);
          if (!who.ok) return void res.status(who.status).json({ error: who.error });
          const decision = await permissions.mayRead(who.identity, `bars:${String(req.query.symbol ?? '')}:${String(req.query.resolution ?? '1')}`);
          if (!decision.ok) return void res.status(decision.code === 'UNAUTHORIZED' ? 401 : 403).json({ error: { code: decision.code, message: decision.message } });
          next();
        });
      }
      if (producer) {
        app.use(createBacktestRouter(producer.backtests, {
          access: backtestAccess,
          cursors: { decodeOffset: decodeOffsetCursor },
          wsBase: (req) => wsBase(publicBase(req)),
          clientIp,
        }));
        app.use(createDashboardRouter({ source: producer.source, now: producer.now }));
        const facts = producer.source.symbols().map((s) => describeSymbol(s, producer.source.name));
        app.use(createUdfRouter({ history: producer.history, symbols: () => facts, now: Date.now }));
      } else {
        // An edge has no runs or history of its own: the producer answers (503 UNAVAILABLE while none is known).
        // Bodies are parsed (and bounded) by express.json as on the producer, then re-sent as JSON.
        app.use('/api/backtesting', express.json({ limit: '16kb', strict: false }), (req, res, next) => (req.method === 'GET' || req.method === 'POST' ? toProducer(req, res) : next()));
        app.get(['/dashboard/api/bars', '/udf/*splat', '/api/v1/bars/history'], toProducer);
        app.use(createDashboardRouter({ source: undefined }));
      }
    },
  });
  const server = createServer(serverOptions(config.http), http);
  applyHttpLimits(server, config.http, log);
  // A producer serves no WebSocket clients; an edge or standalone node does (unless WEBSOCKET_ENABLED=false).
  if (ws.enabled && role !== 'producer') gateway.attach(server, { ready });

  let stopping: Promise<void> | undefined;
  let positionCheck: NodeJS.Timeout | undefined;
  return {
    role,
    id,
    server,
    hub,
    source: producer?.source,
    venue: producer?.venue,
    orders: producer?.orders,
    gateway,
    health,
    cluster,
    logger,
    metrics,
    ready,
    readiness,
    started: () => producerStart ?? Promise.resolve(),
    async start(startOptions = {}) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // A deep accept queue: a fleet reconnecting at once (a restart, a network blip) is not dropped by the kernel
        // at Node's default backlog of 511 (bench: 170-465 of 1000 reconnects lost and retried a second later).
        server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      httpBase = config.cluster.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      connecting?.start();
      cluster.start();
      if (producer) {
        producerState = 'starting';
        // The producer's streams start once the broker is connected: their first snapshots and updates must land.
        producerStart = (async () => {
          if (connecting) await connecting.whenReady();
          if (draining) return;
          if (role === 'producer') await hub.followClusterInterest();
          await producer.start();
        })().then(
          () => {
            if (producerState === 'starting') producerState = 'started';
          },
          (err) => {
            producerState = 'failed';
            log(`producer start failed: ${(err as Error)?.stack ?? String(err)}`);
            throw err;
          },
        );
        // Broker-backed or background starts are awaited by nobody: a failure is logged (above) and shown by
        // readiness, never an unhandled rejection.
        producerStart.catch(() => undefined);
        if (!connecting && !startOptions.background) await producerStart;
      }
      // A networked broker's pub/sub can drop a message silently: compare positions with the broker every few
      // seconds and fill (or resync) what the live path missed (Centrifugo's periodic position check).
      if (redisUrl || options.broker) {
        positionCheck = setInterval(() => {
          if (!ready() || !brokerUp) return;
          health.recordUpdate('broker'); // connected: an idle node's broker is not stale
          hub.checkPositions();
        }, 5000);
      }
      positionCheck?.unref();
      return { port: address.port, host: address.address };
    },
    stop() {
      stopping ??= (async () => {
        draining = true;
        clearInterval(positionCheck);
        for (const off of offObservers) off();
        // Stop accepting first (new connections are refused by the kernel; /ready answers 503 meanwhile on the
        // sockets already open), then let the producer's streams say their last word while clients still read.
        const closed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
        // A producer still starting (IB unreachable, a warm-up) stops between its steps (producer.stop below).
        await producer?.stopStreams();
        await gateway.close();
        // In-flight HTTP requests get a moment to finish; idle keep-alive sockets close now, the rest after it.
        server.closeIdleConnections();
        await Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())]);
        server.closeAllConnections();
        await closed;
        await producer?.stop();
        await cluster.stop();
        if (!options.broker) await broker.close();
      })();
      return stopping;
    },
  };
}

/**
 * What `/websocket/status` says about the market (the dashboard's SIMULATED / IB PAPER / IB LIVE badge):
 * `mode` from the configured source (IB: paper only when the port or account is known to be paper, as the order
 * policy decides; an unknown port without an account shows live, so the badge never understates the risk);
 * `calendar` and `speed` apply to the simulated market only (null with IB). An edge reports its own settings,
 * which a deployment keeps equal to its producer's.
 */
function marketStatus(config: Config): { mode: 'simulated' | 'ib_paper' | 'ib_live'; calendar: string | null; speed: number | null } {
  const m = config.market;
  if (m.source === 'simulated') return { mode: 'simulated', calendar: m.calendar, speed: m.speed };
  return { mode: ibTradingKind(config.ibkr.port, config.ibkr.account) === 'paper' ? 'ib_paper' : 'ib_live', calendar: null, speed: null };
}
