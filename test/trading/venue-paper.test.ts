import { expect } from 'chai';
import type { Quote } from '../../src/market/source.ts';
import type { Fill, Order, OrderRequest } from '../../src/trading/venue.ts';
import { PaperVenue, type PaperVenueOptions } from '../../src/trading/venue-paper.ts';
import { describeVenueConformance } from './venue.conformance.ts';

const NOW = Date.UTC(2024, 0, 2, 15, 0);

/** The tiny quote source the venue needs: known symbols, settable prices. */
class FakeQuotes {
  private readonly prices = new Map<string, number>();
  constructor(private readonly known: string[]) {}
  hasSymbol = (s: string): boolean => this.known.includes(s);
  quote = (s: string): Quote | undefined => {
    const price = this.prices.get(s);
    if (price === undefined) return undefined;
    return { symbol: s, price, change: 0, change_pct: 0, previous_close: price, time: NOW, delayed: false };
  };
  set(symbol: string, price: number): Quote {
    this.prices.set(symbol, price);
    return this.quote(symbol)!;
  }
}

describeVenueConformance('PaperVenue', async () => {
  const quotes = new FakeQuotes(['AAPL', 'MSFT']);
  const venue = new PaperVenue({ quotes, now: () => NOW });
  return {
    venue,
    symbol: 'AAPL',
    unknownSymbol: 'ZZZZ',
    fillAt: (order: Order, p: number) => venue.onQuote(quotes.set(order.symbol, p)),
  };
});

