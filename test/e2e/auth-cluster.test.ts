/**
 * AUTH=jwt across a producer and an edge on Redis (in one process, each its own app): the edge verifies tokens
 * itself, forwards backtest requests to the producer with the caller's Authorization, and asks the producer about a
 * run with the caller's token, so one user cannot follow, read or list another's backtest through an edge either.
 */
import { expect } from 'chai';
import { CloseCodes } from '../../generated/codes.ts';
import { buildApp, type App } from '../../src/app.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { startRedis, type RedisServer } from '../support/redis-server.ts';
import { fastSource, testConfig } from '../support/server.ts';
import { AUDIENCE, hsToken, ISSUER, SECRET } from '../support/tokens.ts';
import { waitUntil } from '../support/wait.ts';

const codeOf = (m: Msg): string | undefined => (m.type !== 'error' ? undefined : m.data?.code);

describe('e2e: AUTH=jwt on a producer and an edge (Redis)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let producer: App;
  let edge: App;
  let edgePort: number;
  const violations: string[] = [];

  before(async () => {
    redis = await startRedis();
    const auth = { mode: 'jwt' as const, secret: SECRET, jwksUrl: undefined, audience: AUDIENCE, issuer: ISSUER, anonymousMarketData: false, privateSignals: false, expiryWarningMs: 60_000 };
    const prefix = `twauth${Date.now()}`;
    const common = { auth, websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 } };
    const onContractViolation = (endpoint: string, message: string, problem: string) => violations.push(`${endpoint}: ${problem} in ${message.slice(0, 200)}`);
    producer = buildApp(testConfig({ ...common, cluster: { role: 'producer', redisUrl: redis.url, redisPrefix: prefix, publicUrl: undefined } }), { source: fastSource(), log: () => undefined, onContractViolation });
    await producer.start();
    edge = buildApp(testConfig({ ...common, cluster: { role: 'edge', redisUrl: redis.url, redisPrefix: prefix, publicUrl: undefined } }), { log: () => undefined, onContractViolation });
    ({ port: edgePort } = await edge.start());
    await waitUntil(() => edge.ready() && edge.cluster.first('producer') !== undefined, 'the edge knows the producer', 15_000);
  });
  after(async () => {
    await edge?.stop();
    await producer?.stop();
    await redis?.stop();
    expect(violations).to.deep.equal([]);
  });

  const http = (p: string) => `http://127.0.0.1:${edgePort}${p}`;
  const ws = (p: string, token?: string) => TestClient.open(`ws://127.0.0.1:${edgePort}${p}${token ? `${p.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : ''}`);

  it('a token on the edge reads private streams through the broker; no token gets none', async () => {
    const c = await ws('/ws', await hsToken({ sub: 'alice' }));
    expect((await c.next((m) => m.type === 'subscriptions')).streams).to.have.length(4);
    await c.next((m) => m.type === 'portfolio_update', { timeoutMs: 10_000 });
    const anon = await ws('/ws');
    expect((await anon.next((m) => m.type === 'subscriptions')).streams).to.deep.equal([]);
    c.close();
    anon.close();
  });

  it('backtests through the edge: the owner starts, reads, lists and follows; another user and anonymous cannot', async () => {
    const alice = await hsToken({ sub: 'alice' });
    const bob = await hsToken({ sub: 'bob' });
    const body = JSON.stringify({ name: 'edge', symbol: 'AAPL', timeframes: ['D'], start_date: '2024-01-02', end_date: '2024-02-01', strategy_ids: ['rsi'] });
    const post = (token?: string) => fetch(http('/api/backtesting/start?stream=false'), { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
    expect((await post()).status).to.equal(401);
    const res = await post(alice);
    expect(res.status).to.equal(202);
    const id = ((await res.json()) as Msg).backtest_id as string;
    const get = (token: string | undefined, p = `/api/backtesting/${id}`) => fetch(http(p), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get(alice)).status).to.equal(200);
    expect((await get(bob)).status).to.equal(404);
    expect((await get(undefined)).status).to.equal(401);
    expect(((await (await get(bob, '/api/backtesting')).json()) as Msg).runs).to.deep.equal([]);
    const mine = await ws(`/api/ws/stream/backtest/${id}`, alice);
    expect((await mine.next((m) => m.type === 'connected', { timeoutMs: 10_000 })).data.backtest_id).to.equal(id);
    const other = await ws(`/api/ws/stream/backtest/${id}`, bob);
    // Another user's run looks unknown on an edge as on a standalone node (test/e2e/auth.test.ts): error
    // UNKNOWN_BACKTEST and close 4500, never FORBIDDEN (which would disclose that the run exists).
    expect(codeOf(await other.next((m) => m.type === 'error'))).to.equal('UNKNOWN_BACKTEST');
    expect((await other.closed()).code).to.equal(CloseCodes.UNKNOWN_BACKTEST.code);
    expect(other.messages.some((m) => m.type === 'connected')).to.equal(false);
    const anon = await ws(`/api/ws/stream/backtest/${id}`);
    expect((await anon.closed()).code).to.equal(4503);
    mine.close();
  });
});
