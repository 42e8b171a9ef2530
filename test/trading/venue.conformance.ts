/**
 * The OrderVenue conformance suite (house rule 5): every OrderVenue implementation runs it.
 * Implementation-agnostic: it only uses the OrderVenue interface plus the fixture below.
 *
 * Usage, in a `*.test.ts` file:  describeVenueConformance('PaperVenue', async () => ({ ... }))
 */
import { expect } from 'chai';
import type { Fill, Order, OrderVenue, OrderStatus } from '../../src/trading/venue.ts';
import { waitUntil } from '../support/wait.ts';

export interface VenueFixture {
  /** A fresh venue, not yet started. The suite calls start() before and stop() after each test. */
  venue: OrderVenue;
  /** A symbol the venue accepts; its position starts flat. Default 'AAPL'. */
  symbol?: string;
  /** A symbol the venue must reject. Default 'NO_SUCH_SYMBOL'. */
  unknownSymbol?: string;
  /**
   * Makes the pending market order `order` fill, in full, at price `p` (paper: set the quote and call
   * onQuote; IBKR fake: the fake TWS sends execDetails + orderStatus). Configure the venue with zero
   * slippage and zero commission so that fill price and position average equal `p`.
   * Absent: the venue fills market orders by itself, and the suite does not check prices.
   */
  fillAt?: (order: Order, p: number) => Promise<void> | void;
  /** Releases whatever make() created (servers, sockets); called after venue.stop(). */
  cleanup?: () => Promise<void>;
}

const TIMEOUT_MS = 2000;

