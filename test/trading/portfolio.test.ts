import { expect } from 'chai';
import type { Fill, Side } from '../../src/trading/venue.ts';
import { applyFillToPosition, changedSince, Portfolio, type PositionState } from '../../src/trading/portfolio.ts';

const DAY1 = Date.UTC(2024, 0, 2, 15, 0);
const DAY2 = Date.UTC(2024, 0, 3, 15, 0);
let seq = 0;
function fill(symbol: string, side: Side, quantity: number, price: number, commission = 0): Fill {
  seq++;
  return { execution_id: `e${seq}`, order_id: `o${seq}`, symbol, side, quantity, price, commission, timestamp: new Date(DAY1).toISOString() };
}

describe('applyFillToPosition', () => {
  const cases: { given: [PositionState, Side, number, number]; want: { position: PositionState; realized: number } }[] = [
    { given: [{ quantity: 0, avg_price: 0 }, 'BUY', 10, 100], want: { position: { quantity: 10, avg_price: 100 }, realized: 0 } },
    { given: [{ quantity: 10, avg_price: 100 }, 'BUY', 10, 110], want: { position: { quantity: 20, avg_price: 105 }, realized: 0 } },
    // reduce long: 15 × (120 − 105)
    { given: [{ quantity: 20, avg_price: 105 }, 'SELL', 15, 120], want: { position: { quantity: 5, avg_price: 105 }, realized: 225 } },
    // close long at a loss: 5 × (90 − 105)
    { given: [{ quantity: 5, avg_price: 105 }, 'SELL', 5, 90], want: { position: { quantity: 0, avg_price: 0 }, realized: -75 } },
    // flip long → short: close 5 × (130 − 105) = 125, open −5 @ 130
    { given: [{ quantity: 5, avg_price: 105 }, 'SELL', 10, 130], want: { position: { quantity: -5, avg_price: 130 }, realized: 125 } },
    // open / add short
    { given: [{ quantity: 0, avg_price: 0 }, 'SELL', 4, 50], want: { position: { quantity: -4, avg_price: 50 }, realized: 0 } },
    { given: [{ quantity: -4, avg_price: 50 }, 'SELL', 4, 60], want: { position: { quantity: -8, avg_price: 55 }, realized: 0 } },
    // cover short partially at a profit: 3 × (55 − 45)
    { given: [{ quantity: -8, avg_price: 55 }, 'BUY', 3, 45], want: { position: { quantity: -5, avg_price: 55 }, realized: 30 } },
    // flip short → long: cover 5 × (55 − 70) = −75, open 2 @ 70
    { given: [{ quantity: -5, avg_price: 55 }, 'BUY', 7, 70], want: { position: { quantity: 2, avg_price: 70 }, realized: -75 } },
  ];
  for (const { given, want } of cases) {
    it(`${JSON.stringify(given)} -> ${JSON.stringify(want)}`, () => {
      expect(applyFillToPosition(...given)).to.deep.equal(want);
    });
  }
});

