/**
 * Part of the composition root: the producer side of a node — the market source, the venue, strategies, trading,
 * portfolio, backtests and every stream that publishes to the hub. A standalone node and a producer node build it;
 * an edge node does not (it gets everything through the broker and from the producer).
 */
import type { Config } from './config.ts';
import { backtestOffload, createComputePool, historyOffload } from './workers/history-offload.ts';
import { SimulatedSource } from './market/source-simulated.ts';
import type { WorkerPool } from './util/worker-pool.ts';
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
  /** How long a finished backtest's event history stays for recovering followers (default 60 s; tests shorten it). */
  backtestHistoryGraceMs?: number;
  /**
   * Worker threads for backtests on a simulated `source` (the caller's, not closed here). Without it, a producer
   * that builds the simulated market from config makes its own pool (cores - 1 threads, 1 to 4).
   */
  computePool?: WorkerPool;
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
  /** The market clock (sped up on a fast simulated market). */
  readonly now: () => number;
  /** Whether automatic orders may be placed now, and the banner line saying so. */
  readonly orders: OrderPolicy;
  /** Why the market side is not ready (empty when it is): not connected upstream, stale or failing data. */
  problems(): string[];
  start(): Promise<void>;
  /** Stops the streams first (backtest followers get their terminal error while the gateway still flushes). */
  stopStreams(): Promise<void>;
  /** Then the venue, the source and the market connection. */
  stop(): Promise<void>;
}

export function buildProducer(config: Config, hub: Hub, health: HealthMonitor, options: ProducerOptions, log: (line: string) => void): Producer {
  // Simulated history (the chart backfill, strategy warm-up and most of a backtest's CPU) is generated on worker
  // threads, so it never stalls the event loop that serves WebSockets.
  const ownPool = options.source || options.computePool || config.market.source !== 'simulated' ? undefined : createComputePool();
  const pool = options.computePool ?? ownPool;
  const market: Market | undefined = options.source ? undefined : createMarket(config, { generate: ownPool ? historyOffload(ownPool) : undefined });
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
  const backtests = new BacktestService({
    source,
    hub,
    maxConcurrent: bt.maxConcurrent,
    retentionMs: bt.retentionMs,
    progressInterval: bt.progressInterval,
    maxRetained: bt.maxRetained,
    maxRetainedBytes: bt.maxRetainedBytes,
    startsPerMinute: bt.startsPerMinute,
    historyGraceMs: options.backtestHistoryGraceMs,
    // Backtests on simulated bars run whole on the worker pool (bars generated there, engine there).
    offload: pool && source instanceof SimulatedSource ? backtestOffload(pool, (symbol, calendar) => source.historyParams(symbol, calendar)) : undefined,
    log,
  });
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
  let unreachableSaid = false;
  const offSourceHealth = source.onHealth((event) => {
    if (event.recovered) health.recordRecovery('market_data');
    if (event.ok) health.recordUpdate('market_data');
    else health.recordError('market_data', new Error(`${event.code ?? ''} ${event.message}`.trim()));
    if (event.ok) unreachableSaid = false;
    if (!event.ok && event.code === 502 && market && config.market.source === 'ibkr' && !unreachableSaid) {
      // Said once per outage (the reconnect attempts that follow log their short line): what to check, in order.
      unreachableSaid = true;
      log(ibUnreachableHint(config.ibkr.host, config.ibkr.port, event.message));
    }
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

  let stopped = false;
  // Readiness of the market side: connected upstream, and fresh (an update within the health monitor's window, no
  // run of unanswered errors). Every reason names what to look at.
  const problems = (): string[] => {
    const out: string[] = [];
    const connected = market ? market.connected() : true;
    const h = health.snapshot().market_data;
    if (!connected) out.push(`market source ${source.name} not connected${h?.last_error ? `: ${h.last_error}` : ''}`);
    else if (h && !h.is_healthy) out.push(`market data stale or failing (last update ${h.last_update ?? 'never'}${h.last_error ? `, last error: ${h.last_error}` : ''})`);
    return out;
  };

  return {
    source,
    venue,
    backtests,
    history,
    depth,
    health,
    now,
    orders,
    problems() {
      return problems();
    },
    async start() {
      // Each step checks `stopped`: a stop during a slow start (IB unreachable, strategy warm-up) ends it there.
      history.start(); // before the source ticks: the first live bar of every series is recorded
      simBook?.start();
      if (!stopped) await market?.start();
      if (!stopped) await source.start();
      if (!stopped) await venue.start();
      if (!stopped) await manager.startAll(streams);
    },
    async stopStreams() {
      stopped = true;
      await manager.stopAll();
    },
    async stop() {
      stopped = true;
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
      await ownPool?.close();
    },
  };
}

/**
 * The one line an operator needs when TWS / IB Gateway cannot be reached: where we tried and what to check. The
 * gateway keeps serving (HTTP, WebSocket, /ready 503 with the reason) and keeps retrying with backoff.
 */
export function ibUnreachableHint(host: string, port: number | undefined, detail: string): string {
  return `market: cannot reach TWS / IB Gateway at ${host}:${port ?? '?'} (${detail}); retrying with backoff. Check: `
    + 'TWS or IB Gateway is running and logged in; the API is enabled (TWS: Edit > Global Configuration > API > Settings > '
    + '"Enable ActiveX and Socket Clients"); IBKR_PORT matches its socket port (7497 TWS paper, 7496 TWS live, 4002 IB '
    + 'Gateway paper, 4001 IB Gateway live); this machine\'s address is in "Trusted IPs" (or IBKR_HOST is 127.0.0.1 on '
    + 'the same machine); no other client uses IBKR_CLIENT_ID.';
}
