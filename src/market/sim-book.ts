/**
 * A simulated level-2 book and tape, consistent with the simulated market's prices: fed by its live 1-minute bar
 * updates (each update of the forming bar is one tick: price = the bar's close, size = the volume it added).
 *
 * Per tick: one trade at the tick's price, aggressor `buy` on an up-tick and `sell` on a down-tick (an unchanged price
 * repeats the previous side); then the book moves to straddle it: levels sit on a grid of `step` (a round number of
 * cents, ~0.2 bp of the price: 1 cent for a $190 stock, $1 for BTC), best bid <= last <= best ask, with the level the
 * trade printed at partly consumed. Levels persist from tick to tick (their sizes drift by simulated adds and cancels),
 * so consecutive books differ in a few levels, as a real book's incremental updates do. Deterministic per seed and
 * symbol given the same ticks.
 */
import type { BookState, DepthListener, DepthSource, Level, TopOfBook, TradePrint } from './depth.ts';
import { Random, deriveSeed } from './random.ts';
import type { Bar, MarketSource } from './source.ts';

const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const TAPE = 200;

interface BookSim {
  symbol: string;
  rng: Random;
  /** Grid step in cents. */
  step: number;
  /** Size unit (about $20k of notional). */
  unit: number;
  /** Price in cents → size. */
  bids: Map<number, number>;
  asks: Map<number, number>;
  lastCents: number | undefined;
  lastSide: 'buy' | 'sell';
  lastSize: number;
  bar: { time: number; volume: number } | undefined;
  tradeId: number;
  tape: TradePrint[];
  time: number;
  listeners: Set<DepthListener>;
}

export interface SimBookOptions {
  source: Pick<MarketSource, 'symbols' | 'hasSymbol' | 'subscribeBars'>;
  seed?: number;
  /** Levels per side (default 50). */
  depth?: number;
  onListenerError?: (err: unknown) => void;
  /** The market clock stamping trades (default Date.now). */
  now?: () => number;
}

const cents = (price: number) => Math.round(price * 100);
const price = (c: number) => c / 100;

