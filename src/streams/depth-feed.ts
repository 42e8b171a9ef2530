import type { BookSnapshotMessage, BookUpdateMessage, QuotesUpdateMessage, TradesSnapshotMessage, TradesUpdateMessage } from '../../generated/types.ts';
import { parseBookTopic, parseQuotesTopic, parseTradesTopic } from '../../generated/topics.ts';
import type { BookState, DepthSource, Level } from '../market/depth.ts';
import type { Hub } from '../pubsub/hub.ts';
import type { Stream, StreamContext } from './stream.ts';

/** The levels of `next` that differ from `prev` (size 0 for a level that left), by price. */
export function diffLevels(prev: ReadonlyMap<number, number>, next: readonly Level[]): Level[] {
  const out: Level[] = [];
  const seen = new Set<number>();
  for (const [p, s] of next) {
    seen.add(p);
    if (prev.get(p) !== s) out.push([p, s]);
  }
  for (const p of prev.keys()) if (!seen.has(p)) out.push([p, 0]);
  return out;
}

interface BookView {
  depth: number;
  u: number;
  bids: Map<number, number>;
  asks: Map<number, number>;
  time: number;
}

/**
 * Bridges a DepthSource to the `quotes:<SYM>`, `trades:<SYM>` and `book:<SYM>:<DEPTH>` topics, only while a topic has
 * subscribers (hub.watch). Every publication carries the topic's snapshot (current quote, recent tape, the book at
 * its `u`), so a new subscriber's snapshot is exactly current to its `asOf`.
 *
 * Book topics: one view per topic (its top `depth` levels and its position `u`); on each book change the view's diff
 * is published as `book.update` with `u` + 1 (nothing when the top `depth` levels did not change), so `u` is
 * contiguous per topic and a snapshot plus the updates after it rebuild exactly the book a fresh snapshot shows.
 */
