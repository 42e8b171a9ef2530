/**
 * Upstream state, orders and fills: logged with their fields (warn when the market source goes down), and the
 * upstream state and error count on /metrics.
 */
import { expect } from 'chai';
import type { SourceHealthListener } from '../../src/market/source.ts';
import { fastSource, startServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

describe('observability: upstream, order and fill events', function () {
  this.timeout(30_000);

  it('the market source going down and up is logged once per change and shown by tickwire_upstream_up; an order and its fill are logged', async () => {
    const sim = fastSource();
    const listeners: SourceHealthListener[] = [];
    // The simulated source never fails: this one lets the test report what an IB connection would.
    const source = new Proxy(sim, {
      get(target, prop) {
        if (prop === 'onHealth') {
          return (l: SourceHealthListener) => {
            listeners.push(l);
            return () => listeners.splice(listeners.indexOf(l), 1);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const server = await startServer({}, { source });
    const metric = async (re: RegExp) => {
      const text = await (await fetch(server.http('/metrics'))).text();
      return Number(re.exec(text)?.[1] ?? NaN);
    };
    try {
      expect(await metric(/^tickwire_upstream_up\{source="simulated"\} (\S+)$/m)).to.equal(1);
      const emit = (e: Parameters<SourceHealthListener>[0]) => { for (const l of [...listeners]) l(e); };
      emit({ ok: false, code: 502, message: "Couldn't connect to TWS" });
      emit({ ok: false, code: 502, message: "Couldn't connect to TWS" });
      expect(await metric(/^tickwire_upstream_up\{source="simulated"\} (\S+)$/m)).to.equal(0);
      expect(await metric(/^tickwire_upstream_errors_total\{source="simulated"\} (\S+)$/m)).to.equal(2);
      emit({ ok: true, message: 'connected', recovered: true });
      expect(await metric(/^tickwire_upstream_up\{source="simulated"\} (\S+)$/m)).to.equal(1);
      expect(server.logs.filter((l) => l.startsWith('upstream simulated: down'))).to.have.length(1);
      expect(server.logs.find((l) => l.startsWith('upstream simulated: down'))).to.contain('state=down').and.contain('code=502');
      expect(server.logs.filter((l) => l.startsWith('upstream simulated: up'))).to.have.length(1);

      const order = await server.app.venue!.placeOrder({ symbol: 'AAPL', side: 'BUY', quantity: 3, type: 'MKT' });
      await waitUntil(() => server.logs.some((l) => l.startsWith('fill: BUY 3 AAPL @')), () => `a fill line; logs: ${server.logs.slice(-10).join('\n')}`, 10_000);
      expect(server.logs.find((l) => l.startsWith('order submitted: BUY 3 AAPL'))).to.contain(`order_id=${order.order_id}`);
      expect(server.logs.find((l) => l.startsWith('fill: BUY 3 AAPL'))).to.contain(`order_id=${order.order_id}`).and.match(/price=[\d.]+/);
      await waitUntil(() => server.logs.some((l) => l.startsWith('order filled: BUY 3 AAPL')), 'the filled order line', 5000);
    } finally {
      await server.stop();
    }
  });
});
