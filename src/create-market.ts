/**
 * Part of the composition root (beside app.ts): picks the market source from config and, for IBKR, the venue that
 * shares its connection. It lives here, not in src/market/, because it builds trading objects too: market/ never
 * imports trading/ (trading/venue-ibkr.ts importing market/ is the one allowed direction).
 */
import type { Config } from './config.ts';
import type { DepthSource } from './market/depth.ts';
import { IbkrDepth } from './market/depth-ibkr.ts';
import { IbConnection } from './market/ib-connection.ts';
import { defaultContractFor, IbkrSource } from './market/source-ibkr.ts';
import { SimulatedSource, type SimulatedSourceOptions } from './market/source-simulated.ts';
import type { MarketSource } from './market/source.ts';
import { IbkrVenue } from './trading/venue-ibkr.ts';
import type { OrderVenue } from './trading/venue.ts';

export interface Market {
  source: MarketSource;
  /** The venue that belongs to this market (IBKR); undefined means "use the paper venue on the source". */
  venue: OrderVenue | undefined;
  /** The market's clock (sped up for a fast simulated market); fills, signals and portfolio use it. */
  now: () => number;
  /** Book, tape and top of book from upstream (IB market depth and tick-by-tick); undefined: the producer simulates them. */
  depth: (DepthSource & { onHealth?(listener: (event: { ok: boolean; code?: number; message: string }) => void): () => void }) | undefined;
  /** The brokerage account orders go to (IB: configured, or the first managed one once connected). */
  account: () => string | undefined;
  /** Whether the upstream is connected now (IB: the API connection is ready; the simulated market: always). */
  connected: () => boolean;
  /** Starts what the source and venue share (the IB connection). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * MARKET_SOURCE=simulated: the embedded simulated market (its clock optionally sped up by MARKET_SPEED).
 * MARKET_SOURCE=ibkr: one IB connection shared by the IbkrSource and the IbkrVenue.
 */
export function createMarket(config: Config, options: { generate?: SimulatedSourceOptions['generate'] } = {}): Market {
  if (config.market.source === 'simulated') {
    const start = Date.now();
    const speed = config.market.speed;
    const now = speed === 1 ? Date.now : () => start + (Date.now() - start) * speed;
    const source = new SimulatedSource({
      symbols: config.market.symbols,
      seed: config.market.seed,
      tickIntervalMs: config.market.tickIntervalMs,
      now,
      calendar: config.market.calendar,
      continueFromHistory: true,
      tickMarketMs: config.market.tickIntervalMs * speed,
      generate: options.generate,
    });
    return { source, venue: undefined, depth: undefined, now, account: () => undefined, connected: () => true, start: async () => undefined, stop: async () => undefined };
  }
  const { host, port, clientId, account } = config.ibkr;
  if (port === undefined) throw new Error('IBKR_PORT is required when MARKET_SOURCE=ibkr');
  const connection = new IbConnection({ config: { host, port, clientId, ...(account ? { account } : {}) } });
  const source = new IbkrSource({ symbols: config.market.symbols, connection });
  const venue = new IbkrVenue({ connection, symbols: (s) => source.hasSymbol(s) });
  // IB's default limit of 3 market-depth subscriptions at once is respected (refused with a coded error beyond it).
  const depth = new IbkrDepth({ connection, symbols: config.market.symbols, contractFor: (s) => defaultContractFor(s).contract });
  return {
    source,
    venue,
    depth,
    now: Date.now,
    account: () => connection.account,
    connected: () => connection.ready,
    start: () => {
      depth.start();
      return connection.start();
    },
    stop: () => {
      depth.stop();
      return connection.stop();
    },
  };
}
