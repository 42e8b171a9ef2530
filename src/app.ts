import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createMarket, type Market } from './create-market.ts';
import type { MarketSource } from './market/source.ts';
import { MemoryBroker } from './pubsub/broker-memory.ts';
import type { Broker } from './pubsub/broker.ts';
import { historyPolicy } from './pubsub/history-policy.ts';
import { Hub } from './pubsub/hub.ts';
import { createBarsHandlers } from './handlers/bars.ts';
import { createDashboardHandlers } from './handlers/dashboard.ts';
import { dashboardWsEndpoint, operationEndpoint } from './handlers/endpoints.ts';
import { LiveTradingFeed, liveTradingWsEndpoint } from './handlers/live-trading.ts';
import { MarketDataFeed, marketDataWsEndpoint } from './handlers/market-data.ts';
import { BacktestService } from './backtest/service.ts';
import { backtestWsEndpoint } from './backtest/stream.ts';
import type { ContractViolation } from './server/connection.ts';
import type { Endpoint } from './server/endpoint.ts';
import { Gateway } from './server/gateway.ts';
import { createHttpApp } from './server/http.ts';
import { createBacktestRouter } from './server/routes-backtest.ts';
import { createDashboardRouter } from './server/routes-dashboard.ts';
import { BarsFeed } from './streams/bars-feed.ts';
import { HealthMonitor } from './streams/health.ts';
import { PortfolioStream } from './streams/portfolio-stream.ts';
import { PriceStream } from './streams/price-stream.ts';
import { SignalStream } from './streams/signal-stream.ts';
import type { Stream } from './streams/stream.ts';
import { StreamManager } from './streams/stream-manager.ts';
import { TradeStream } from './streams/trade-stream.ts';
import { PaperVenue } from './trading/venue-paper.ts';
import type { OrderVenue } from './trading/venue.ts';
import { Portfolio } from './trading/portfolio.ts';
import { createStrategies } from './trading/strategies.ts';
import { StrategyEvaluator } from './trading/strategy-evaluator.ts';

export interface AppOptions {
  /** Market data source; default from config (the simulated market). */
  source?: MarketSource;
  /** The market clock when `source` is given (default Date.now). */
  now?: () => number;
  /** Order venue; default the paper venue on `source`, fed the source's prices so resting limit orders fill. */
  venue?: OrderVenue;
  /** Node-level pub/sub broker; default in-memory. */
  broker?: Broker;
  /** Tests: called for every outbound message that breaks the contract. */
  onContractViolation?: ContractViolation;
  log?: (line: string) => void;
}

export interface App {
  readonly server: Server;
  readonly hub: Hub;
  readonly source: MarketSource;
  readonly venue: OrderVenue;
  readonly gateway: Gateway;
  readonly health: HealthMonitor;
  /** Listens on config.port/host (0 = any free port); resolves with the bound address. */
  start(): Promise<{ port: number; host: string }>;
  /** Streams stop, clients get 1001, sockets and timers are released. Idempotent. */
  stop(): Promise<void>;
}