export class DepthFeed implements Stream {
  readonly name = 'depth';
  private readonly symbolWatch = new Map<string, { off: () => void; topics: Set<string> }>();
  private readonly books = new Map<string, BookView>();
  /**
   * The last `u` of every book topic this feed has served. A topic that goes idle and comes back continues from
   * last + 1 for its snapshot (a jump), so a client still holding the old book sees a gap at the next update and
   * resyncs instead of applying diffs to a book that moved while nobody was subscribed. Bounded by symbols x depths.
   */
  private readonly lastU = new Map<string, number>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly deps: { depth: DepthSource; hub: Hub }) {}

  start(ctx: StreamContext): void {
    this.stop();
    const { hub } = this.deps;
    this.unwatch = hub.watch({ active: (topic) => this.open(topic, ctx), idle: (topic) => this.close(topic) });
    for (const topic of hub.activeTopics()) this.open(topic, ctx);
    ctx.update();
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    for (const w of this.symbolWatch.values()) w.off();
    this.symbolWatch.clear();
    this.books.clear();
  }

  private symbolOf(topic: string): { symbol: string; kind: 'quotes' | 'trades' | 'book'; depth?: number } | undefined {
    if (topic.startsWith('quotes:')) {
      const p = parseQuotesTopic(topic);
      return p.ok ? { symbol: p.value.symbol, kind: 'quotes' } : undefined;
    }
    if (topic.startsWith('trades:')) {
      const p = parseTradesTopic(topic);
      return p.ok ? { symbol: p.value.symbol, kind: 'trades' } : undefined;
    }
    if (topic.startsWith('book:')) {
      const p = parseBookTopic(topic);
      return p.ok ? { symbol: p.value.symbol, kind: 'book', depth: Number(p.value.depth) } : undefined;
    }
    return undefined;
  }

  private open(topic: string, ctx: StreamContext): void {
    const t = this.symbolOf(topic);
    const { depth: source, hub } = this.deps;
    if (!t || !source.hasSymbol(t.symbol)) return;
    let w = this.symbolWatch.get(t.symbol);
    if (w?.topics.has(topic)) return;
    if (t.kind === 'book') {
      const before = this.lastU.get(topic);
      const view: BookView = { depth: Math.min(t.depth!, source.maxDepth), u: before === undefined ? 0 : before + 1, bids: new Map(), asks: new Map(), time: 0 };
      this.lastU.set(topic, view.u);
      const current = source.book(t.symbol);
      if (current) this.load(view, current);
      this.books.set(topic, view);
      void hub.setSnapshot(topic, [bookSnapshot(topic, view)]);
    } else if (t.kind === 'quotes') {
      const q = source.quote(t.symbol);
      if (q) void hub.setSnapshot(topic, [quotesUpdate(topic, q)]);
    } else {
      void hub.setSnapshot(topic, [tradesSnapshot(topic, source.recentTrades(t.symbol))]);
    }
    if (!w) {
      const topics = new Set<string>();
      const symbol = t.symbol;
      const guard = (fn: () => void) => {
        try {
          fn();
          ctx.update();
        } catch (err) {
          ctx.error(err);
        }
      };
      const off = source.watch(symbol, {
        trade: (trade) => guard(() => {
          const topic = `trades:${symbol}`;
          if (!topics.has(topic)) return;
          const msg: TradesUpdateMessage = { type: 'trades.update', topic, payload: trade };
          hub.publish(topic, msg, { snapshot: [tradesSnapshot(topic, source.recentTrades(symbol))] });
        }),
        book: (book) => guard(() => {
          for (const topic of topics) {
            const view = this.books.get(topic);
            if (view) this.publishBook(topic, view, book);
          }
        }),
        quote: (q) => guard(() => {
          const topic = `quotes:${symbol}`;
          if (!topics.has(topic)) return;
          const msg = quotesUpdate(topic, q);
          hub.publish(topic, msg, { snapshot: [msg] });
        }),
      });
      w = { off, topics };
      this.symbolWatch.set(symbol, w);
    }
    w.topics.add(topic);
  }

  private close(topic: string): void {
    const t = this.symbolOf(topic);
    if (!t) return;
    this.books.delete(topic);
    const w = this.symbolWatch.get(t.symbol);
    if (!w) return;
    w.topics.delete(topic);
    if (w.topics.size === 0) {
      w.off();
      this.symbolWatch.delete(t.symbol);
    }
  }

  private load(view: BookView, book: BookState): void {
    view.bids = new Map(book.bids.slice(0, view.depth));
    view.asks = new Map(book.asks.slice(0, view.depth));
    view.time = book.time;
  }

  private publishBook(topic: string, view: BookView, book: BookState): void {
    const bids = diffLevels(view.bids, book.bids.slice(0, view.depth));
    const asks = diffLevels(view.asks, book.asks.slice(0, view.depth));
    if (bids.length === 0 && asks.length === 0) return;
    this.load(view, book);
    view.u += 1;
    this.lastU.set(topic, view.u);
    const msg: BookUpdateMessage = { type: 'book.update', topic, payload: { u: view.u, time: book.time, bids, asks } };
    this.deps.hub.publish(topic, msg, { snapshot: [bookSnapshot(topic, view)] });
  }
}

function bookSnapshot(topic: string, view: BookView): BookSnapshotMessage {
  return {
    type: 'book.snapshot',
    topic,
    payload: {
      u: view.u,
      time: view.time,
      bids: [...view.bids].sort((a, b) => b[0] - a[0]),
      asks: [...view.asks].sort((a, b) => a[0] - b[0]),
    },
  };
}

function quotesUpdate(topic: string, q: QuotesUpdateMessage['payload']): QuotesUpdateMessage {
  const { time, bid, bid_size, ask, ask_size, last, last_size } = q;
  return { type: 'quotes.update', topic, payload: { time, bid, bid_size, ask, ask_size, last, last_size } };
}

function tradesSnapshot(topic: string, trades: TradesSnapshotMessage['payload']['trades']): TradesSnapshotMessage {
  return { type: 'trades.snapshot', topic, payload: { trades: trades.slice(-50) } };
}
