/**
 * Order book diffs (property): for random pairs of books, the feed's diff applied by the client rule (OrderBook)
 * turns the first book's top N into exactly the second's, whatever levels enter or leave the top N; and the client
 * rule's sequencing (stale, gap, snapshot resets).
 */
import { expect } from 'chai';
import { OrderBook } from '../../src/client/book.ts';
import type { Level } from '../../src/market/depth.ts';
import { Random } from '../../src/market/random.ts';
import { diffLevels } from '../../src/streams/depth-feed.ts';

function randomSide(rng: Random, mid: number, dir: 1 | -1, n: number): Level[] {
  const out: Level[] = [];
  let p = mid;
  for (let i = 0; i < n; i++) {
    p += dir * (1 + Math.floor(rng.next() * 3));
    out.push([p / 100, 1 + Math.floor(rng.next() * 5)]);
  }
  return out;
}

/** A random book, and a random successor: shifted, some sizes changed, some levels removed or added. */
function successor(rng: Random, bids: Level[], asks: Level[]): { bids: Level[]; asks: Level[] } {
  const mutate = (side: Level[], dir: 1 | -1): Level[] => {
    const m = new Map(side);
    for (const [p] of side) {
      const r = rng.next();
      if (r < 0.1) m.delete(p);
      else if (r < 0.3) m.set(p, 1 + Math.floor(rng.next() * 9));
    }
    const extra = Math.floor(rng.next() * 4);
    const edge = side.length ? side[0]![0] : 100;
    for (let i = 0; i < extra; i++) m.set(Math.round((edge - dir * (i + 1) * 0.01 * (1 + Math.floor(rng.next() * 2))) * 100) / 100, 1 + Math.floor(rng.next() * 9));
    return [...m].sort((a, b) => (dir === -1 ? b[0] - a[0] : a[0] - b[0]));
  };
  return { bids: mutate(bids, -1), asks: mutate(asks, 1) };
}

describe('book diffs and the client rule (property)', () => {
  it('snapshot + diffs rebuild exactly the top N of every later book (2000 random steps, depths 5/10/50)', () => {
    for (const depth of [5, 10, 50]) {
      const rng = new Random(1234 + depth);
      let bids = randomSide(rng, 10_000, -1, 60);
      let asks = randomSide(rng, 10_001, 1, 60);
      const client = new OrderBook(depth);
      let view = { bids: new Map(bids.slice(0, depth)), asks: new Map(asks.slice(0, depth)) };
      client.snapshot({ u: 0, time: 0, bids: bids.slice(0, depth), asks: asks.slice(0, depth) });
      let u = 0;
      for (let step = 0; step < 2000; step++) {
        ({ bids, asks } = successor(rng, bids, asks));
        const top = { bids: bids.slice(0, depth), asks: asks.slice(0, depth) };
        const db = diffLevels(view.bids, top.bids);
        const da = diffLevels(view.asks, top.asks);
        view = { bids: new Map(top.bids), asks: new Map(top.asks) };
        if (db.length === 0 && da.length === 0) continue;
        expect(client.apply({ u: ++u, time: step, bids: db, asks: da })).to.equal('applied');
        expect(client.bids(), `bids at step ${step}`).to.deep.equal(top.bids);
        expect(client.asks(), `asks at step ${step}`).to.deep.equal(top.asks);
      }
      expect(u).to.be.greaterThan(1500);
    }
  });

  it('sequencing: old updates are stale, a skipped one is a gap (and the book refuses updates until a snapshot)', () => {
    const book = new OrderBook(5);
    expect(book.apply({ u: 1, time: 0, bids: [], asks: [] })).to.equal('no-snapshot');
    book.snapshot({ u: 10, time: 0, bids: [[1, 1]], asks: [[2, 1]] });
    expect(book.apply({ u: 10, time: 0, bids: [[1, 5]], asks: [] })).to.equal('stale');
    expect(book.bids()).to.deep.equal([[1, 1]]);
    expect(book.apply({ u: 11, time: 1, bids: [[1, 0], [0.9, 3]], asks: [] })).to.equal('applied');
    expect(book.bids()).to.deep.equal([[0.9, 3]]);
    expect(book.apply({ u: 13, time: 2, bids: [], asks: [] })).to.equal('gap');
    expect(book.apply({ u: 12, time: 2, bids: [], asks: [] })).to.equal('gap');
    book.snapshot({ u: 20, time: 3, bids: [[1.1, 2]], asks: [[1.2, 2]] });
    expect(book.stale).to.equal(false);
    expect(book.apply({ u: 21, time: 4, bids: [], asks: [[1.2, 0]] })).to.equal('applied');
    expect(book.asks()).to.deep.equal([]);
  });
});