describe('PaperVenue', () => {
  let quotes: FakeQuotes;
  let fills: Fill[];
  let orders: Order[];
  const make = async (opts: Partial<PaperVenueOptions> = {}): Promise<PaperVenue> => {
    const b = new PaperVenue({ quotes, now: () => NOW, ...opts });
    b.onFill((f) => fills.push(f));
    b.onOrder((o) => orders.push(o));
    await b.start();
    return b;
  };
  /** Resolves on the next fill event (or rejects after 2 s). */
  const nextFill = (b: PaperVenue): Promise<Fill> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no fill within 2 s')), 2000);
      const off = b.onFill((f) => {
        clearTimeout(timer);
        off();
        resolve(f);
      });
    });

  beforeEach(() => {
    quotes = new FakeQuotes(['AAPL', 'MSFT']);
    fills = [];
    orders = [];
  });

  it('fills a market order on a later turn at quote ± slippage, with per-share commission', async () => {
    quotes.set('AAPL', 200);
    const b = await make({ slippageBps: 10, commissionPerShare: 0.005, minCommission: 1 });
    const buy = await b.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 100, type: 'MKT' });
    expect(fills).to.deep.equal([]); // never inside placeOrder
    const f = await nextFill(b);
    // 200 × (1 + 10/10⁴) = 200.2; commission max(1, 100 × 0.005 = 0.5) = 1
    expect(f.price).to.be.closeTo(200.2, 1e-9);
    expect(f).to.include({ order_id: buy.order_id, quantity: 100, commission: 1, timestamp: '2024-01-02T15:00:00.000Z' });

    await b.placeOrder({ symbol: 'AAPL', side: 'SELL', quantity: 300, type: 'MKT' });
    const g = await nextFill(b);
    // 200 × (1 − 0.001) = 199.8; commission 300 × 0.005 = 1.5
    expect(g.price).to.be.closeTo(199.8, 1e-9);
    expect(g.commission).to.be.closeTo(1.5, 1e-12);
    expect(b.positions()).to.have.length(1);
    expect(b.positions()[0]).to.include({ symbol: 'AAPL', quantity: -200 });
    expect(b.positions()[0]!.avg_price).to.be.closeTo(199.8, 1e-9);
  });

  it('reports submitted then filled to onOrder, and fill before filled', async () => {
    quotes.set('AAPL', 10);
    const b = await make();
    const log: string[] = [];
    b.onFill(() => log.push('fill'));
    b.onOrder((o) => log.push(o.status));
    await b.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT' });
    await nextFill(b);
    expect(log).to.deep.equal(['submitted', 'fill', 'filled']);
  });

  it('rests a limit order until a later quote crosses, never filling worse than the limit', async () => {
    quotes.set('AAPL', 100);
    const b = await make({ slippageBps: 50 });
    const buy = await b.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 5, type: 'LMT', limit_price: 95 });
    const sell = await b.placeOrder({ symbol: 'AAPL', side: 'SELL', quantity: 5, type: 'LMT', limit_price: 104 });
    b.onQuote(quotes.set('AAPL', 96)); // no cross
    b.onQuote(quotes.set('AAPL', 103.9)); // no cross
    expect(fills).to.deep.equal([]);
    b.onQuote(quotes.set('AAPL', 94.9)); // buy crosses: 94.9 × 1.005 = 95.3745 capped at the limit 95
    expect(fills.map((f) => [f.order_id, f.price])).to.deep.equal([[buy.order_id, 95]]);
    b.onQuote(quotes.set('AAPL', 110)); // sell crosses: 110 × 0.995 = 109.45 ≥ 104
    expect(fills.map((f) => f.order_id)).to.deep.equal([buy.order_id, sell.order_id]);
    expect(fills[1]!.price).to.be.closeTo(109.45, 1e-9);
    expect(b.positions()).to.deep.equal([]);
  });

  it('fills a marketable limit order on the next turn', async () => {
    quotes.set('AAPL', 100);
    const b = await make();
    await b.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'LMT', limit_price: 101 });
    expect((await nextFill(b)).price).to.equal(100);
  });

  it('a market order without a quote waits for the first quote', async () => {
    const b = await make();
    const o = await b.placeOrder({ symbol: 'MSFT', side: 'BUY', quantity: 2, type: 'MKT' });
    expect(o.status).to.equal('submitted');
    const f = nextFill(b);
    b.onQuote(quotes.set('MSFT', 300));
    expect((await f).price).to.equal(300);
  });

  const rejects: { given: Partial<OrderRequest> & { started?: boolean }; want: string }[] = [
    { given: { started: false }, want: 'NOT_STARTED' },
    { given: { symbol: 'ZZZZ' }, want: 'UNKNOWN_SYMBOL' },
    { given: { quantity: 0 }, want: 'INVALID_QUANTITY' },
    { given: { quantity: -1 }, want: 'INVALID_QUANTITY' },
    { given: { quantity: Number.NaN }, want: 'INVALID_QUANTITY' },
    { given: { side: 'HOLD' as 'BUY' }, want: 'INVALID_SIDE' },
    { given: { type: 'STP' as 'MKT' }, want: 'INVALID_ORDER_TYPE' },
    { given: { type: 'LMT' }, want: 'INVALID_LIMIT_PRICE' },
    { given: { type: 'LMT', limit_price: 0 }, want: 'INVALID_LIMIT_PRICE' },
  ];
  for (const { given, want } of rejects) {
    it(`rejects ${JSON.stringify(given)} with ${want}`, async () => {
      quotes.set('AAPL', 100);
      const b = new PaperVenue({ quotes, now: () => NOW });
      b.onOrder((o) => orders.push(o));
      if (given.started !== false) await b.start();
      const { started: _s, ...req } = given;
      const o = await b.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT', ...req });
      expect(o).to.include({ status: 'rejected', reason: want });
      expect(orders.map((x) => x.status)).to.deep.equal(['rejected']);
    });
  }

  it('uses the injected id generator; default ids are unique per instance', async () => {
    quotes.set('AAPL', 1);
    let n = 0;
    const b = await make({ newId: (kind) => `${kind}#${++n}` });
    const o = await b.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT' });
    expect(o.order_id).to.equal('order#1');
    expect((await nextFill(b)).execution_id).to.equal('execution#2');

    const d = await make();
    for (let i = 0; i < 20; i++) await d.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT' });
    await new Promise<void>((resolve) => {
      const check = () => fills.length >= 21 && resolve();
      d.onFill(check);
      check();
    });
    const ids = fills.map((f) => f.execution_id);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('stop() cancels pending fill turns; listener errors go to onError', async () => {
    quotes.set('AAPL', 1);
    const errors: string[] = [];
    const b = await make({ onError: (e, where) => errors.push(`${where}: ${(e as Error).message}`) });
    const o = await b.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 1, type: 'MKT' });
    await b.stop();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(fills).to.deep.equal([]);
    expect(b.orders()[0]!.status).to.equal('submitted');
    await b.start();
    b.onFill(() => {
      throw new Error('boom');
    });
    b.onQuote(quotes.set('AAPL', 2));
    expect(fills.map((f) => [f.order_id, f.price])).to.deep.equal([[o.order_id, 2]]);
    expect(errors).to.deep.equal(['fill: boom']);
  });

  it('cancelling an unknown or final order is a no-op', async () => {
    const b = await make();
    await b.cancelOrder('nope');
    expect(orders).to.deep.equal([]);
  });
});
