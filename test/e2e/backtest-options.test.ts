import { expect } from 'chai';
import { NYSE_SESSION } from '../../src/market/calendar-nyse.ts';
import { isTradingTime } from '../../src/market/session.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

async function run(server: TestServer, body: Record<string, unknown>): Promise<any> {
  const res = await fetch(server.http('/api/backtesting/start?stream=false'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'cal', timeframes: ['1'], strategy_ids: ['ma_crossover', 'rsi'], ...body }),
  });
  expect(res.status, JSON.stringify(await res.clone().json())).to.equal(202);
  const { backtest_id } = (await res.json()) as { backtest_id: string };
  let described: any;
  await waitUntil(async () => {
    described = await (await fetch(server.http(`/api/backtesting/${backtest_id}`))).json();
    return described.status !== 'queued' && described.status !== 'running';
  }, `run ${backtest_id} to finish`, 20_000);
  return described;
}

/** Every trade of a run, through the paged trades route (the run's result carries only their count and URL). */
async function allTrades(server: TestServer, run: any): Promise<any[]> {
  const trades: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await (await fetch(server.http(`${run.result.trades_url}?limit=5000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`))).json();
    trades.push(...page.trades);
    cursor = page.next_cursor;
  } while (cursor);
  expect(trades.length, 'trades_total').to.equal(run.result.trades_total);
  return trades;
}

describe('e2e: backtests follow the session calendar', function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });

  it('by default a stock trades NYSE sessions only: no candle or trade on New Year\'s Day, a weekend or at night', async () => {
    // 2023-12-29 (Fri) .. 2024-01-03 (Wed): one weekend, New Year's Day; 3 full sessions (Dec 29, Jan 2, Jan 3).
    const r = await run(server, { symbol: 'AAPL', start_date: '2023-12-29', end_date: '2024-01-03' });
    expect(r.status).to.equal('completed');
    expect(r.calendar).to.equal('exchange');
    expect(r.fee_bps).to.equal(1);
    expect(r.result.num_candles).to.equal(3 * 390);
    const trades = await allTrades(server, r);
    expect(trades.length).to.be.greaterThan(0);
    for (const t of trades) {
      expect(isTradingTime(NYSE_SESSION, t.time), new Date(t.time).toISOString()).to.equal(true);
      expect(t.fee).to.be.closeTo(t.price * t.quantity * 1e-4, 1e-6);
    }
    for (const p of r.result.equity_curve) expect(isTradingTime(NYSE_SESSION, p.time), new Date(p.time).toISOString()).to.equal(true);
    expect(r.result.metrics).to.have.property('buy_and_hold_return').that.is.a('number');
    expect(r.result.metrics.excess_return).to.be.closeTo(r.result.metrics.total_return - r.result.metrics.buy_and_hold_return, 1e-12);
  });

  it('crypto trades 24/7 under the exchange calendar; calendar=always gives stocks 24/7 candles too', async () => {
    const btc = await run(server, { symbol: 'BTC-USD', start_date: '2024-01-01', end_date: '2024-01-01' });
    expect(btc.result.num_candles).to.equal(1440);
    expect(btc.fee_bps).to.equal(10);
    const always = await run(server, { symbol: 'AAPL', start_date: '2024-01-01', end_date: '2024-01-01', calendar: 'always' });
    expect(always.result.num_candles).to.equal(1440);
  });

  it('a stock over a holiday only has no data, and says so', async () => {
    const r = await run(server, { symbol: 'AAPL', start_date: '2024-12-25', end_date: '2024-12-25' });
    expect(r.status).to.equal('failed');
    expect(r.error.code).to.equal('NO_DATA');
  });
});

describe('e2e: a refused backtest says when to retry', function () {
  this.timeout(30_000);
  it('429 TOO_MANY_BACKTESTS carries Retry-After in seconds', async () => {
    const server = await startServer({ backtest: { maxConcurrent: 1 } });
    try {
      const body = JSON.stringify({ name: 'cap', symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-02', strategy_ids: ['rsi'] });
      const post = () => fetch(server.http('/api/backtesting/start'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const first = await post(); // stream=true: queued until a client connects or its grace period ends
      expect(first.status).to.equal(202);
      const { backtest_id } = (await first.json()) as { backtest_id: string };
      const second = await post();
      expect(second.status).to.equal(429);
      expect(((await second.json()) as any).error.code).to.equal('TOO_MANY_BACKTESTS');
      expect(second.headers.get('retry-after')).to.match(/^[1-9]\d*$/);
      await waitUntil(async () => (await (await fetch(server.http(`/api/backtesting/${backtest_id}`))).json() as any).status === 'completed', 'the first run to end', 20_000);
    } finally {
      await server.stop();
    }
  });
});
