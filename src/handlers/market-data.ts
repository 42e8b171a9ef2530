/**
 * `/api/ws/stream/market-data/{symbol}?resolution=1` (seed 003): candles of one symbol plus analytics on closed
 * candles. This file holds the endpoint (URL checks, the connect sequence, ping) and MarketDataFeed, the stream
 * that feeds the hub topics `market-data:<SYMBOL>:<RES>`.
 *
 * Per topic, while it has subscribers (first subscriber starts a source listener, the last one stops it):
 * - every change of the forming candle → `candle` (closed false); the closing update → `candle` (closed true);
 * - on each closed candle, over the last WINDOW closed candles (src/analytics): one `pattern` per pattern that
 *   candle shows; `market_structure` when the swings or the trend changed; `confluence` every time.
 * Each message is published once. A client gets `connected`, the current candle (closed false), the latest
 * `market_structure` and `confluence` when there are any, then live updates.
 * Warm-up: when a topic becomes active the feed loads `warmupBars` closed candles from source.history() (not
 * published) so analytics start meaningful; candles closing meanwhile are queued and analysed after them. The
 * default is 0 for the simulated source, whose history is a different random walk from its live prices (warming
 * from it would splice two unrelated series), and 100 otherwise.
 */
import { dispatchMarketDataStream, marketDataStreamEndpoint, type MarketDataStreamHandlers, type MarketDataStreamInbound } from '../../generated/messages.ts';
import { parseMarketDataStreamPath } from '../../generated/topics.ts';
import type { ConnectedData, MarketCandleMessage, MarketConfluenceMessage, MarketPatternMessage, MarketStructureMessage } from '../../generated/types.ts';
import { confluenceOf } from '../analytics/confluence.ts';
import { detectPatterns } from '../analytics/patterns.ts';
import { marketStructure, structureChanged, type Structure } from '../analytics/structure.ts';
import { isResolution } from '../market/resolution.ts';
import type { Bar, MarketSource, Resolution } from '../market/source.ts';
import type { Hub } from '../pubsub/hub.ts';
import { authHandlers } from './auth.ts';
import type { ConnectionContext, Endpoint } from '../server/endpoint.ts';
import type { Stream, StreamContext } from '../streams/stream.ts';
import { bridge, type Bridged } from '../util/bridge.ts';
import { admit, notSubscribed, sendSnapshots, sinceFromQuery, subscribeAll, type SinceMap } from './positions.ts';
import { connectedMessage, envelope, pingHandlers, streamError, type Clock } from './streams-common.ts';

/** Closed candles the analytics look at (RSI(14) converges well within it; swings need only a few). */
export const WINDOW = 250;

export function marketDataTopic(symbol: string, resolution: Resolution): string {
  return `market-data:${symbol}:${resolution}`;
}

function parseTopic(topic: string): { symbol: string; resolution: Resolution } | undefined {
  const m = /^market-data:([^:]+):([^:]+)$/.exec(topic);
  if (!m || !isResolution(m[2])) return undefined;
  return { symbol: m[1]!, resolution: m[2] };
}

const contractBar = (b: Bar): Bar => ({ time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });

export function candleMessage(symbol: string, resolution: Resolution, bar: Bar, closed: boolean, now?: Clock): MarketCandleMessage {
  return envelope('candle', { symbol, resolution, closed, bar: contractBar(bar) }, now);
}

interface TopicState {
  symbol: string;
  resolution: Resolution;
  off: () => void;
  window: Bar[];
  ready: boolean;
  pending: Bar[];
  structure?: Structure;
  structureMsg?: MarketStructureMessage;
  confluenceMsg?: MarketConfluenceMessage;
  /** The latest candle published (the forming one, or the one that just closed). */
  candleMsg?: MarketCandleMessage;
}

export interface MarketDataFeedOptions {
  source: Pick<MarketSource, 'name' | 'subscribeBars' | 'history' | 'currentBar'>;
  hub: Pick<Hub, 'publish' | 'setSnapshot' | 'watch' | 'activeTopics'>;
  /** Closed candles loaded from history when a topic becomes active; default 0 (simulated source) or 100. */
  warmupBars?: number;
  now?: Clock;
}

const PERIOD_MS: Record<Resolution, number> = { '1': 60_000, '5': 300_000, '15': 900_000, '30': 1_800_000, '60': 3_600_000, D: 86_400_000 };

