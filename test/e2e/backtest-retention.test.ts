/**
 * Bounded backtests (issue 18 item 1), over real HTTP and WebSockets: finished runs stay within their byte budget
 * (heap measured after GC) and count cap, the oldest evicted first and logged; starts per caller per minute; the
 * summary result; trades paginated; the caller's runs listed (only their own with AUTH=jwt); cancel.
 */
import { expect } from 'chai';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { TestClient, type Msg } from '../support/client.ts';
import { fastSource, startServer, type ConfigPatch, type TestServer } from '../support/server.ts';
import { hsToken, SECRET, AUDIENCE, ISSUER } from '../support/tokens.ts';
import { waitUntil } from '../support/wait.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;
const body = (over: Record<string, unknown> = {}) => ({ name: 'ret', symbol: 'AAPL', timeframes: ['D'], start_date: '2024-01-02', end_date: '2024-03-01', strategy_ids: ['rsi'], ...over });

async function start(server: TestServer, b: object, token?: string, query = '?stream=false'): Promise<{ status: number; json: Msg; headers: Headers }> {
  const res = await fetch(server.http(`/api/backtesting/start${query}`), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(b),
  });
  return { status: res.status, json: (await res.json()) as Msg, headers: res.headers };
}

async function get(server: TestServer, path: string, token?: string): Promise<{ status: number; json: Msg }> {
  const res = await fetch(server.http(path), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, json: (await res.json()) as Msg };
}

async function finished(server: TestServer, id: string, token?: string): Promise<Msg> {
  let last: Msg = {};
  await waitUntil(async () => ['completed', 'failed', 'cancelled'].includes((last = (await get(server, `/api/backtesting/${id}`, token)).json).status), () => `run ${id} to end; last ${JSON.stringify(last).slice(0, 200)}`, 20_000);
  return last;
}

