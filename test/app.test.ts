import { expect } from 'chai';
import { SimulatedSource, type IntervalTimers } from '../src/market/source-simulated.ts';
import type { Fill } from '../src/trading/venue.ts';
import { startServer } from './support/server.ts';
import { waitForItem } from './support/wait.ts';

/** No live timer: the test moves the simulated market one tick at a time with step(). */
const MANUAL: IntervalTimers = { setInterval: () => 0, clearInterval: () => undefined };

describe('buildApp wiring (src/app.ts)', () => {
  it("a resting limit order on the app's paper venue fills when the simulated price crosses its limit", async () => {
    // One tick stands for a market minute, so the walk moves a few cents per step.
    const source = new SimulatedSource({ symbols: ['AAPL'], timers: MANUAL, tickMarketMs: 60_000 });
    const server = await startServer({ trading: { autoTrade: false } }, { source });
    try {
      const venue = server.app.venue!;
      expect(venue.name).to.equal('paper');
      const fills: Fill[] = [];
      venue.onFill((f) => fills.push(f));
      source.step();
      const start = source.quote('AAPL')!.price;
      // A band around the price: neither order is marketable when placed; whichever limit the walk reaches first fills.
      const buyLimit = Math.round((start - 0.25) * 100) / 100;
      const sellLimit = Math.round((start + 0.25) * 100) / 100;
      const buy = await venue.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 2, type: 'LMT', limit_price: buyLimit });
      const sell = await venue.placeOrder({ symbol: 'AAPL', side: 'SELL', quantity: 2, type: 'LMT', limit_price: sellLimit });
      // The venue checks a new order against the current quote on its next turn (setImmediate, queued before ours):
      // let that turn pass, so any later fill can only come from a quote the app fed the venue.
      await new Promise((resolve) => setImmediate(resolve));
      expect(fills).to.deep.equal([]);
      expect(venue.orders().map((o) => o.status)).to.deep.equal(['submitted', 'submitted']);

      let price = start;
      for (let i = 0; i < 10_000 && price > buyLimit && price < sellLimit; i++) {
        source.step();
        price = source.quote('AAPL')!.price;
        if (price > buyLimit && price < sellLimit) expect(fills, `no fill while ${price} is inside (${buyLimit}, ${sellLimit})`).to.deep.equal([]);
      }
      expect(price <= buyLimit || price >= sellLimit, `the walk left (${buyLimit}, ${sellLimit})`).to.equal(true);

      const [crossed, untouched] = price <= buyLimit ? [buy, sell] : [sell, buy];
      const fill = await waitForItem(fills, (f) => f.order_id === crossed.order_id, 3000);
      expect(fill).to.include({ symbol: 'AAPL', side: crossed.side, quantity: 2 });
      if (crossed.side === 'BUY') expect(fill.price).to.be.at.most(buyLimit);
      else expect(fill.price).to.be.at.least(sellLimit);
      const orders = new Map(venue.orders().map((o) => [o.order_id, o.status]));
      expect(orders.get(crossed.order_id)).to.equal('filled');
      expect(orders.get(untouched.order_id)).to.equal('submitted');
    } finally {
      await server.stop();
    }
  });
});