/** Builds a complete gateway from a validated Config. No module state: every call builds a fresh, independent app. */
export function buildApp(config: Config, options: AppOptions = {}): App {
  const log = options.log ?? ((line: string) => console.log(line));
  const market: Market | undefined = options.source ? undefined : createMarket(config);
  const source = options.source ?? market!.source;
  const now = options.now ?? market?.now ?? Date.now;
  const broker = options.broker ?? new MemoryBroker({ historyPolicy: historyPolicy(config.history) });
  const hub = new Hub(broker, {
    recoveryLimit: config.history.recoveryLimit,
    // A publish the broker refused is never silent: logged here, and the publishing stream's health counts it.
    onPublishError: (topic, err) => log(`publish on ${topic} refused by the broker: ${(err as Error)?.message ?? String(err)}`),
    onError: (err, where) => log(`hub: ${where}: ${(err as Error)?.message ?? String(err)}`),
  });
  const health = new HealthMonitor();
  // The paper venue the app builds itself is fed the source's prices below; a venue passed in is the caller's to feed.
  const paper = (options.venue ?? market?.venue) ? undefined : new PaperVenue({ quotes: source, commissionPerShare: 0.005, minCommission: 1, now });
  const venue = options.venue ?? market?.venue ?? paper!;
  const evaluator = new StrategyEvaluator({
    createStrategies: () => {
      const made = createStrategies(['ma_crossover', 'rsi']);
      if (!made.ok) throw new Error(made.message);
      return made.strategies;
    },
    onError: (err, where) => log(`strategy ${where.where} error on ${where.symbol}: ${String(err)}`),
  });
  const portfolio = new Portfolio({ initialCash: config.trading.initialCash, now });
  const ws = config.websocket;

  const priceStream = new PriceStream({ source, hub, intervalMs: ws.priceUpdateIntervalMs, now });
  const portfolioStream = new PortfolioStream({ portfolio, source, hub, intervalMs: ws.portfolioUpdateIntervalMs });
  const bt = config.backtest;
  const backtests = new BacktestService({ source, hub, maxConcurrent: bt.maxConcurrent, retentionMs: bt.retentionMs, progressInterval: bt.progressInterval, log });
  const marketData = new MarketDataFeed({ source, hub });
  const liveTrading = new LiveTradingFeed({ venue, portfolio, source, hub, intervalMs: ws.portfolioUpdateIntervalMs });
  const streams: Stream[] = [
    new BarsFeed({ source, hub }),
    priceStream,
    new SignalStream({ source, hub, evaluator, resolution: '1', warmupBars: 60, barMs: 60_000, now }),
    new TradeStream({
      hub,
      venue,
      autoTrade: config.trading.autoTrade ? { evaluator, orderQuantity: config.trading.orderQuantity, cash: () => portfolio.snapshot().cash } : undefined,
      onFill: (fill) => portfolioStream.applyFill(fill),
    }),
    portfolioStream,
    backtests,
    marketData,
    liveTrading,
  ];
  const manager = new StreamManager({ health, log });
  // The upstream itself (IB connection, farms, pacing) is a health entry too: errors count, recoveries show.
  health.register('market_data');
  const offSourceHealth = source.onHealth((event) => {
    if (event.recovered) health.recordRecovery('market_data');
    if (event.ok) health.recordUpdate('market_data');
    else health.recordError('market_data', new Error(`${event.code ?? ''} ${event.message}`.trim()));
    log(`market ${event.ok ? 'ok' : 'problem'}: ${event.code ?? ''} ${event.message}`);
  });
  // Liveness: data arriving from upstream counts as an update (5 minutes without one = unhealthy, seed 002).
  const offLiveness = source.symbols().length
    ? source.subscribeBars(source.symbols()[0]!, '1', () => health.recordUpdate('market_data'))
    : () => undefined;
  // Resting limit orders on the paper venue fill against live prices: every price change updates the forming 1-minute
  // bar, so one bar listener per symbol sees each new price (the venue ignores quotes while it is stopped).
  const offQuotes = paper
    ? source.symbols().map((symbol) => source.subscribeBars(symbol, '1', (bar) => paper.onQuote(source.quote(symbol) ?? { symbol, price: bar.close })))
    : [];

  const snapshots = { prices: () => priceStream.snapshot(), portfolio: () => portfolioStream.snapshot() };
  const endpoints: Endpoint<any>[] = [
    operationEndpoint(createBarsHandlers({ source })),
    dashboardWsEndpoint(createDashboardHandlers({ snapshots }), snapshots),
    backtestWsEndpoint(backtests),
    liveTradingWsEndpoint({ source, feed: liveTrading }),
    marketDataWsEndpoint({ source, feed: marketData }),
  ];
  const gateway = new Gateway({
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
  });

  const http = createHttpApp({
    status: () => ({
      enabled: ws.enabled,
      active_connections: gateway.connectionCount,
      max_connections: ws.maxConnections,
      ping_interval: ws.pingIntervalMs / 1000,
      price_update_interval: ws.priceUpdateIntervalMs / 1000,
      portfolio_update_interval: ws.portfolioUpdateIntervalMs / 1000,
      stream_health: health.snapshot(),
      connections_by_endpoint: gateway.countsByEndpoint(),
      market_source: source.name,
    }),
    health: () => ({ ok: true, market_source: source.name, uptime_s: Math.round(process.uptime()) }),
    mount: (app) => {
      app.use(createBacktestRouter(backtests));
      app.use(createDashboardRouter({ source }));
    },
  });
  const server = createServer(http);
  if (ws.enabled) gateway.attach(server);

  let stopping: Promise<void> | undefined;
  return {
    server,
    hub,
    source,
    venue,
    gateway,
    health,
    async start() {
      await market?.start();
      await source.start();
      await venue.start();
      await manager.startAll(streams);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      return { port: address.port, host: address.address };
    },
    stop() {
      stopping ??= (async () => {
        await manager.stopAll();
        await gateway.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        offSourceHealth();
        offLiveness();
        for (const off of offQuotes) off();
        await venue.stop();
        await source.stop();
        await market?.stop();
      })();
      return stopping;
    },
  };
}
