/**
 * The `roles` claim over real sockets (issue 13: a claim can widen or narrow what a token may subscribe). Two servers:
 * AUTH_DEFAULT_ROLE=trader (the default: a token without roles reads everything) and AUTH_DEFAULT_ROLE=viewer (a token
 * without roles reads market data only; `roles: ["trader"]` unlocks the private streams). Every case is checked on
 * /ws (what `subscriptions` grants, then an explicit subscribe of each private stream), on /api/v1/ws (bars), and on
 * the live-trading and market-data stream endpoints (connected, or FORBIDDEN + close 4504).
 */
import { expect } from 'chai';
import { CloseCodes } from '../../generated/codes.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { AUDIENCE, hsToken, ISSUER, SECRET, type Claims } from '../support/tokens.ts';

const codeOf = (m: Msg): string | undefined => (m.type !== 'error' ? undefined : m.code ?? m.payload?.code ?? m.data?.code);
const open = (server: TestServer, path: string, token: string) => TestClient.open(server.ws(`${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`));

const ALL = ['prices', 'signals', 'trades', 'portfolio'];
const MARKET = ['prices', 'signals'];

interface Case {
  name: string;
  server: 'trader' | 'viewer';
  claims: Claims;
  want: { streams: string[]; liveTrading: boolean; marketData: boolean; bars: boolean };
}

const cases: Case[] = [
  // default trader: no claim → everything; viewer narrows; trader is the same as none
  { name: 'no roles claim', server: 'trader', claims: {}, want: { streams: ALL, liveTrading: true, marketData: true, bars: true } },
  { name: 'roles ["viewer"] narrows', server: 'trader', claims: { roles: ['viewer'] }, want: { streams: MARKET, liveTrading: false, marketData: true, bars: true } },
  { name: 'roles ["trader"]', server: 'trader', claims: { roles: ['trader'] }, want: { streams: ALL, liveTrading: true, marketData: true, bars: true } },
  { name: 'roles of another service only', server: 'trader', claims: { roles: ['billing:admin'] }, want: { streams: [], liveTrading: false, marketData: false, bars: false } },
  // default viewer: no claim → market data; trader widens; channels narrow what trader grants
  { name: 'no roles claim', server: 'viewer', claims: {}, want: { streams: MARKET, liveTrading: false, marketData: true, bars: true } },
  { name: 'roles ["trader"] widens', server: 'viewer', claims: { roles: ['trader'] }, want: { streams: ALL, liveTrading: true, marketData: true, bars: true } },
  { name: 'roles ["viewer","trader"]', server: 'viewer', claims: { roles: ['viewer', 'trader'] }, want: { streams: ALL, liveTrading: true, marketData: true, bars: true } },
  { name: 'roles ["trader"] + channels ["dashboard:*"]', server: 'viewer', claims: { roles: ['trader'], channels: ['dashboard:*'] }, want: { streams: ALL, liveTrading: false, marketData: false, bars: false } },
];

