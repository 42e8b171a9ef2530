import { expect } from 'chai';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { createComputePool, historyOffload } from '../../src/workers/history-offload.ts';

describe('workers/history-offload', function () {
  this.timeout(60_000);
  it('history generated on a worker thread equals the in-thread bars; the pool bounds its queue', async () => {
    const pool = createComputePool({ size: 1, maxQueued: 2 });
    try {
      const offloaded = new SimulatedSource({ generate: historyOffload(pool), historyCacheBars: 0 });
      const local = new SimulatedSource({ historyCacheBars: 0 });
      const from = Date.UTC(2024, 0, 2);
      const to = Date.UTC(2024, 0, 20);
      expect(await offloaded.history('AAPL', '1', from, to)).to.deep.equal(await local.history('AAPL', '1', from, to));
      expect(await offloaded.history('MSFT', 'D', from, Date.UTC(2024, 5, 1))).to.deep.equal(await local.history('MSFT', 'D', from, Date.UTC(2024, 5, 1)));
      // One running + two waiting: the fourth is refused at once.
      const runs = [0, 1, 2].map((i) => pool.run({ kind: 'history', params: { seed: i, startPrice: 100, volatility: 0.3, baseVolume: 1000, session: { timeZone: 'UTC', open: '00:00', close: '24:00', days: [0, 1, 2, 3, 4, 5, 6] } }, resolution: 'D', from, to }));
      const refused = await pool.run({ kind: 'history' }).then(() => 'ran', (err: { code?: string }) => err.code);
      expect(refused).to.equal('POOL_FULL');
      await Promise.all(runs);
    } finally {
      await pool.close();
    }
  });

  it('the history cache shares one generation between concurrent identical requests', async () => {
    let generated = 0;
    const source = new SimulatedSource({
      generate: async (...args) => {
        generated++;
        return new SimulatedSource({ historyCacheBars: 0 }).history('AAPL', args[1], args[2], args[3]);
      },
    });
    const from = Date.UTC(2024, 0, 2);
    const to = Date.UTC(2024, 2, 1);
    const all = await Promise.all(Array.from({ length: 20 }, () => source.history('AAPL', '60', from, to)));
    expect(generated).to.equal(1);
    for (const bars of all) expect(bars).to.deep.equal(all[0]);
    all[0]!.pop(); // each caller owns its array
    expect((await source.history('AAPL', '60', from, to)).length).to.equal(all[1]!.length);
    expect(generated).to.equal(1);
  });
});

describe('backtests on the worker pool', function () {
  this.timeout(60_000);
  it('a backtest run on a worker gives the same events and result as in this thread', async () => {
    const { BacktestService } = await import('../../src/backtest/service.ts');
    const { backtestOffload } = await import('../../src/workers/history-offload.ts');
    const pool = createComputePool({ size: 1 });
    try {
      const source = new SimulatedSource();
      const run = async (offload: boolean) => {
        const published: unknown[] = [];
        const service = new BacktestService({
          source,
          hub: { publish: async (_topic: string, message: object) => { published.push({ ...(message as Record<string, unknown>), timestamp: undefined }); return undefined; } },
          maxConcurrent: 1, retentionMs: 60_000, progressInterval: 500,
          offload: offload ? backtestOffload(pool, (s, c) => source.historyParams(s, c)) : undefined,
        });
        service.start({ update: () => undefined, error: (err) => { throw err; } });
        const out = service.startRun({ name: 'w', symbol: 'TSLA', timeframes: ['5'], start_date: '2024-01-02', end_date: '2024-04-30', strategy_ids: ['rsi', 'ma_crossover'] }, { streaming: false });
        if (!out.ok) throw new Error(JSON.stringify(out.error));
        await new Promise<void>((resolve) => { const t = setInterval(() => { if (out.run.status === 'completed' || out.run.status === 'failed') { clearInterval(t); resolve(); } }, 20); });
        const r = { status: out.run.status, error: out.run.error, metrics: out.run.result?.metrics, trades: out.run.trades, curve: out.run.result?.equity_curve, events: published.filter((m) => (m as { type: string }).type !== 'complete') };
        await service.stop();
        return r;
      };
      const here = await run(false);
      const there = await run(true);
      expect(here.status).to.equal('completed');
      if (there.error) throw new Error(`worker run: ${JSON.stringify(there.error)}`);
      expect(there).to.deep.equal(here);
      expect(here.trades!.length).to.be.greaterThan(10);
    } finally {
      await pool.close();
    }
  });
});
