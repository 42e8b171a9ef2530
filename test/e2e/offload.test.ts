/**
 * Heavy work off the event loop (issue 18 item 2), over real sockets: while 20 chart-history requests (daily bars,
 * each ~100 ms of CPU to generate) and 4 backtests run, a bar subscriber's updates keep their cadence.
 */
import { expect } from 'chai';
import { availableParallelism, loadavg } from 'node:os';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { createComputePool, historyOffload } from '../../src/workers/history-offload.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

describe('e2e: heavy work off the event loop', function () {
  this.timeout(120_000);
  let server: TestServer | undefined;
  const pool = createComputePool({ size: 1 });
  after(async () => {
    await server?.stop();
    await pool.close();
  });

  it('a bar subscriber never goes silent 200 ms while 20 history requests and 4 backtests run', async function () {
    const source = new SimulatedSource({ tickIntervalMs: 20, generate: historyOffload(pool) });
    server = await startServer({ http: { expensiveRatePerMin: 10_000 }, backtest: { startsPerMinute: 1000, maxConcurrent: 4 } }, { source, computePool: pool });
    const sub = await TestClient.open(server.ws('/api/v1/ws'));
    await sub.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL', resolution: '1' } });
    const arrivals: number[] = [];
    sub.ws.on('message', (d) => {
      if ((JSON.parse(d.toString()) as Msg).type === 'bars.update') arrivals.push(performance.now());
    });
    await waitUntil(() => arrivals.length >= 10, 'the subscriber receiving updates', 5000);
    const began = performance.now();
    const symbols = ['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA'];
    // Distinct ranges (symbol x count): the history cache cannot answer them, each is generated.
    const history = Array.from({ length: 20 }, (_, i) =>
      fetch(server!.http(`/dashboard/api/bars?symbol=${symbols[i % 5]}&resolution=D&count=${500 - i}`)).then(async (r) => {
        expect(r.status).to.equal(200);
        return ((await r.json()) as Msg).bars.length as number;
      }));
    const backtests = await Promise.all(Array.from({ length: 4 }, async (_, i) => {
      const res = await fetch(server!.http('/api/backtesting/start?stream=false'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `load${i}`, symbol: symbols[i]!, timeframes: ['1'], start_date: '2024-01-01', end_date: '2024-03-31', strategy_ids: ['rsi', 'ma_crossover'] }),
      });
      expect(res.status).to.equal(202);
      return ((await res.json()) as Msg).backtest_id as string;
    }));
    const counts = await Promise.all(history);
    for (const n of counts) expect(n).to.be.greaterThan(400);
    await waitUntil(async () => {
      const runs = await Promise.all(backtests.map(async (id) => ((await (await fetch(server!.http(`/api/backtesting/${id}`))).json()) as Msg).status));
      return runs.every((s) => s === 'completed');
    }, 'the 4 backtests to complete', 90_000);
    const during = arrivals.filter((t) => t >= began);
    let maxGap = 0;
    for (let i = 1; i < during.length; i++) maxGap = Math.max(maxGap, during[i]! - during[i - 1]!);
    console.log(`      ${during.length} updates over ${((performance.now() - began) / 1000).toFixed(1)} s of load; longest silence ${maxGap.toFixed(0)} ms`);
    expect(during.length).to.be.greaterThan(20);
    // A timing bound means something only on a machine that is not oversubscribed by other processes: there the
    // subscriber must never be silent 200 ms (before the worker threads: 1.1-2 s). On a shared, overloaded machine
    // the figure is printed and the test is marked pending, never passed on a meaningless number.
    const perCore = loadavg()[0]! / availableParallelism();
    if (perCore > 1.5) {
      console.log(`      load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores: the 200 ms bound is not checked`);
      sub.close();
      this.skip();
    }
    expect(maxGap, 'longest silence (ms) of a 20 ms bar stream under load').to.be.lessThan(200);
    sub.close();
  });
});
