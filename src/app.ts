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
import { buildProducer, type Producer, type ProducerOptions } from './producer.ts';
import type { ContractViolation } from './server/connection.ts';
import type { Endpoint } from './server/endpoint.ts';
import { forwardTo } from './server/forward.ts';
import { Gateway } from './server/gateway.ts';
import { createHttpApp } from './server/http.ts';
import { originPolicy } from './server/origin.ts';
import { createBacktestRouter, type BacktestAccess, type HttpIdentity } from './server/routes-backtest.ts';
import { createDashboardRouter } from './server/routes-dashboard.ts';
import { createUdfRouter, describeSymbol, remoteHistory } from './server/routes-udf.ts';
import { HealthMonitor } from './streams/health.ts';
import type { OrderPolicy } from './trading/order-policy.ts';
import type { OrderVenue } from './trading/venue.ts';
import { randomUUID } from 'node:crypto';

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
  /** True once the node can serve: its broker is connected (always, with the in-memory broker). */
  ready(): boolean;
  /** Listens on config.port/host (0 = any free port); resolves with the bound address. */
  start(): Promise<{ port: number; host: string }>;
  /** Streams stop, clients get 1001, sockets and timers are released. Idempotent. */
  stop(): Promise<void>;
}

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
  const rawLog = options.log ?? ((line: string) => console.log(line));
  const log = (line: string) => rawLog(redactTokens(line));
  const { role, redisUrl, redisPrefix } = config.cluster;
  const id = `${role}-${randomUUID().slice(0, 8)}`;
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
  // The broker is a health entry: every publish it refuses counts as an error (never silent), and the log says so
  // once per outage with the count when it ends, instead of one line per refused publish.
  health.register('broker');
  let refused = 0;
  let brokerUp = true;
  const hub = new Hub(broker, {
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
    ? options.verifier ?? new JoseVerifier({ secret: auth.secret, jwksUrl: auth.jwksUrl, audience: auth.audience, issuer: auth.issuer })
    : undefined;
  const permissions = new Permissions({
    mode: auth.mode,
    anonymousMarketData: auth.anonymousMarketData,
    privateSignals: auth.privateSignals,
    backtestOwner: producer
      ? (runId) => producer.backtests.ownerOf(runId)
      // An edge asks the producer with the caller's token: it answers only about the caller's own runs, so another
      // user's run looks unknown from an edge (UNKNOWN_BACKTEST, 4500) where a standalone node says FORBIDDEN (4504).
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
    auth: { permissions, verifier, expiryWarningMs: auth.expiryWarningMs },
    origins,
    maxConnectionsPerIp: ws.maxConnectionsPerIp,
  });

  // Ready: connected to the broker now (not only once), so during a Redis outage /ready is 503 and upgrades wait.
  const ready = () => (!connecting || connecting.ready) && brokerUp;
  const toProducer = forwardTo(() => cluster.first('producer')?.http ?? undefined);
  const http = createHttpApp({
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
      node: { id, role, ready: ready(), broker: redisUrl ? 'redis' : 'memory' },
      cluster: cluster.nodes().map((n) => ({ id: n.id, role: n.role, connections: n.connections, pid: n.pid, http: n.http, updated_at: n.updated_at })),
    }),
    health: () => ({ ok: ready(), role, broker_connected: ready(), market_source: producer?.source.name ?? null, uptime_s: Math.round(process.uptime()) }),
    ready: () => ready() && (role !== 'edge' || cluster.first('producer') !== undefined),
    mount: (app) => {
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
        app.use(createBacktestRouter(producer.backtests, backtestAccess));
        app.use(createDashboardRouter({ source: producer.source }));
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
  const server = createServer(http);
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
    ready,
    async start() {
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
      if (connecting && producer) {
        // The producer's streams start once the broker is connected: their first snapshots and updates must land.
        void connecting.whenReady()
          .then(async () => {
            if (role === 'producer') await hub.followClusterInterest();
            await producer.start();
          })
          .catch((err) => log(`producer start failed: ${(err as Error)?.stack ?? String(err)}`));
      } else {
        await producer?.start();
      }
      cluster.start();
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
        clearInterval(positionCheck);
        await producer?.stopStreams();
        await gateway.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await producer?.stop();
        await cluster.stop();
        if (!options.broker) await broker.close();
      })();
      return stopping;
    },
  };
}