/** Records every fill and order event and lets a test wait for one, with a timeout. */
class Recorder {
  readonly fills: Fill[] = [];
  readonly orders: Order[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  readonly off: () => void;

  constructor(venue: OrderVenue) {
    const a = venue.onFill((f) => {
      this.fills.push(f);
      this.poke();
    });
    const b = venue.onOrder((o) => {
      this.orders.push(o);
      this.poke();
    });
    this.off = () => {
      a();
      b();
    };
  }

  fillsOf(orderId: string): Fill[] {
    return this.fills.filter((f) => f.order_id === orderId);
  }

  statusesOf(orderId: string): OrderStatus[] {
    return this.orders.filter((o) => o.order_id === orderId).map((o) => o.status);
  }

  /** Resolves once an onOrder event reported `orderId` with `status`. */
  untilOrder(orderId: string, status: OrderStatus): Promise<void> {
    return this.until(() => this.statusesOf(orderId).includes(status), `order ${orderId} ${status}`);
  }

  until(check: () => boolean, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`));
      }, TIMEOUT_MS);
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  private poke(): void {
    const ready = this.waiters.filter((w) => w.check());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}

export function describeVenueConformance(label: string, make: () => Promise<VenueFixture>): void {
  describe(`OrderVenue conformance: ${label}`, () => {
    let fx: VenueFixture;
    let venue: OrderVenue;
    let rec: Recorder;
    let symbol: string;

    beforeEach(async () => {
      fx = await make();
      venue = fx.venue;
      symbol = fx.symbol ?? 'AAPL';
      rec = new Recorder(venue);
      await venue.start();
    });
    afterEach(async () => {
      rec.off();
      await venue.stop();
      await fx.cleanup?.();
    });

    /** Places a market order and makes it fill at p; resolves when the order is reported filled. */
    async function marketFill(side: 'BUY' | 'SELL', quantity: number, p: number): Promise<Order> {
      const order = await venue.placeOrder({ symbol, side, quantity, type: 'MKT' });
      expect(order.status, `placed ${side} ${quantity}`).to.not.equal('rejected');
      await fx.fillAt?.(order, p);
      await rec.untilOrder(order.order_id, 'filled');
      return order;
    }

    it('a market order fills in full, once, with exactly one onFill per execution', async () => {
      const second: Fill[] = [];
      const offSecond = venue.onFill((f) => second.push(f));
      const order = await venue.placeOrder({ symbol, side: 'BUY', quantity: 10, type: 'MKT' });
      expect(order.order_id).to.be.a('string').and.not.equal('');
      expect(order).to.include({ symbol, side: 'BUY', quantity: 10, type: 'MKT' });
      expect(['submitted', 'filled']).to.include(order.status);
      await fx.fillAt?.(order, 101.5);
      await rec.untilOrder(order.order_id, 'filled');

      // Fence: a later order's fill arrives after any duplicate of the first one would have.
      await marketFill('SELL', 10, 101.5);

      const fills = rec.fillsOf(order.order_id);
      expect(fills.length).to.be.greaterThan(0);
      expect(fills.reduce((s, f) => s + f.quantity, 0)).to.equal(10);
      expect(new Set(fills.map((f) => f.execution_id)).size).to.equal(fills.length);
      for (const f of fills) {
        expect(f).to.include({ symbol, side: 'BUY' });
        expect(f.commission).to.be.at.least(0);
        expect(new Date(f.timestamp).toISOString()).to.equal(f.timestamp);
        if (fx.fillAt) expect(f.price).to.equal(101.5);
      }
      expect(second.filter((f) => f.order_id === order.order_id)).to.deep.equal(fills);
      expect(rec.statusesOf(order.order_id).filter((s) => s === 'filled')).to.have.length(1);
      const final = venue.orders().find((o) => o.order_id === order.order_id)!;
      expect(final).to.include({ status: 'filled', filled_quantity: 10 });
      if (fx.fillAt) expect(final.avg_fill_price).to.equal(101.5);
      offSecond();
    });

    it('positions follow fills: signed quantity at average cost', async () => {
      const pos = () => venue.positions().find((p) => p.symbol === symbol);
      await marketFill('BUY', 10, 100);
      await waitUntil(() => pos()?.quantity === 10, 'position 10', TIMEOUT_MS);
      if (fx.fillAt) expect(pos()!.avg_price).to.equal(100);
      await marketFill('BUY', 10, 110);
      await waitUntil(() => pos()?.quantity === 20, 'position 20', TIMEOUT_MS);
      if (fx.fillAt) expect(pos()!.avg_price).to.equal(105);
      await marketFill('SELL', 20, 120);
      await waitUntil(() => (pos()?.quantity ?? 0) === 0, 'flat', TIMEOUT_MS);
      await marketFill('SELL', 5, 90);
      await waitUntil(() => pos()?.quantity === -5, 'short 5', TIMEOUT_MS);
      if (fx.fillAt) expect(pos()!.avg_price).to.equal(90);
    });

    it('cancels a resting order', async () => {
      const order = await venue.placeOrder({ symbol, side: 'BUY', quantity: 1, type: 'LMT', limit_price: 0.01 });
      expect(order.status).to.equal('submitted');
      await venue.cancelOrder(order.order_id);
      await rec.untilOrder(order.order_id, 'cancelled');
      await marketFill('BUY', 1, 50); // fence
      expect(rec.fillsOf(order.order_id)).to.deep.equal([]);
      expect(venue.orders().find((o) => o.order_id === order.order_id)).to.include({ status: 'cancelled', filled_quantity: 0 });
    });

    const bad: { given: string; request: (symbol: string, unknown: string) => Parameters<OrderVenue['placeOrder']>[0] }[] = [
      { given: 'quantity 0', request: (s) => ({ symbol: s, side: 'BUY', quantity: 0, type: 'MKT' }) },
      { given: 'negative quantity', request: (s) => ({ symbol: s, side: 'SELL', quantity: -5, type: 'MKT' }) },
      { given: 'unknown symbol', request: (_s, u) => ({ symbol: u, side: 'BUY', quantity: 1, type: 'MKT' }) },
      { given: 'limit order without a limit price', request: (s) => ({ symbol: s, side: 'BUY', quantity: 1, type: 'LMT' }) },
    ];
    for (const { given, request } of bad) {
      it(`rejects a bad order (${given}) with a reason, as a value, and never fills it`, async () => {
        const order = await venue.placeOrder(request(symbol, fx.unknownSymbol ?? 'NO_SUCH_SYMBOL'));
        expect(order.status).to.equal('rejected');
        expect(order.reason).to.be.a('string').and.not.equal('');
        await marketFill('BUY', 1, 50); // fence
        expect(rec.fillsOf(order.order_id)).to.deep.equal([]);
        await waitUntil(() => venue.positions().find((p) => p.symbol === symbol)?.quantity === 1, 'position 1', TIMEOUT_MS);
      });
    }

    it('a throwing listener never stops the others; unsubscribed listeners hear nothing', async () => {
      const offThrowFill = venue.onFill(() => {
        throw new Error('fill listener broke');
      });
      const offThrowOrder = venue.onOrder(() => {
        throw new Error('order listener broke');
      });
      const removed: unknown[] = [];
      venue.onFill((f) => removed.push(f))();
      venue.onOrder((o) => removed.push(o))();
      const after: Fill[] = [];
      const offAfter = venue.onFill((f) => after.push(f));

      const order = await marketFill('BUY', 3, 42);
      expect(after.map((f) => f.order_id)).to.include(order.order_id);
      expect(rec.fillsOf(order.order_id).reduce((s, f) => s + f.quantity, 0)).to.equal(3);
      expect(removed).to.deep.equal([]);
      offThrowFill();
      offThrowOrder();
      offAfter();
    });
  });
}