export class MarketDataFeed implements Stream {
  readonly name = 'market_analytics';
  private readonly topics = new Map<string, TopicState>();
  private unwatch: (() => void) | undefined;
  private ctx: StreamContext | undefined;
  private readonly warmupBars: number;
  private readonly now: Clock;
  /** Fire-and-forget warm-ups (house rule 11): any failure, even of the error report itself, ends in ctx.error. */
  private readonly warm: Bridged<{ topic: string; state: TopicState }>;

  constructor(private readonly deps: MarketDataFeedOptions) {
    this.warmupBars = deps.warmupBars ?? (deps.source.name === 'simulated' ? 0 : 100);
    this.now = deps.now ?? Date.now;
    this.warm = bridge(({ topic, state }) => this.warmUp(topic, state), { onError: (err) => this.ctx?.error(err) });
  }

  start(ctx: StreamContext): void {
    this.stop();
    this.ctx = ctx;
    this.unwatch = this.deps.hub.watch({
      active: (topic) => this.open(topic),
      idle: (topic) => this.close(topic),
    });
    for (const topic of this.deps.hub.activeTopics()) this.open(topic);
    ctx.update();
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    for (const topic of [...this.topics.keys()]) this.close(topic);
  }

  /** A topic's state for a client that just connected: the current candle, the latest structure and confluence. */
  snapshot(symbol: string, resolution: Resolution): (MarketCandleMessage | MarketStructureMessage | MarketConfluenceMessage)[] {
    const s = this.topics.get(marketDataTopic(symbol, resolution));
    return s ? snapshotOf(s) : [];
  }

  /** Every publication carries the topic's snapshot as it stands after it. */
  private publish(topic: string, state: TopicState, message: object): void {
    this.deps.hub.publish(topic, message, { snapshot: snapshotOf(state) });
  }

  private open(topic: string): void {
    const parsed = parseTopic(topic);
    if (!parsed || this.topics.has(topic)) return;
    const { symbol, resolution } = parsed;
    const state: TopicState = { symbol, resolution, off: () => {}, window: [], ready: this.warmupBars === 0, pending: [] };
    this.topics.set(topic, state);
    const current = this.deps.source.currentBar(symbol, resolution);
    if (current) state.candleMsg = candleMessage(symbol, resolution, current, false, this.now);
    void this.deps.hub.setSnapshot(topic, snapshotOf(state));
    state.off = this.deps.source.subscribeBars(symbol, resolution, (bar, closed) => {
      try {
        state.candleMsg = candleMessage(symbol, resolution, bar, closed, this.now);
        this.publish(topic, state, state.candleMsg);
        if (closed) {
          if (state.ready) this.analyse(topic, state, bar, true);
          else state.pending.push(contractBar(bar));
        }
        this.ctx?.update();
      } catch (err) {
        this.ctx?.error(err);
      }
    });
    if (!state.ready) this.warm({ topic, state });
  }

  private close(topic: string): void {
    const state = this.topics.get(topic);
    if (!state) return;
    state.off();
    this.topics.delete(topic);
  }

  /**
   * Loads the history, analyses it unpublished, then the candles queued meanwhile (published). A failing history
   * load or analysis is reported to ctx.error and the topic still goes live; a failing queued candle is reported
   * and the next one is still analysed, as on the live path.
   */
  private async warmUp(topic: string, state: TopicState): Promise<void> {
    const end = this.now();
    let bars: Bar[] = [];
    try {
      bars = await this.deps.source.history(state.symbol, state.resolution, end - this.warmupBars * PERIOD_MS[state.resolution], end);
    } catch (err) {
      this.ctx?.error(err);
    }
    if (this.topics.get(topic) !== state) return;
    try {
      const firstPending = state.pending[0]?.time ?? Infinity;
      // History may include the forming candle: keep only candles that ended before now and precede the queue.
      for (const b of bars) if (b.time + PERIOD_MS[state.resolution] <= end && b.time < firstPending) this.analyse(topic, state, contractBar(b), false);
    } catch (err) {
      this.ctx?.error(err);
    }
    state.ready = true;
    const queued = state.pending;
    state.pending = [];
    for (const b of queued) {
      try {
        this.analyse(topic, state, b, true);
      } catch (err) {
        this.ctx?.error(err);
      }
    }
  }

