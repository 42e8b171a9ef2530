/** The simulated book and tape: plausible (never crossed, sorted, bounded), consistent with the market's prices. */
import { expect } from 'chai';
import { SimBook } from '../../src/market/sim-book.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import type { BookState, TradePrint } from '../../src/market/depth.ts';

describe('SimBook: a book and tape from the simulated market', () => {
  function rig() {
    const clock = { t: Date.UTC(2024, 0, 10, 15) };
    const source = new SimulatedSource({ symbols: ['AAPL', 'BTC-USD'], now: () => clock.t, tickIntervalMs: 1000 });
    const book = new SimBook({ source, now: () => clock.t, onListenerError: (err) => { throw err; } });
    book.start();
    const step = (n: number) => {
      for (let i = 0; i < n; i++) {
        clock.t += 1000;
        source.step(1);
      }
    };
    return { clock, source, book, step };
  }

  for (const symbol of ['AAPL', 'BTC-USD']) {
    it(`${symbol}: every tick prints one trade at the market's price; the book straddles it, sorted, never crossed`, () => {
      const { source, book, step } = rig();
      const trades: TradePrint[] = [];
      const books: BookState[] = [];
      book.watch(symbol, { trade: (t) => trades.push(t), book: (b) => books.push(b) });
      expect(book.book(symbol)).to.equal(undefined);
      let previous: number | undefined;
      for (let i = 0; i < 300; i++) {
        step(1);
        const last = source.quote(symbol)!.price;
        const t = trades.at(-1)!;
        expect(t.price).to.equal(last);
        if (previous !== undefined && last > previous) expect(t.side).to.equal('buy');
        if (previous !== undefined && last < previous) expect(t.side).to.equal('sell');
        previous = last;
        const b = books.at(-1)!;
        expect(b.bids.length).to.equal(50);
        expect(b.asks.length).to.equal(50);
        expect(b.bids[0]![0]).to.be.at.most(last);
        expect(b.asks[0]![0]).to.be.at.least(last);
        expect(b.bids[0]![0]).to.be.lessThan(b.asks[0]![0]);
        for (let k = 1; k < 50; k++) {
          expect(b.bids[k]![0]).to.be.lessThan(b.bids[k - 1]![0]);
          expect(b.asks[k]![0]).to.be.greaterThan(b.asks[k - 1]![0]);
        }
        for (const [, size] of [...b.bids, ...b.asks]) expect(size).to.be.greaterThan(0);
        const q = book.quote(symbol)!;
        expect(q).to.include({ bid: b.bids[0]![0], bid_size: b.bids[0]![1], ask: b.asks[0]![0], ask_size: b.asks[0]![1], last, last_size: t.size });
      }
      expect(trades.length).to.equal(300);
      expect(trades.map((t) => t.id)).to.deep.equal(trades.map((_, i) => i + 1));
      for (let i = 1; i < trades.length; i++) expect(trades[i]!.time).to.be.at.least(trades[i - 1]!.time);
      expect(book.recentTrades(symbol).map((t) => t.id)).to.deep.equal(trades.slice(-50).map((t) => t.id));
      // a tight touch: under 10 bp
      const spread = books.at(-1)!.asks[0]![0] - books.at(-1)!.bids[0]![0];
      expect(spread).to.be.lessThan(last(source, symbol) * 0.001);
    });
  }

  it('consecutive books differ in a few levels (incremental), not wholesale', () => {
    const { book, step } = rig();
    const books: BookState[] = [];
    book.watch('AAPL', { book: (b) => books.push(b) });
    step(200);
    let changed = 0;
    for (let i = 1; i < books.length; i++) {
      const prev = new Map(books[i - 1]!.bids.slice(0, 10));
      changed += books[i]!.bids.slice(0, 10).filter(([p, s]) => prev.get(p) !== s).length;
    }
    expect(changed / (books.length - 1)).to.be.lessThan(6);
  });
});

function last(source: SimulatedSource, symbol: string): number {
  return source.quote(symbol)!.price;
}
