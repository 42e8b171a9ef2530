/**
 * The client rule for `book:<SYMBOL>:<DEPTH>` topics (the contract's book topic description), as code: a
 * `book.snapshot` replaces the book and its position `u`; a `book.update` is applied only when its `u` is the book's
 * `u` + 1, dropped when it is old, and reported as a gap when one was skipped (then subscribe again for a fresh
 * snapshot; until then the book stays as it was and later updates are refused as gaps too).
 *
 * ```ts
 * const book = new OrderBook(10);
 * client.on('book.snapshot', (m) => book.snapshot(m.payload));
 * client.on('book.update', (m) => { if (book.apply(m.payload) === 'gap') resubscribe(); });
 * ```
 */
export type BookLevel = [number, number];

export interface BookSnapshotLike {
  u: number;
  time: number;
  bids: number[][];
  asks: number[][];
}

export type ApplyOutcome = 'applied' | 'stale' | 'gap' | 'no-snapshot';

export class OrderBook {
  private bidMap = new Map<number, number>();
  private askMap = new Map<number, number>();
  /** The position of the book: the `u` of the snapshot or of the last update applied; undefined before a snapshot. */
  u: number | undefined;
  time = 0;
  /** True after a gap, until the next snapshot. */
  stale = false;

  constructor(readonly depth: number) {}

  snapshot(s: BookSnapshotLike): void {
    this.bidMap = new Map(s.bids.map(([p, q]) => [p!, q!]));
    this.askMap = new Map(s.asks.map(([p, q]) => [p!, q!]));
    this.u = s.u;
    this.time = s.time;
    this.stale = false;
  }

  apply(update: BookSnapshotLike): ApplyOutcome {
    if (this.u === undefined) return 'no-snapshot';
    if (this.stale) return 'gap';
    if (update.u <= this.u) return 'stale';
    if (update.u > this.u + 1) {
      this.stale = true;
      return 'gap';
    }
    for (const [p, q] of update.bids) if (q === 0) this.bidMap.delete(p!); else this.bidMap.set(p!, q!);
    for (const [p, q] of update.asks) if (q === 0) this.askMap.delete(p!); else this.askMap.set(p!, q!);
    this.u = update.u;
    this.time = update.time;
    return 'applied';
  }

  /** Best first, at most `depth` levels. */
  bids(): BookLevel[] {
    return [...this.bidMap].sort((a, b) => b[0] - a[0]).slice(0, this.depth);
  }

  asks(): BookLevel[] {
    return [...this.askMap].sort((a, b) => a[0] - b[0]).slice(0, this.depth);
  }
}