  /** Adds a closed candle to the window and publishes (when `publish`) its analytics. */
  private analyse(topic: string, state: TopicState, bar: Bar, publish: boolean): void {
    const last = state.window[state.window.length - 1];
    if (last && bar.time <= last.time) return;
    state.window.push(contractBar(bar));
    if (state.window.length > WINDOW * 2) state.window = state.window.slice(-WINDOW);
    const window = state.window.length > WINDOW ? state.window.slice(-WINDOW) : state.window;
    const { symbol, resolution } = state;
    if (publish) {
      for (const p of detectPatterns(window)) {
        const msg: MarketPatternMessage = envelope('pattern', { symbol, resolution, ...p }, this.now);
        this.publish(topic, state, msg);
      }
    }
    const structure = marketStructure(window);
    if (structureChanged(state.structure, structure)) {
      state.structure = structure;
      state.structureMsg = envelope('market_structure', { symbol, resolution, ...structure }, this.now);
      if (publish) this.publish(topic, state, state.structureMsg);
    }
    state.confluenceMsg = envelope('confluence', { symbol, resolution, ...confluenceOf(window, structure.trend) }, this.now);
    if (publish) this.publish(topic, state, state.confluenceMsg);
    else void this.deps.hub.setSnapshot(topic, snapshotOf(state));
  }
}

function snapshotOf(state: TopicState): (MarketCandleMessage | MarketStructureMessage | MarketConfluenceMessage)[] {
  const candle = state.candleMsg && (state.candleMsg.data.closed ? { ...state.candleMsg, data: { ...state.candleMsg.data, closed: false } } : state.candleMsg);
  return [candle, state.structureMsg, state.confluenceMsg].filter((m): m is MarketCandleMessage | MarketStructureMessage | MarketConfluenceMessage => m !== undefined);
}

export interface MarketDataParams {
  symbol: string;
  resolution: Resolution;
  since: SinceMap;
}

/** The endpoint; URL problems are refused before `connected` with an error and close 4501 (BAD_REQUEST). */
export function marketDataWsEndpoint(deps: { source: Pick<MarketSource, 'hasSymbol'> }): Endpoint<MarketDataParams> {
  const handlers: MarketDataStreamHandlers<ConnectionContext> = { ...pingHandlers<ConnectionContext>(), ...authHandlers((e) => streamError(e)) };
  return {
    id: marketDataStreamEndpoint.id,
    inbound: marketDataStreamEndpoint.inbound,
    outbound: marketDataStreamEndpoint.outboundStrict,
    match(pathname, query) {
      if (!pathname.startsWith('/api/ws/stream/market-data/')) return null;
      const parsed = parseMarketDataStreamPath(pathname);
      if (!parsed.ok) return { ok: false, error: { code: 'INVALID_MESSAGE', message: parsed.message, field: parsed.param }, close: 'BAD_REQUEST' };
      const { symbol } = parsed.value;
      if (!deps.source.hasSymbol(symbol)) return { ok: false, error: { code: 'UNKNOWN_SYMBOL', message: `Unknown symbol ${symbol}` }, close: 'BAD_REQUEST' };
      const resolution = query.get('resolution') ?? '1';
      if (!isResolution(resolution)) {
        return { ok: false, error: { code: 'INVALID_MESSAGE', message: `invalid resolution ${JSON.stringify(resolution)} (one of 1, 5, 15, 30, 60, D)`, field: 'resolution' }, close: 'BAD_REQUEST' };
      }
      const since = sinceFromQuery(query);
      if (!since.ok) return { ok: false, error: { code: 'INVALID_MESSAGE', message: since.message, field: 'since' }, close: 'BAD_REQUEST' };
      return { ok: true, params: { symbol, resolution, since: since.since } };
    },
    errorMessage: (error) => streamError(error),
    /** `connected` (with the topic's position), the snapshot unless recovered (current candle, structure, confluence), then live. */
    async open(ctx, { symbol, resolution, since }) {
      const topic = marketDataTopic(symbol, resolution);
      if (!(await admit(ctx, [topic], (e) => streamError(e)))) return;
      const result = await subscribeAll(ctx, [topic], since);
      const positions = Object.keys(result.positions).length ? { positions: result.positions } : {};
      ctx.send(connectedMessage({ stream: 'market-data', message: `Connected to market data stream for ${symbol}`, symbol, resolution, ...positions, ...notSubscribed(result) } as ConnectedData));
      sendSnapshots(ctx, result, [topic]);
    },
    handle: (message, ctx) => dispatchMarketDataStream(handlers, message as MarketDataStreamInbound, ctx),
  };
}