describe('e2e: AUTH=jwt — the roles claim widens or narrows (issue 13)', function () {
  this.timeout(30_000);
  const servers: Partial<Record<'trader' | 'viewer', TestServer>> = {};
  const base = { mode: 'jwt' as const, secret: SECRET, jwksUrl: undefined, audience: AUDIENCE, issuer: ISSUER, anonymousMarketData: false, privateSignals: false, expiryWarningMs: 60_000 };

  before(async () => {
    for (const role of ['trader', 'viewer'] as const) {
      servers[role] = await startServer({ auth: { ...base, defaultRole: role }, websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 } });
    }
  });
  after(async () => {
    for (const s of Object.values(servers)) await s?.stop();
  });

  for (const c of cases) {
    it(`AUTH_DEFAULT_ROLE=${c.server}, ${c.name} → /ws ${JSON.stringify(c.want.streams)}, live-trading ${c.want.liveTrading ? 'yes' : '4504'}, market-data ${c.want.marketData ? 'yes' : '4504'}, bars ${c.want.bars ? 'yes' : 'FORBIDDEN'}`, async () => {
      const server = servers[c.server]!;
      const token = await hsToken({ sub: `user-${c.server}`, ...c.claims });
      const dash = await open(server, '/ws', token);
      expect((await dash.next((m) => m.type === 'subscriptions')).streams).to.deep.equal(c.want.streams);
      for (const stream of ALL.filter((s) => !c.want.streams.includes(s))) {
        expect(codeOf(await dash.request({ type: 'subscribe', streams: [stream] })), stream).to.equal('FORBIDDEN');
      }
      if (c.want.streams.includes('portfolio')) await dash.next((m) => m.type === 'portfolio_update', { what: 'the portfolio' });
      const bars = await open(server, '/api/v1/ws', token);
      const reply = await bars.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL', resolution: '1' } });
      expect(c.want.bars ? reply.type : codeOf(reply)).to.equal(c.want.bars ? 'bars.subscribe.response' : 'FORBIDDEN');
      for (const [path, allowed] of [['/api/ws/stream/live-trading?symbols=AAPL', c.want.liveTrading], ['/api/ws/stream/market-data/AAPL', c.want.marketData]] as const) {
        const s = await open(server, path, token);
        const first = await s.next((m) => m.type === 'connected' || m.type === 'error', { what: `${path}: connected or error` });
        if (allowed) {
          expect(first.type, path).to.equal('connected');
          s.close();
        } else {
          expect(codeOf(first), path).to.equal('FORBIDDEN');
          expect((await s.closed()).code, path).to.equal(CloseCodes.FORBIDDEN.code);
        }
      }
      // the refusals left the connections open
      expect(dash.closeCode).to.equal(undefined);
      expect(bars.closeCode).to.equal(undefined);
      dash.close();
      bars.close();
    });
  }

  it('a viewer may start a backtest (no role needed, README) and follow its own run; another viewer cannot see it', async () => {
    const server = servers.viewer!;
    const start = (token: string) => fetch(server.http('/api/backtesting/start?stream=false'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'viewer run', symbol: 'AAPL', timeframes: ['D'], start_date: '2024-01-02', end_date: '2024-02-01', strategy_ids: ['rsi'] }),
    });
    const vera = await hsToken({ sub: 'vera', roles: ['viewer'] });
    const res = await start(vera);
    expect(res.status).to.equal(202);
    const id = ((await res.json()) as Msg).backtest_id as string;
    const mine = await open(server, `/api/ws/stream/backtest/${id}`, vera);
    expect((await mine.next((m) => m.type === 'connected')).data.backtest_id).to.equal(id);
    const other = await open(server, `/api/ws/stream/backtest/${id}`, await hsToken({ sub: 'victor', roles: ['viewer'] }));
    expect(codeOf(await other.next((m) => m.type === 'error'))).to.equal('UNKNOWN_BACKTEST');
    expect((await other.closed()).code).to.equal(CloseCodes.UNKNOWN_BACKTEST.code);
    mine.close();
  });

  it('refresh changes roles on the same connection: a viewer token revokes the private streams; a trader token widens again', async () => {
    const c = await open(servers.trader!, '/ws', await hsToken({ sub: 'rita' }));
    expect((await c.next((m) => m.type === 'subscriptions')).streams).to.deep.equal(ALL);
    const narrowed = await c.request({ type: 'auth', token: await hsToken({ sub: 'rita', roles: ['viewer'] }) });
    expect(narrowed.type).to.equal('authenticated');
    expect(narrowed.data.revoked).to.have.members(['dashboard:trades', 'dashboard:portfolio']);
    expect(codeOf(await c.request({ type: 'subscribe', streams: ['portfolio'] }))).to.equal('FORBIDDEN');
    const widened = await c.request({ type: 'auth', token: await hsToken({ sub: 'rita', roles: ['trader'] }) });
    expect(widened.type).to.equal('authenticated');
    expect(widened.data.revoked ?? []).to.deep.equal([]);
    const from = c.messages.length;
    expect((await c.request({ type: 'subscribe', streams: ['portfolio'] })).streams).to.include('portfolio');
    await c.next((m) => m.type === 'portfolio_update', { from, what: 'the portfolio after widening' });
    expect(c.closeCode).to.equal(undefined);
    c.close();
  });
});