describe('e2e: bounded backtest retention, pagination, list and cancel', function () {
  this.timeout(120_000);
  let server: TestServer | undefined;
  const clients: TestClient[] = [];
  const open = async (patch: ConfigPatch, options = {}) => (server = await startServer(patch, { backtestHistoryGraceMs: 0, ...options }));
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.stop();
    server = undefined;
  });

  it('runs started in a loop: retained runs stay within the byte budget (heap after GC), oldest evicted first and logged', async () => {
    // One run: 8 months of 1-minute candles, ~2,500 trades (~0.7 MB estimated). Unbounded, 12 runs keep ~8+ MB.
    const budgetMb = Number(process.env.RETENTION_TEST_BUDGET_MB ?? 2);
    const s = await open({ backtest: { maxRetainedBytes: budgetMb * MB, maxRetained: 1000, startsPerMinute: 1000, progressInterval: 1000 } });
    const run = body({ timeframes: ['1'], start_date: '2023-07-03', end_date: '2024-02-20', strategy_ids: ['rsi'], calendar: 'always' }); // 24/7 bars: the trade count the budget is sized for
    // Warm up (code paths, caches) before the baseline.
    await finished(s, (await start(s, run)).json.backtest_id);
    await finished(s, (await start(s, run)).json.backtest_id);
    const baseline = heapAfterGc();
    const ids: string[] = [];
    let tradesPerRun = 0;
    for (let i = 0; i < 12; i++) {
      const out = await start(s, run);
      expect(out.status).to.equal(202);
      ids.push(out.json.backtest_id);
      const done = await finished(s, out.json.backtest_id);
      tradesPerRun = done.result.trades_total;
    }
    const grown = heapAfterGc() - baseline;
    console.log(`      heap growth after 12 runs: ${(grown / MB).toFixed(1)} MB (budget ${budgetMb} MB)`);
    expect(tradesPerRun, 'trades per run').to.be.greaterThan(2000);
    // Without a bound: 12 runs x ~0.7 MB. With it: the budget, plus noise (the simulated market keeps running).
    expect(grown / MB, `heap growth (MB) after 12 runs of ~${tradesPerRun} trades`).to.be.lessThan(budgetMb + 2);
    // Oldest evicted first: the latest runs are there, the earliest are gone, and each eviction was logged.
    expect((await get(s, `/api/backtesting/${ids[ids.length - 1]}`)).status).to.equal(200);
    expect((await get(s, `/api/backtesting/${ids[0]}`)).status).to.equal(404);
    const evicted = s.logs.filter((l) => / evicted \(/.test(l));
    expect(evicted.length).to.be.greaterThan(5);
    const order = evicted.map((l) => /backtest (bt_\S+) evicted/.exec(l)![1]);
    // Each run finished before the next started: evictions follow that order.
    const evictedOfLoop = order.filter((id) => ids.includes(id));
    expect(evictedOfLoop).to.deep.equal(ids.filter((id) => evictedOfLoop.includes(id)));
    expect(evictedOfLoop).to.deep.equal(ids.slice(0, evictedOfLoop.length));
  });

  it('count cap: the oldest finished run goes first; a GET after eviction is 404', async () => {
    const s = await open({ backtest: { maxRetained: 2, startsPerMinute: 1000 } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const out = await start(s, body({ name: `n${i}` }));
      ids.push(out.json.backtest_id);
      await finished(s, out.json.backtest_id);
    }
    expect((await get(s, `/api/backtesting/${ids[0]}`)).status).to.equal(404);
    expect((await get(s, `/api/backtesting/${ids[1]}`)).status).to.equal(200);
    expect((await get(s, `/api/backtesting/${ids[2]}`)).status).to.equal(200);
    expect(s.logs.filter((l) => l.includes('evicted'))).to.have.length(1);
    expect(s.logs.find((l) => l.includes('evicted'))).to.contain(ids[0]).and.contain('more than 2 finished runs');
  });

  it('starts per caller per minute: over it, 429 RATE_LIMITED with Retry-After', async () => {
    const s = await open({ backtest: { startsPerMinute: 2 } });
    expect((await start(s, body())).status).to.equal(202);
    expect((await start(s, body())).status).to.equal(202);
    const third = await start(s, body());
    expect(third.status).to.equal(429);
    expect(third.json.error.code).to.equal('RATE_LIMITED');
    expect(Number(third.headers.get('retry-after'))).to.be.within(1, 60);
  });

  it('the result is a summary; trades are paged with a cursor and match the streamed trades exactly', async () => {
    const s = await open({ backtest: { startsPerMinute: 1000 }, http: { expensiveRatePerMin: 100_000 } });
    const out = await start(s, body({ timeframes: ['60'], start_date: '2023-06-01', end_date: '2024-03-01', strategy_ids: ['rsi', 'ma_crossover'] }), undefined, '?stream=true');
    const follower = await TestClient.open(out.json.stream_url);
    clients.push(follower);
    await follower.next((m) => m.type === 'complete', { timeoutMs: 20_000 });
    const streamed = follower.messages.filter((m) => m.type === 'trade').map((m) => m.data);
    expect(streamed.length).to.be.greaterThan(20);
    const run = (await get(s, `/api/backtesting/${out.json.backtest_id}`)).json;
    expect(run.result).to.not.have.property('trades');
    expect(run.result.trades_total).to.equal(streamed.length);
    expect(run.result.trades_url).to.equal(`/api/backtesting/${out.json.backtest_id}/trades`);
    const paged: Msg[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Msg = (await get(s, `${run.result.trades_url}?limit=7${cursor ? `&cursor=${cursor}` : ''}`)).json;
      expect(page.trades.length).to.be.at.most(7);
      paged.push(...page.trades);
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 1000);
    expect(pages).to.equal(Math.ceil(streamed.length / 7));
    expect(paged).to.deep.equal(streamed);
    expect((await get(s, `${run.result.trades_url}`)).json.trades).to.have.length(streamed.length); // default 1000
    expect((await get(s, `${run.result.trades_url}?limit=0`)).status).to.equal(400);
    expect((await get(s, `${run.result.trades_url}?limit=5001`)).json.error.field).to.equal('limit');
    expect((await get(s, `${run.result.trades_url}?cursor=garbage!`)).json.error).to.include({ code: 'INVALID_QUERY', field: 'cursor' });
    expect((await get(s, '/api/backtesting/bt_20240101_000000_abcdef/trades')).status).to.equal(404);
  });

  it('GET /api/backtesting pages the runs newest first; bad limit or cursor is 400', async () => {
    const s = await open({ backtest: { startsPerMinute: 1000, maxConcurrent: 8 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await start(s, body({ name: `l${i}` }), undefined, '?stream=true')).json.backtest_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Msg = (await get(s, `/api/backtesting?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json;
      seen.push(...page.runs.map((r: Msg) => r.backtest_id));
      for (const r of page.runs) expect(r).to.include.keys('backtest_id', 'status', 'name', 'created_at').and.not.have.property('result');
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).to.equal(3);
    // Newest first (created in this order; same-millisecond ties are broken by id, consistently).
    expect([...seen].sort()).to.deep.equal([...ids].sort());
    expect(new Set(seen).size).to.equal(5);
    const first = (await get(s, '/api/backtesting')).json;
    expect(first.runs.map((r: Msg) => r.backtest_id)).to.deep.equal(seen);
    expect(first.next_cursor).to.equal(null);
    expect((await get(s, '/api/backtesting?limit=101')).status).to.equal(400);
    expect((await get(s, '/api/backtesting?cursor=%%%')).status).to.equal(400);
  });

  it('cancel: a running run ends cancelled (followers get BACKTEST_FAILED), then 409; unknown 404 NOT_FOUND', async () => {
    const source = fastSource();
    const history = source.history.bind(source);
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    source.history = async (...args: Parameters<typeof history>) => {
      if (args[2] === Date.UTC(2024, 0, 2)) await gate; // the run's load waits: the run is running when cancelled
      return history(...args);
    };
    const s = await open({ backtest: { startsPerMinute: 1000 } }, { source });
    const out = await start(s, body(), undefined, '?stream=true');
    const follower = await TestClient.open(out.json.stream_url);
    clients.push(follower);
    await waitUntil(async () => (await get(s, `/api/backtesting/${out.json.backtest_id}`)).json.status === 'running', 'run running', 10_000);
    const cancel = (id: string) => fetch(s.http(`/api/backtesting/${id}/cancel`), { method: 'POST' });
    const res = await cancel(out.json.backtest_id);
    expect(res.status).to.equal(200);
    const summary = (await res.json()) as Msg;
    expect(summary).to.include({ backtest_id: out.json.backtest_id, status: 'cancelled' });
    const terminal = await follower.next((m) => m.type === 'error');
    expect(terminal.data.code).to.equal('BACKTEST_FAILED');
    expect(terminal.data.message).to.contain('cancelled by the caller');
    release();
    const again = await cancel(out.json.backtest_id);
    expect(again.status).to.equal(409);
    expect(((await again.json()) as Msg).error.code).to.equal('BACKTEST_NOT_RUNNING');
    const unknown = await cancel('bt_20240101_000000_abcdef');
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as Msg).error.code).to.equal('NOT_FOUND');
    expect((await get(s, `/api/backtesting/${out.json.backtest_id}`)).json.status).to.equal('cancelled');
  });

  it('AUTH=jwt: each user lists and cancels only their own runs; starts are counted per user', async () => {
    const s = await open({
      auth: { mode: 'jwt', secret: SECRET, jwksUrl: undefined, audience: AUDIENCE, issuer: ISSUER, anonymousMarketData: false, privateSignals: false, expiryWarningMs: 60_000 },
      backtest: { startsPerMinute: 2 },
    });
    const alice = await hsToken({ sub: 'alice' });
    const bob = await hsToken({ sub: 'bob' });
    const a1 = (await start(s, body(), alice, '?stream=true')).json.backtest_id;
    const a2 = (await start(s, body(), alice, '?stream=true')).json.backtest_id;
    expect((await start(s, body(), alice)).status).to.equal(429); // alice's third this minute
    const b1 = (await start(s, body(), bob, '?stream=true')).json.backtest_id; // bob has his own count
    expect(b1).to.be.a('string');
    expect((await get(s, '/api/backtesting', alice)).json.runs.map((r: Msg) => r.backtest_id).sort()).to.deep.equal([a1, a2].sort());
    expect((await get(s, '/api/backtesting', bob)).json.runs.map((r: Msg) => r.backtest_id)).to.deep.equal([b1]);
    expect((await get(s, '/api/backtesting')).status).to.equal(401);
    const cancel = (id: string, token: string) => fetch(s.http(`/api/backtesting/${id}/cancel`), { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect((await cancel(a1, bob)).status).to.equal(404);
    expect((await get(s, `/api/backtesting/${a1}/trades`, bob)).status).to.equal(404);
    expect((await cancel(a1, alice)).status).to.equal(200);
  });
});
