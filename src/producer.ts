/**
 * Part of the composition root: the producer side of a node — the market source, the venue, strategies, trading,
 * portfolio, backtests and every stream that publishes to the hub. A standalone node and a producer node build it;
 * an edge node does not (it gets everything through the broker and from the producer).
 */
import type { Config } from './config.ts';
import { createMarket, type Market } from './create-market.ts';
import { LiveTradingFeed } from './handlers/live-trading.ts';
import { MarketDataFeed } from './handlers/market-data.ts';
import { BacktestService } from './backtest/service.ts';
import { BarHistory } from './market/bar-history.ts';
import type { DepthSource } from './market/depth.ts';
import { SimBook } from './market/sim-book.ts';
import { DepthFeed } from './streams/depth-feed.ts';
import type { MarketSource } from './market/source.ts';
import type { Hub } from './pubsub/hub.ts';
import { BarsFeed } from './streams/bars-feed.ts';
import { HealthMonitor } from './streams/health.ts';
import { PortfolioStream } from './streams/portfolio-stream.ts';
import { PriceStream } from './streams/price-stream.ts';
import { SignalStream } from './streams/signal-stream.ts';
import type { Stream } from './streams/stream.ts';
import { StreamManager } from './streams/stream-manager.ts';
import { TradeStream } from './streams/trade-stream.ts';
import { Portfolio } from './trading/portfolio.ts';
import { createStrategies } from './trading/strategies.ts';
import { StrategyEvaluator } from './trading/strategy-evaluator.ts';
import { orderPolicy, type OrderPolicy } from './trading/order-policy.ts';
import { PaperVenue } from './trading/venue-paper.ts';
import type { OrderVenue } from './trading/venue.ts';

export interface ProducerOptions {
  /** Market data source; default from config (the simulated market). */
  source?: MarketSource;
  /** The market clock when `source` is given (default Date.now). */
  now?: () => number;
  /** Order venue; default the paper venue on `source`, fed the source's prices so resting limit orders fill. */
  venue?: OrderVenue;
}

export interface Producer {
  readonly source: MarketSource;
  readonly venue: OrderVenue;
  readonly backtests: BacktestService;
  /** Chart history (`bars.history`, `/udf/history`), aligned with the live bars topics. */
  readonly history: BarHistory;
  /** Book, tape and top of book (quotes/trades/book topics): simulated, or IB market depth and tick-by-tick. */
  readonly depth: DepthSource | undefined;
  readonly health: HealthMonitor;
  /** Whether automatic orders may be placed now, and the banner line saying so. */
  readonly orders: OrderPolicy;
  start(): Promise<void>;
  /** Stops the streams first (backtest followers get their terminal error while the gateway still flushes). */
  stopStreams(): Promise<void>;
  /** Then the venue, the source and the market connection. */
  stop(): Promise<void>;
}

export function buildProducer(config: Config, hub: Hub, health: HealthMonitor, options: ProducerOptions, log: (line: string) => void): Producer {
  const market: Market | undefined = options.source ? undefined : createMarket(config);
  const source = options.source ?? market!.source;
  const now = options.now ?? market?.now ?? Date.now;
  // The paper venue built here is fed the source's prices below; a venue passed in is the caller's to feed.
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
  // Orders go to IB only with an explicit opt-in (and, on a live port or account, an acknowledgement): checked
  // before every order, against the account the connection reports. An injected venue is the caller's (tests).
  const orders = orderPolicy({
    source: options.source ? 'simulated' : config.market.source,
    autoTrade: config.trading.autoTrade,
    liveOrders: config.trading.liveOrders,
    port: config.ibkr.port,
    account: () => market?.account() ?? config.ibkr.account,
  });
  let lastRefusal: string | undefined;
  const ws = config.websocket;

  const priceStream = new PriceStream({ source, hub, intervalMs: ws.priceUpdateIntervalMs, now });
  const portfolioStream = new PortfolioStream({ portfolio, source, hub, intervalMs: ws.portfolioUpdateIntervalMs });
  const bt = config.backtest;
  const backtests = new BacktestService({ source, hub, maxConcurrent: bt.maxConcurrent, retentionMs: bt.retentionMs, progressInterval: bt.progressInterval, log });
  const streams: Stream[] = [
    new BarsFeed({ source, hub }),
    priceStream,
    new SignalStream({ source, hub, evaluator, resolution: '1', warmupBars: 60, barMs: 60_000, now }),
    new TradeStream({
      hub,
      venue,
      autoTrade: config.trading.autoTrade
        ? {
            evaluator,
            orderQuantity: config.trading.orderQuantity,
            cash: () => portfolio.snapshot().cash,
            refusal: () => orders.refusal(),
            onRefused: (signal, reason) => {
              if (reason !== lastRefusal) log(`orders: ${signal.signal_type} ${signal.symbol} not placed: ${reason} (logged once per reason)`);
              lastRefusal = reason;
            },
          }
        : undefined,
      onFill: (fill) => portfolioStream.applyFill(fill),
    }),
    portfolioStream,
    backtests,
    new MarketDataFeed({ source, hub }),
    new LiveTradingFeed({ venue, portfolio, source, hub, intervalMs: ws.portfolioUpdateIntervalMs }),
  ];
  // The simulated market's history() is an independent path, so its live period is served from what the live feed
  // published (recorded); its data starts on 2000-01-01. IB serves its own record; each chunk is a paced request.
  const simulated = source.name === 'simulated';
  const history = new BarHistory({ source, now, recordLive: simulated, earliest: simulated ? Date.UTC(2000, 0, 1) : 0, maxChunks: simulated ? 8 : 3 });
  const simBook = simulated ? new SimBook({ source, seed: config.market.seed, now, onListenerError: (err) => log(`depth listener error: ${String(err)}`) }) : undefined;
  const depth: DepthSource | undefined = simBook ?? market?.depth;
  // IB's depth limit and refusals are reported like other upstream problems: a market_data health error and a log line.
  const offDepthHealth = market?.depth?.onHealth?.((event) => {
    if (!event.ok) health.recordError('market_data', new Error(`${event.code ?? ''} ${event.message}`.trim()));
    log(`market depth ${event.ok ? 'ok' : 'problem'}: ${event.message}`);
  });
  if (depth) streams.push(new DepthFeed({ depth, hub }));
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

  return {
    source,
    venue,
    backtests,
    history,
    depth,
    health,
    orders,
    async start() {
      history.start(); // before the source ticks: the first live bar of every series is recorded
      simBook?.start();
      await market?.start();
      await source.start();
      await venue.start();
      await manager.startAll(streams);
    },
    async stopStreams() {
      await manager.stopAll();
    },
    async stop() {
      await manager.stopAll();
      offSourceHealth();
      offLiveness();
      for (const off of offQuotes) off();
      history.stop();
      offDepthHealth?.();
      simBook?.stop();
      await venue.stop();
      await source.stop();
      await market?.stop();
    },
  };
}