export class SimBook implements DepthSource {
  readonly maxDepth: number;
  private readonly sims = new Map<string, BookSim>();
  private readonly offs: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly options: SimBookOptions) {
    this.maxDepth = options.depth ?? 50;
    this.now = options.now ?? Date.now;
    for (const symbol of options.source.symbols()) {
      this.sims.set(symbol, {
        symbol,
        rng: new Random(deriveSeed(options.seed ?? 42, symbol, 'book')),
        step: 1,
        unit: 1,
        bids: new Map(),
        asks: new Map(),
        lastCents: undefined,
        lastSide: 'buy',
        lastSize: 0,
        bar: undefined,
        tradeId: 0,
        tape: [],
        time: 0,
        listeners: new Set(),
      });
    }
  }

  /** Follows the source's ticks; idempotent. */
  start(): void {
    if (this.offs.length) return;
    for (const sim of this.sims.values()) this.offs.push(this.options.source.subscribeBars(sim.symbol, '1', (bar) => this.onBar(sim, bar)));
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  symbols(): readonly string[] {
    return [...this.sims.keys()];
  }

  hasSymbol(symbol: string): boolean {
    return this.sims.has(symbol);
  }

  watch(symbol: string, listener: DepthListener): () => void {
    const sim = this.sims.get(symbol);
    if (!sim) return () => undefined;
    sim.listeners.add(listener);
    return () => void sim.listeners.delete(listener);
  }

  book(symbol: string): BookState | undefined {
    const sim = this.sims.get(symbol);
    return sim && sim.lastCents !== undefined ? this.state(sim) : undefined;
  }

  quote(symbol: string): TopOfBook | undefined {
    const sim = this.sims.get(symbol);
    return sim && sim.lastCents !== undefined ? this.top(sim) : undefined;
  }

  recentTrades(symbol: string, limit = 50): TradePrint[] {
    return (this.sims.get(symbol)?.tape ?? []).slice(-limit).map((t) => ({ ...t }));
  }

  /** One tick: the forming 1-minute bar changed (a new price and the volume it added). */
  private onBar(sim: BookSim, bar: Bar): void {
    const added = sim.bar && sim.bar.time === bar.time ? bar.volume - sim.bar.volume : bar.volume;
    sim.bar = { time: bar.time, volume: bar.volume };
    if (!(added > 0)) return; // a bar closed without a new tick
    const c = cents(bar.close);
    if (sim.lastCents === undefined) this.init(sim, c);
    const side: 'buy' | 'sell' = sim.lastCents === undefined || c === sim.lastCents ? sim.lastSide : c > sim.lastCents! ? 'buy' : 'sell';
    sim.lastCents = c;
    sim.lastSide = side;
    sim.lastSize = added;
    // The tick's instant: the market clock, never before the bar it belongs to, never backwards.
    sim.time = Math.max(sim.time, bar.time, this.now());
    const trade: TradePrint = { id: ++sim.tradeId, time: sim.time, price: price(c), size: added, side };
    sim.tape.push(trade);
    if (sim.tape.length > TAPE) sim.tape.splice(0, sim.tape.length - TAPE);
    this.move(sim, c, side, added);
    const book = this.state(sim);
    const top = this.top(sim);
    for (const l of [...sim.listeners]) {
      this.safely(() => l.trade?.({ ...trade }));
      this.safely(() => l.book?.(book));
      this.safely(() => l.quote?.({ ...top }));
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.onListenerError?.(err);
    }
  }

  private init(sim: BookSim, c: number): void {
    const target = c * 0.00002; // ~0.2 bp of the price, in cents
    sim.step = STEPS.find((s) => s >= target) ?? STEPS[STEPS.length - 1]!;
    sim.unit = Math.max(1, Math.round(20_000 / price(c) / 10));
  }

  private size(sim: BookSim, distance: number): number {
    // Deeper levels hold more, with noise: a plausible shape (thin at the touch, thicker away from it).
    return sim.unit * (1 + Math.floor(sim.rng.next() * (4 + distance / 2)));
  }

  /** Re-centres the book on a trade at `c` (cents) and lets a few levels drift. */
  private move(sim: BookSim, c: number, side: 'buy' | 'sell', traded: number): void {
    const { step } = sim;
    let bestBid = Math.floor(c / step) * step;
    let bestAsk = bestBid + step;
    if (bestBid === c && side === 'buy') {
      bestAsk = c;
      bestBid = c - step;
    }
    // Crossed levels are gone (taken by the move); the touch on the trade's side is partly consumed.
    for (const p of [...sim.bids.keys()]) if (p > bestBid) sim.bids.delete(p);
    for (const p of [...sim.asks.keys()]) if (p < bestAsk) sim.asks.delete(p);
    const n = this.maxDepth;
    for (let i = 0; i < n; i++) {
      const b = bestBid - i * step;
      const a = bestAsk + i * step;
      if (b > 0 && !sim.bids.has(b)) sim.bids.set(b, this.size(sim, i));
      if (!sim.asks.has(a)) sim.asks.set(a, this.size(sim, i));
    }
    for (const p of [...sim.bids.keys()]) if (p <= bestBid - n * step) sim.bids.delete(p);
    for (const p of [...sim.asks.keys()]) if (p >= bestAsk + n * step) sim.asks.delete(p);
    const touch = side === 'buy' ? sim.asks : sim.bids;
    const at = side === 'buy' ? bestAsk : bestBid;
    const left = (touch.get(at) ?? 0) - Math.min(traded, Math.floor((touch.get(at) ?? 0) / 2));
    touch.set(at, Math.max(sim.unit, left));
    // Adds and cancels: a few levels change size.
    const changes = 1 + Math.floor(sim.rng.next() * 3);
    for (let k = 0; k < changes; k++) {
      const bidSide = sim.rng.next() < 0.5;
      const i = Math.floor(sim.rng.next() * Math.min(n, 10));
      const p = bidSide ? bestBid - i * step : bestAsk + i * step;
      const book = bidSide ? sim.bids : sim.asks;
      if (book.has(p)) book.set(p, this.size(sim, i));
    }
  }

  private state(sim: BookSim): BookState {
    const bids: Level[] = [...sim.bids].sort((x, y) => y[0] - x[0]).slice(0, this.maxDepth).map(([p, s]) => [price(p), s]);
    const asks: Level[] = [...sim.asks].sort((x, y) => x[0] - y[0]).slice(0, this.maxDepth).map(([p, s]) => [price(p), s]);
    return { time: sim.time, bids, asks };
  }

  private top(sim: BookSim): TopOfBook {
    let bid = -Infinity;
    let ask = Infinity;
    for (const p of sim.bids.keys()) if (p > bid) bid = p;
    for (const p of sim.asks.keys()) if (p < ask) ask = p;
    return { time: sim.time, bid: price(bid), bid_size: sim.bids.get(bid) ?? 0, ask: price(ask), ask_size: sim.asks.get(ask) ?? 0, last: price(sim.lastCents!), last_size: sim.lastSize };
  }
}