describe('Portfolio', () => {
  it('buy 10 @100, buy 10 @110, sell 15 @120 (commission 1 each): hand-checked numbers', () => {
    let now = DAY1;
    const p = new Portfolio({ initialCash: 10_000, now: () => now });
    p.applyFill(fill('AAPL', 'BUY', 10, 100, 1));
    p.applyFill(fill('AAPL', 'BUY', 10, 110, 1));
    p.applyFill(fill('AAPL', 'SELL', 15, 120, 1));
    // cash = 10000 − 1000 − 1 − 1100 − 1 + 1800 − 1 = 9697
    // avg = (10×100 + 10×110) / 20 = 105; realized = 15 × (120 − 105) − 3 commissions = 222
    // no quote yet: marked at the last fill, 120 → unrealized = 5 × (120 − 105) = 75; equity = 9697 + 600 = 10297
    let s = p.snapshot();
    expect(s.positions).to.deep.equal([
      { symbol: 'AAPL', quantity: 5, avg_price: 105, market_price: 120, market_value: 600, unrealized_pnl: 75, realized_pnl: 222 },
    ]);
    expect({ cash: s.cash, equity: s.equity, u: s.unrealized_pnl, r: s.realized_pnl, t: s.total_pnl, d: s.daily_pnl, c: p.totalCommission }).to.deep.equal({
      cash: 9697, equity: 10297, u: 75, r: 222, t: 297, d: 297, c: 3,
    });
    expect(s.timestamp).to.equal('2024-01-02T15:00:00.000Z');

    // mark 130: unrealized = 5 × 25 = 125; equity = 9697 + 650 = 10347
    now += 1000;
    p.mark({ symbol: 'AAPL', price: 130 });
    s = p.snapshot();
    expect([s.equity, s.unrealized_pnl, s.total_pnl]).to.deep.equal([10347, 125, 347]);
    expect(s.total_pnl).to.equal(s.equity - 10_000);
  });

  it('keeps realized P&L of closed positions, lists only open ones, sorted by symbol', () => {
    const p = new Portfolio({ initialCash: 1000, now: () => DAY1 });
    p.applyFill(fill('MSFT', 'BUY', 1, 300));
    p.applyFill(fill('AAPL', 'SELL', 2, 100)); // short
    p.applyFill(fill('TSLA', 'BUY', 1, 200));
    p.applyFill(fill('TSLA', 'SELL', 1, 190)); // flat, realized −10
    p.mark({ symbol: 'AAPL', price: 90 }); // short gains 2 × 10
    const s = p.snapshot();
    expect(s.positions.map((x) => [x.symbol, x.quantity, x.market_value, x.unrealized_pnl])).to.deep.equal([
      ['AAPL', -2, -180, 20],
      ['MSFT', 1, 300, 0],
    ]);
    // cash = 1000 − 300 + 200 − 200 + 190 = 890; equity = 890 − 180 + 300 = 1010
    expect([s.cash, s.equity, s.realized_pnl, s.unrealized_pnl, s.total_pnl]).to.deep.equal([890, 1010, -10, 20, 10]);
  });

  it('a quote that arrived before the first fill sets the mark', () => {
    const p = new Portfolio({ initialCash: 0, now: () => DAY1 });
    p.mark({ symbol: 'AAPL', price: 101 });
    expect(p.snapshot().positions).to.deep.equal([]);
    p.applyFill(fill('AAPL', 'BUY', 1, 100));
    expect(p.snapshot().positions[0]!.market_price).to.equal(101);
  });

  it('daily_pnl restarts from the equity at the day change', () => {
    let now = DAY1;
    const p = new Portfolio({ initialCash: 1000, now: () => now });
    p.applyFill(fill('AAPL', 'BUY', 10, 10));
    p.mark({ symbol: 'AAPL', price: 12 }); // equity 1020
    expect(p.snapshot().daily_pnl).to.equal(20);
    now = DAY2;
    p.mark({ symbol: 'AAPL', price: 11 }); // day starts at 1020, equity now 1010
    const s = p.snapshot();
    expect([s.daily_pnl, s.total_pnl]).to.deep.equal([-10, 10]);
  });
});

describe('Portfolio.markToMarket', () => {
  it('marks every open position that has a quote, then tells each onMarked listener; a throwing one does not stop the others', () => {
    const p = new Portfolio({ initialCash: 10_000, now: () => DAY1 });
    p.applyFill(fill('AAPL', 'BUY', 10, 100));
    p.applyFill(fill('MSFT', 'SELL', 5, 200));
    p.applyFill(fill('TSLA', 'BUY', 1, 50));
    p.applyFill(fill('TSLA', 'SELL', 1, 50)); // flat: not asked for a quote
    const asked: string[] = [];
    const seen: number[] = [];
    p.onMarked(() => {
      throw new Error('listener bug');
    });
    const off = p.onMarked(() => seen.push(p.snapshot().unrealized_pnl));
    const quotes: Record<string, number> = { AAPL: 110 };
    expect(() => p.markToMarket((symbol) => {
      asked.push(symbol);
      return quotes[symbol] === undefined ? undefined : { symbol, price: quotes[symbol]! };
    })).to.throw('listener bug');
    expect(asked.sort()).to.deep.equal(['AAPL', 'MSFT']);
    // AAPL marked at 110 (+100); MSFT has no quote and keeps its fill price (0).
    expect(seen).to.deep.equal([100]);
    off();
    quotes.AAPL = 120;
    expect(() => p.markToMarket((symbol) => (quotes[symbol] === undefined ? undefined : { symbol, price: quotes[symbol]! }))).to.throw('listener bug');
    expect(seen).to.deep.equal([100]);
    expect(p.snapshot().unrealized_pnl).to.equal(200);
  });
});

describe('changedSince', () => {
  it('detects every visible change and ignores the timestamp', () => {
    let now = DAY1;
    const p = new Portfolio({ initialCash: 1000, now: () => now });
    const s0 = p.snapshot();
    expect(changedSince(undefined, s0)).to.equal(true);
    now += 5000;
    const s1 = p.snapshot();
    expect(s1.timestamp).to.not.equal(s0.timestamp);
    expect(changedSince(s0, s1)).to.equal(false);
    p.applyFill(fill('AAPL', 'BUY', 1, 100));
    const s2 = p.snapshot();
    expect(changedSince(s1, s2)).to.equal(true);
    p.mark({ symbol: 'AAPL', price: 100 }); // same price as the fill: nothing visible changes
    const s3 = p.snapshot();
    expect(changedSince(s2, s3)).to.equal(false);
    p.mark({ symbol: 'AAPL', price: 100.5 });
    expect(changedSince(s3, p.snapshot())).to.equal(true);
  });
});
