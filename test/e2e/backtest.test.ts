import { seedView } from '../support/positions.ts';
import { expect } from 'chai';
import { runBacktest } from '../../src/backtest/engine.ts';
import { createStrategies } from '../../src/trading/strategies.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

const ID = /^bt_\d{8}_\d{6}_[0-9a-f]{6}$/;
// 24/7 bars and no fees, so one day is 1440 candles and expectedRun (no fees) matches; the exchange calendar and
// the default fees are covered by test/e2e/backtest-options.test.ts.
const DAY = { symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-02', calendar: 'always', fee_bps: 0 };

async function post(server: TestServer, body: unknown, query = ''): Promise<{ status: number; json: any }> {
  const res = await fetch(server.http(`/api/backtesting/start${query}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

async function getRun(server: TestServer, id: string): Promise<{ status: number; json: any }> {
  const res = await fetch(server.http(`/api/backtesting/${id}`));
  return { status: res.status, json: await res.json() };
}

/** The engine run the service should have made, recomputed here from the same bars. */
async function expectedRun(server: TestServer, symbol: string, strategyId: string, from: number, to: number, progressInterval: number) {
  const bars = await server.app.source!.history(symbol, '1', from, to);
  const made = createStrategies([strategyId]);
  if (!made.ok) throw new Error(made.message);
  const result = await runBacktest(bars, { symbol, strategy: made.strategies[0]!, initialCapital: 100_000, progressInterval, barsPerYear: 1 });
  return { candles: bars.length, trades: result.trades.length, roundTrips: result.metrics.num_trades, finalEquity: result.metrics.final_equity };
}

const types = (ms: Msg[]) => ms.map((m) => m.type);

describe('e2e: backtesting REST + /api/ws/stream/backtest/{id}', function () {
  this.timeout(30_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  const open = async (url: string) => {
    const c = await TestClient.open(url);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startServer();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await server.stop(); // fails on any outbound message that broke the contract
  });

  describe('POST /api/backtesting/start', () => {
    it('answers 202 {backtest_id, streaming, stream_url} with the Host header in stream_url', async () => {
      const { status, json } = await post(server, { name: 'rest', ...DAY, strategy_ids: ['rsi'] }, '?stream=false');
      expect(status).to.equal(202);
      expect(Object.keys(json).sort()).to.deep.equal(['backtest_id', 'stream_url', 'streaming']);
      expect(json.backtest_id).to.match(ID);
      expect(json.streaming).to.equal(false);
      expect(json.stream_url).to.equal(`ws://127.0.0.1:${server.port}/api/ws/stream/backtest/${json.backtest_id}`);
      let run: any;
      await waitForRun(server, json.backtest_id, (r) => (run = r).status === 'completed');
      expect(run).to.include({ backtest_id: json.backtest_id, name: 'rest', symbol: 'AAPL', resolution: '1', streaming: false });
      expect(run.result.status).to.equal('completed');
      expect(Object.keys(run.result.metrics).sort()).to.deep.equal(['buy_and_hold_return', 'excess_return', 'final_equity', 'max_drawdown', 'num_trades', 'profit_factor', 'sharpe_ratio', 'total_fees', 'total_return', 'win_rate']);
      expect(run.result.num_candles).to.equal(1440);
      expect(run.progress).to.include({ processed: 1440, total: 1440, pct: 100 });
    });

    it('stream defaults to true; seed-003 timeframes ["4H", "1H"] run on the finest (60)', async () => {
      const { status, json } = await post(server, { name: 'seed', symbol: 'BTC-USD', timeframes: ['4H', '1H'], start_date: '2024-01-01', end_date: '2024-01-31', strategy_ids: ['ma_crossover'] });
      expect(status).to.equal(202);
      expect(json.streaming).to.equal(true);
      const c = await open(json.stream_url);
      await c.next((m) => m.type === 'complete', { what: 'complete' });
      const { json: run } = await getRun(server, json.backtest_id);
      expect(run.resolution).to.equal('60');
      expect(run.result.num_candles).to.equal(31 * 24);
    });

    const bad: { name: string; body: Record<string, unknown>; field: string; query?: string }[] = [
      { name: 'unknown field', body: { extra: 1 }, field: 'extra' },
      { name: 'missing name', body: { name: undefined }, field: 'name' },
      { name: 'empty name', body: { name: '  ' }, field: 'name' },
      { name: 'malformed symbol', body: { symbol: 'aapl' }, field: 'symbol' },
      { name: 'unknown symbol', body: { symbol: 'ZZZZ' }, field: 'symbol' },
      { name: 'timeframes not a list', body: { timeframes: '1' }, field: 'timeframes' },
      { name: 'empty timeframes', body: { timeframes: [] }, field: 'timeframes' },
      { name: 'unknown timeframe', body: { timeframes: ['1', '2H'] }, field: 'timeframes[1]' },
      { name: '4H alone', body: { timeframes: ['4H'] }, field: 'timeframes' },
      { name: 'bad start_date', body: { start_date: '2024-13-01' }, field: 'start_date' },
      { name: 'start_date not a day', body: { start_date: '2024-02-30' }, field: 'start_date' },
      { name: 'bad end_date', body: { end_date: 'yesterday' }, field: 'end_date' },
      { name: 'end before start', body: { start_date: '2024-01-05', end_date: '2024-01-04' }, field: 'end_date' },
      { name: 'start in the future', body: { start_date: '2999-01-01', end_date: '2999-01-02' }, field: 'start_date' },
      { name: 'range too long (401 days at 1 minute)', body: { start_date: '2023-01-01', end_date: '2024-02-05' }, field: 'end_date' },
      { name: 'strategy_ids missing', body: { strategy_ids: undefined }, field: 'strategy_ids' },
      { name: 'unknown strategy', body: { strategy_ids: ['rsi', 'macd'] }, field: 'strategy_ids[1]' },
      { name: 'duplicate strategy', body: { strategy_ids: ['rsi', 'rsi'] }, field: 'strategy_ids[1]' },
      { name: 'initial_capital <= 0', body: { initial_capital: 0 }, field: 'initial_capital' },
      { name: 'fee_bps negative', body: { fee_bps: -1 }, field: 'fee_bps' },
      { name: 'slippage_bps not a number', body: { slippage_bps: '5' }, field: 'slippage_bps' },
      { name: 'progress_interval not an integer', body: { progress_interval: 1.5 }, field: 'progress_interval' },
      { name: 'bad stream flag', body: {}, field: 'stream', query: '?stream=maybe' },
    ];
    for (const c of bad) {
      it(`400 names the field: ${c.name}`, async () => {
        const body = { name: 'bad', ...DAY, strategy_ids: ['rsi'], ...c.body };
        const { status, json } = await post(server, body, c.query);
        expect(status).to.equal(400);
        expect(json.error.code).to.equal(c.query ? 'INVALID_QUERY' : 'INVALID_BODY');
        expect(json.error.field).to.equal(c.field);
        expect(json.error.message).to.be.a('string').and.not.equal('');
      });
    }

    it('400 for a body that is not a JSON object, and INVALID_JSON for broken JSON', async () => {
      const arr = await post(server, [1, 2]);
      expect(arr.status).to.equal(400);
      expect(arr.json.error).to.include({ code: 'INVALID_BODY', field: '' });
      const res = await fetch(server.http('/api/backtesting/start'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
      expect(res.status).to.equal(400);
      expect((await res.json()).error.code).to.equal('INVALID_JSON');
    });

    it('GET of an unknown id is 404 UNKNOWN_BACKTEST', async () => {
      const { status, json } = await getRun(server, 'bt_20240101_000000_000000');
      expect(status).to.equal(404);
      expect(json.error.code).to.equal('UNKNOWN_BACKTEST');
    });
  });

  describe('stream', () => {
    it('a full run: connected → progress… → complete, counts matching the engine', async () => {
      const interval = 50;
      const { json } = await post(server, { name: 'full', ...DAY, strategy_ids: ['ma_crossover'], progress_interval: interval });
      const c = await open(json.stream_url);
      const complete = await c.next((m) => m.type === 'complete', { what: 'complete' });
      const ms = c.messages;
      const want = await expectedRun(server, 'AAPL', 'ma_crossover', Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3), interval);
      expect(want.candles).to.equal(1440);

      expect(ms[0]).to.deep.include({ type: 'connected' });
      expect(ms[0]!.data).to.include({ stream: 'backtest', backtest_id: json.backtest_id });
      expect(ms.at(-1)).to.equal(complete);
      expect(types(ms).filter((t) => t === 'connected' || t === 'complete')).to.deep.equal(['connected', 'complete']);
      const progress = ms.filter((m) => m.type === 'progress');
      expect(progress.length).to.equal(Math.ceil(want.candles / interval));
      expect(progress.map((p) => p.data.processed)).to.deep.equal(progress.map((_, i) => Math.min(want.candles, (i + 1) * interval)));
      expect(ms.filter((m) => m.type === 'equity').length).to.equal(Math.ceil(want.candles / interval));
      expect(ms.filter((m) => m.type === 'metrics').length).to.equal(Math.ceil(want.candles / (10 * interval)));
      const trades = ms.filter((m) => m.type === 'trade');
      expect(trades.length).to.equal(want.trades);
      expect(trades.filter((t) => t.data.action === 'exit').length).to.equal(want.roundTrips);
      expect(complete.data).to.include({ backtest_id: json.backtest_id, status: 'completed', num_candles: want.candles });
      expect(complete.data.metrics.final_equity).to.be.closeTo(want.finalEquity, 1e-6);
      expect(complete.data.metrics.num_trades).to.equal(want.roundTrips);
    });

    it('late join (after complete): connected, latest progress, metrics, complete — and nothing else', async () => {
      const { json } = await post(server, { name: 'late', ...DAY, strategy_ids: ['rsi'] }, '?stream=false');
      await waitForRun(server, json.backtest_id, (r) => r.status === 'completed');
      const c = await open(json.stream_url);
      await c.next((m) => m.type === 'complete');
      c.send({ type: 'ping' });
      await c.next((m) => m.type === 'pong'); // everything sent before the pong has arrived
      expect(types(c.messages)).to.deep.equal(['connected', 'progress', 'metrics', 'complete', 'pong']);
      expect(c.messages[0]!.data.status).to.equal('completed');
      expect(c.messages[1]!.data).to.include({ processed: 1440, total: 1440, pct: 100 });
      expect(c.messages[2]!.data).to.deep.equal(c.messages[3]!.data.metrics);
    });

    it('two concurrent runs do not mix', async () => {
      const a = await post(server, { name: 'a', ...DAY, symbol: 'AAPL', strategy_ids: ['ma_crossover'], progress_interval: 100 });
      const b = await post(server, { name: 'b', ...DAY, symbol: 'MSFT', strategy_ids: ['rsi'], progress_interval: 30 });
      const [ca, cb] = await Promise.all([open(a.json.stream_url), open(b.json.stream_url)]);
      await Promise.all([ca.next((m) => m.type === 'complete'), cb.next((m) => m.type === 'complete')]);
      const from = Date.UTC(2024, 0, 2);
      const to = Date.UTC(2024, 0, 3);
      const [wa, wb] = await Promise.all([expectedRun(server, 'AAPL', 'ma_crossover', from, to, 100), expectedRun(server, 'MSFT', 'rsi', from, to, 30)]);
      for (const [c, id, symbol, strategy, interval, want] of [[ca, a.json.backtest_id, 'AAPL', 'ma_crossover', 100, wa], [cb, b.json.backtest_id, 'MSFT', 'rsi', 30, wb]] as const) {
        expect(c.messages[0]!.data.backtest_id).to.equal(id);
        expect(c.messages.at(-1)!.data.backtest_id).to.equal(id);
        const trades = c.messages.filter((m) => m.type === 'trade');
        expect(trades.length).to.equal(want.trades);
        for (const t of trades) expect(t.data).to.include({ symbol, strategy_id: strategy });
        expect(c.count((m) => m.type === 'progress')).to.equal(Math.ceil(1440 / interval));
        expect(c.count((m) => m.type === 'complete')).to.equal(1);
      }
    });

    it('several clients watch one run and see the same events', async () => {
      const { json } = await post(server, { name: 'shared', ...DAY, strategy_ids: ['rsi'] });
      const [c1, c2] = await Promise.all([open(json.stream_url), open(json.stream_url)]);
      await Promise.all([c1.next((m) => m.type === 'complete'), c2.next((m) => m.type === 'complete')]);
      // The second client may have joined after the first events: it then got up to two snapshot messages
      // (latest progress, metrics), and what it saw live must be exactly the tail of what the first one saw.
      // Compared without `seq`/`topic`: the snapshot messages are the same events sent directly (no position).
      const strip = (ms: Msg[]) => ms.filter((m) => m.type !== 'connected').map((m) => JSON.stringify(seedView(m)));
      const s1 = strip(c1.messages);
      const s2 = strip(c2.messages);
      const isTail = (j: number) => s2.length - j >= 1 && JSON.stringify(s1.slice(s1.length - (s2.length - j))) === JSON.stringify(s2.slice(j));
      expect([0, 1, 2].some(isTail), 'second client\'s live events are the tail of the first\'s').to.equal(true);
      expect(JSON.parse(s2.at(-1)!).type).to.equal('complete');
    });

    it('ping is answered with pong', async () => {
      const { json } = await post(server, { name: 'ping', ...DAY, strategy_ids: ['rsi'] }, '?stream=false');
      const c = await open(json.stream_url);
      c.send({ type: 'ping' });
      const pong = await c.next((m) => m.type === 'pong');
      expect(pong.data).to.deep.equal({});
    });

    it('an unknown id gets error UNKNOWN_BACKTEST, then close 4500', async () => {
      const c = await open(server.ws('/api/ws/stream/backtest/bt_20200101_000000_abcdef'));
      const closed = await c.closed();
      expect(closed.code).to.equal(4500);
      expect(types(c.messages)).to.deep.equal(['error']);
      expect(c.messages[0]!.data.code).to.equal('UNKNOWN_BACKTEST');
    });

    it('a malformed id gets an error and close 4501', async () => {
      const c = await open(server.ws('/api/ws/stream/backtest/bad%20id!'));
      const closed = await c.closed();
      expect(closed.code).to.equal(4501);
      expect(types(c.messages)).to.deep.equal(['error']);
    });
  });
});

describe('e2e: backtest concurrency cap', function () {
  this.timeout(15_000);
  it('more than maxConcurrent queued/running runs → 429 TOO_MANY_BACKTESTS', async () => {
    const server = await startServer({ backtest: { maxConcurrent: 1 } });
    try {
      const body = { name: 'cap', ...DAY, strategy_ids: ['rsi'] };
      const first = await post(server, body); // stream=true: queued until a client connects
      expect(first.status).to.equal(202);
      const second = await post(server, body);
      expect(second.status).to.equal(429);
      expect(second.json.error.code).to.equal('TOO_MANY_BACKTESTS');
      const c = await TestClient.open(first.json.stream_url);
      await c.next((m) => m.type === 'complete');
      c.close();
      expect((await post(server, body, '?stream=false')).status).to.equal(202);
    } finally {
      await server.stop();
    }
  });
});

async function waitForRun(server: TestServer, id: string, cond: (run: any) => boolean, timeoutMs = 10_000): Promise<void> {
  let last: unknown;
  await waitUntil(async () => cond(last = (await getRun(server, id)).json), () => `run ${id} to reach the condition; last: ${JSON.stringify(last).slice(0, 300)}`, timeoutMs);
}
