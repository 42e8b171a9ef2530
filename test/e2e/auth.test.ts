/**
 * Identity and permissions over real sockets (issue 13), AUTH=jwt with tokens minted by jose in the test:
 * every kind of token against every endpoint, every private topic refused with its documented code while the
 * connection's other subscriptions go on, refresh without reconnecting, expiry, and backtests that belong to a user.
 */
import { expect } from 'chai';
import type WebSocket from 'ws';
import { CloseCodes, ErrorCodes } from '../../generated/codes.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { algNoneToken, AUDIENCE, confusedToken, hsToken, ISSUER, rsaJwks, SECRET } from '../support/tokens.ts';

// Clock tolerance 0 here, so expiry is exact; the tolerance has its own tests below.
const jwt = (extra: Partial<{ anonymousMarketData: boolean; privateSignals: boolean; expiryWarningMs: number; secret: string; jwksUrl: string; clockToleranceS: number }> = {}) => ({
  auth: { mode: 'jwt' as const, secret: SECRET, jwksUrl: undefined, audience: AUDIENCE, issuer: ISSUER, anonymousMarketData: false, privateSignals: false, expiryWarningMs: 60_000, clockToleranceS: 0, ...extra },
  websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 },
});

/** The code of an error message on any endpoint's envelope. */
const codeOf = (m: Msg): string | undefined => (m.type !== 'error' ? undefined : m.code ?? m.payload?.code ?? m.data?.code);
const isError = (code: string) => (m: Msg) => codeOf(m) === code;

function open(server: TestServer, path: string, token?: string, via: 'query' | 'header' = 'query', headers: Record<string, string> = {}): Promise<TestClient> {
  const sep = path.includes('?') ? '&' : '?';
  const url = server.ws(token && via === 'query' ? `${path}${sep}token=${encodeURIComponent(token)}` : path);
  const options: WebSocket.ClientOptions = { headers: { ...headers, ...(token && via === 'header' ? { authorization: `Bearer ${token}` } : {}) } };
  return TestClient.open(url, options);
}

async function startBacktest(server: TestServer, token: string | undefined): Promise<Response> {
  return fetch(server.http('/api/backtesting/start?stream=false'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ name: 'auth', symbol: 'AAPL', timeframes: ['D'], start_date: '2024-01-02', end_date: '2024-02-01', strategy_ids: ['rsi'] }),
  });
}

describe('e2e: AUTH=jwt — tokens against every endpoint (issue 13)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let runId: string;
  const issued: string[] = [];
  const mint = async (p: Promise<string> | string) => {
    const t = await p;
    issued.push(t);
    return t;
  };

  before(async () => {
    server = await startServer(jwt());
    const res = await startBacktest(server, await mint(hsToken({ sub: 'alice' })));
    expect(res.status).to.equal(202);
    runId = ((await res.json()) as Msg).backtest_id;
  });
  after(async () => {
    // No token ever reaches a log line.
    const logs = server.logs.join('\n');
    for (const t of issued) {
      expect(logs).to.not.contain(t);
      expect(logs).to.not.contain(t.split('.')[2] || t);
    }
    await server.stop();
  });

  const endpoints = () => [
    { name: '/api/v1/ws', path: '/api/v1/ws' },
    { name: '/ws', path: '/ws' },
    { name: 'backtest', path: `/api/ws/stream/backtest/${runId}` },
    { name: 'live-trading', path: '/api/ws/stream/live-trading?symbols=AAPL' },
    { name: 'market-data', path: '/api/ws/stream/market-data/AAPL?resolution=1' },
  ];

  const bad: { name: string; token: () => Promise<string> | string; want: { error: keyof typeof ErrorCodes; close: keyof typeof CloseCodes } }[] = [
    { name: 'expired', token: () => hsToken({ expIn: -120 }), want: { error: 'TOKEN_EXPIRED', close: 'TOKEN_EXPIRED' } },
    { name: 'not yet valid', token: () => hsToken({ nbfIn: 600 }), want: { error: 'INVALID_TOKEN', close: 'INVALID_TOKEN' } },
    { name: 'wrong signature', token: () => hsToken({}, 'not-the-server-secret-0123456789abcdef'), want: { error: 'INVALID_TOKEN', close: 'INVALID_TOKEN' } },
    { name: 'wrong audience', token: () => hsToken({ aud: 'another-service' }), want: { error: 'INVALID_TOKEN', close: 'INVALID_TOKEN' } },
    { name: 'wrong issuer', token: () => hsToken({ iss: 'https://evil.test' }), want: { error: 'INVALID_TOKEN', close: 'INVALID_TOKEN' } },
    { name: 'alg none', token: () => algNoneToken(), want: { error: 'INVALID_TOKEN', close: 'INVALID_TOKEN' } },
  ];

  for (const [i, b] of bad.entries()) {
    it(`${b.name} token → error ${b.want.error}, close ${CloseCodes[b.want.close].code}, on all five endpoints`, async () => {
      for (const e of endpoints()) {
        const c = await open(server, e.path, await mint(b.token()), i % 2 ? 'header' : 'query');
        const err = await c.next((m) => m.type === 'error', { what: `${e.name}: the error` });
        expect(codeOf(err), e.name).to.equal(b.want.error);
        expect((await c.closed()).code, e.name).to.equal(CloseCodes[b.want.close].code);
        expect(c.messages.filter((m) => m.type !== 'error'), `${e.name}: nothing but the error`).to.deep.equal([]);
      }
    });
  }

  it('valid token (query parameter or Authorization header) → every endpoint serves its streams', async () => {
    for (const via of ['query', 'header'] as const) {
      const token = await mint(hsToken({ sub: 'alice' }));
      const [bars, dash, bt, live, md] = await Promise.all(endpoints().map((e) => open(server, e.path, token, via)));
      const reply = await bars!.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL', resolution: '1' } });
      expect(reply.type).to.equal('bars.subscribe.response');
      const subs = await dash!.next((m) => m.type === 'subscriptions');
      expect(subs.streams).to.deep.equal(['prices', 'signals', 'trades', 'portfolio']);
      await dash!.next((m) => m.type === 'portfolio_update', { what: 'the portfolio (private) on /ws' });
      expect((await bt!.next((m) => m.type === 'connected')).data.backtest_id).to.equal(runId);
      await live!.next((m) => m.type === 'connected');
      await live!.next((m) => m.type === 'position_update', { what: 'positions (private)' });
      await md!.next((m) => m.type === 'connected');
      for (const c of [bars, dash, bt, live, md]) {
        expect(c!.closeCode).to.equal(undefined);
        c!.close();
      }
    }
  });

  it('missing token → /api/v1/ws subscribes get UNAUTHORIZED, /ws gets no stream, the stream endpoints close 4503', async () => {
    const [bars, dash, bt, live, md] = await Promise.all(endpoints().map((e) => open(server, e.path)));
    const reply = await bars!.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL', resolution: '1' } });
    expect(codeOf(reply)).to.equal('UNAUTHORIZED');
    expect(bars!.closeCode).to.equal(undefined);
    const subs = await dash!.next((m) => m.type === 'subscriptions');
    expect(subs.streams).to.deep.equal([]);
    const refused = await dash!.request({ type: 'subscribe', streams: ['portfolio'] });
    expect(codeOf(refused)).to.equal('UNAUTHORIZED');
    for (const c of [bt, live, md]) {
      expect(codeOf(await c!.next((m) => m.type === 'error'))).to.equal('UNAUTHORIZED');
      expect((await c!.closed()).code).to.equal(CloseCodes.UNAUTHORIZED.code);
    }
    bars!.close();
    dash!.close();
  });

  it('HS/RS confusion: a JWKS (RS256) server refuses an HS256 token signed with its public key, on all five endpoints', async () => {
    const jwks = await rsaJwks();
    const rs = await startServer(jwt({ secret: undefined, jwksUrl: jwks.url }));
    try {
      const res = await startBacktest(rs, await jwks.sign({ sub: 'alice' }));
      expect(res.status).to.equal(202);
      const id = ((await res.json()) as Msg).backtest_id;
      const paths = ['/api/v1/ws', '/ws', `/api/ws/stream/backtest/${id}`, '/api/ws/stream/live-trading', '/api/ws/stream/market-data/AAPL'];
      const confused = await confusedToken(jwks.publicPem);
      for (const p of paths) {
        const c = await open(rs, p, confused);
        expect(codeOf(await c.next((m) => m.type === 'error')), p).to.equal('INVALID_TOKEN');
        expect((await c.closed()).code, p).to.equal(CloseCodes.INVALID_TOKEN.code);
      }
      // the genuine RS256 token works (and while the key set cannot be fetched, it is UNAVAILABLE 4006, not invalid)
      const ok = await open(rs, '/ws', await jwks.sign({ sub: 'alice' }));
      expect((await ok.next((m) => m.type === 'subscriptions')).streams).to.have.length(4);
      ok.close();
    } finally {
      await rs.stop();
      await jwks.close();
    }
    const dead = await startServer(jwt({ secret: undefined, jwksUrl: jwks.url }));
    try {
      const c = await open(dead, '/ws', await jwks.sign({ sub: 'alice' }));
      expect(codeOf(await c.next((m) => m.type === 'error'))).to.equal('UNAVAILABLE');
      expect((await c.closed()).code).to.equal(CloseCodes.UNAVAILABLE.code);
    } finally {
      await dead.stop();
    }
  });
});

describe('e2e: AUTH=jwt — private topics, refresh, expiry, backtest ownership (issue 13)', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startServer(jwt({ anonymousMarketData: true, expiryWarningMs: 1500 }));
  });
  after(async () => server.stop());

  it('anonymous (anonymous market data on): /ws gets prices and signals; trades and portfolio are UNAUTHORIZED; prices keep coming', async () => {
    const c = await open(server, '/ws');
    expect((await c.next((m) => m.type === 'subscriptions')).streams).to.deep.equal(['prices', 'signals']);
    for (const stream of ['trades', 'portfolio']) {
      const r = await c.request({ type: 'subscribe', streams: [stream] });
      expect(codeOf(r), stream).to.equal('UNAUTHORIZED');
    }
    // a request naming a readable and a private stream changes nothing
    const mixed = await c.request({ type: 'unsubscribe', streams: ['signals'] });
    expect(mixed.streams).to.deep.equal(['prices']);
    const r = await c.request({ type: 'subscribe', streams: ['signals', 'portfolio'] });
    expect(codeOf(r)).to.equal('UNAUTHORIZED');
    const after = c.messages.length;
    await c.next((m) => m.type === 'price_update' && typeof m.seq === 'number', { from: after, what: 'prices after the refusals' });
    expect(c.count((m) => m.type === 'portfolio_update' || m.type === 'trade_executed' || m.type === 'signal', after)).to.equal(0);
    expect(c.closeCode).to.equal(undefined);
    // market data endpoints serve anonymous clients; live-trading does not
    const md = await open(server, '/api/ws/stream/market-data/AAPL');
    await md.next((m) => m.type === 'connected');
    const live = await open(server, '/api/ws/stream/live-trading');
    expect(codeOf(await live.next((m) => m.type === 'error'))).to.equal('UNAUTHORIZED');
    expect((await live.closed()).code).to.equal(4503);
    c.close();
    md.close();
  });

  it('AUTH_PRIVATE_SIGNALS=true: signals need a token', async () => {
    const s = await startServer(jwt({ anonymousMarketData: true, privateSignals: true }));
    try {
      const anon = await open(s, '/ws');
      expect((await anon.next((m) => m.type === 'subscriptions')).streams).to.deep.equal(['prices']);
      expect(codeOf(await anon.request({ type: 'subscribe', streams: ['signals'] }))).to.equal('UNAUTHORIZED');
      const user = await open(s, '/ws', await hsToken({ sub: 'alice' }));
      expect((await user.next((m) => m.type === 'subscriptions')).streams).to.include('signals');
      anon.close();
      user.close();
    } finally {
      await s.stop();
    }
  });

  it('a channels claim narrows: each private topic is refused with FORBIDDEN (or close 4504) and the allowed ones go on', async () => {
    const token = await hsToken({ sub: 'carol', channels: ['bars:AAPL:*', 'dashboard:prices'] });
    const dash = await open(server, '/ws', token);
    expect((await dash.next((m) => m.type === 'subscriptions')).streams).to.deep.equal(['prices']);
    for (const stream of ['signals', 'trades', 'portfolio']) expect(codeOf(await dash.request({ type: 'subscribe', streams: [stream] })), stream).to.equal('FORBIDDEN');
    const bars = await open(server, '/api/v1/ws', token);
    expect((await bars.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } })).type).to.equal('bars.subscribe.response');
    expect(codeOf(await bars.request({ type: 'bars.subscribe', payload: { symbol: 'MSFT' } }))).to.equal('FORBIDDEN');
    const from = bars.messages.length;
    await bars.next((m) => m.type === 'bars.update' && m.topic === 'bars:AAPL:1' && typeof m.seq === 'number', { from, what: 'AAPL bars after the refusal' });
    await dash.next((m) => m.type === 'price_update' && typeof m.seq === 'number', { from: dash.messages.length, what: 'prices after the refusals' });
    for (const path of ['/api/ws/stream/live-trading', '/api/ws/stream/live-trading?symbols=AAPL', '/api/ws/stream/market-data/MSFT']) {
      const c = await open(server, path, token);
      expect(codeOf(await c.next((m) => m.type === 'error')), path).to.equal('FORBIDDEN');
      expect((await c.closed()).code, path).to.equal(CloseCodes.FORBIDDEN.code);
    }
    expect(dash.closeCode).to.equal(undefined);
    expect(bars.closeCode).to.equal(undefined);
    dash.close();
    bars.close();
  });

  it('token_expiring ahead of exp; a fresh token in auth keeps the connection past the old exp (on /ws and a stream endpoint)', async () => {
    for (const path of ['/ws', '/api/ws/stream/live-trading']) {
      const c = await open(server, path, await hsToken({ sub: 'alice', expIn: 3 }));
      const warn = await c.next((m) => m.type === 'token_expiring', { timeoutMs: 4000, what: `${path}: token_expiring` });
      expect(warn.data.expires_in).to.be.within(0, 3);
      const first = c.messages.find((m) => m.type !== 'token_expiring');
      expect(first?.type, 'token_expiring never comes before the first message').to.be.oneOf(['subscriptions', 'connected']);
      const fresh = await hsToken({ sub: 'alice', expIn: 3600 });
      const reply = await c.request({ type: 'auth', token: fresh });
      expect(reply.type).to.equal('authenticated');
      expect(reply.data.sub).to.equal('alice');
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(warn.data.expires_at) + 1000 - Date.now())));
      expect(c.closeCode, `${path}: still open past the first token's exp`).to.equal(undefined);
      const from = c.messages.length;
      c.send({ type: 'ping' });
      await c.next((m) => m.type === 'pong', { from, what: `${path}: still answering` });
      c.close();
    }
  });

  it('without a fresh token the connection is closed with 4007 TOKEN_EXPIRED at exp', async () => {
    const c = await open(server, '/api/v1/ws', await hsToken({ sub: 'alice', expIn: 2 }));
    await c.next((m) => m.type === 'token_expiring', { timeoutMs: 3000 });
    expect((await c.closed(4000)).code).to.equal(CloseCodes.TOKEN_EXPIRED.code);
    expect(CloseCodes.TOKEN_EXPIRED.reconnect).to.equal(true);
  });

  it('auth: another sub is FORBIDDEN (connection stays), an expired one TOKEN_EXPIRED, an invalid one INVALID_TOKEN + 4502; narrower channels revoke topics', async () => {
    const c = await open(server, '/ws', await hsToken({ sub: 'alice' }));
    expect((await c.next((m) => m.type === 'subscriptions')).streams).to.have.length(4);
    expect(codeOf(await c.request({ type: 'auth', token: await hsToken({ sub: 'bob' }) }))).to.equal('FORBIDDEN');
    expect(codeOf(await c.request({ type: 'auth', token: await hsToken({ sub: 'alice', expIn: -5 }) }))).to.equal('TOKEN_EXPIRED');
    const narrowed = await c.request({ type: 'auth', token: await hsToken({ sub: 'alice', channels: ['dashboard:prices', 'dashboard:signals'] }) });
    expect(narrowed.type).to.equal('authenticated');
    expect(narrowed.data.revoked).to.have.members(['dashboard:trades', 'dashboard:portfolio']);
    expect((await c.request({ type: 'subscribe', streams: ['prices'] })).streams).to.deep.equal(['prices', 'signals']);
    expect(c.closeCode).to.equal(undefined);
    const bad = await c.request({ type: 'auth', token: algNoneToken('alice') });
    expect(codeOf(bad)).to.equal('INVALID_TOKEN');
    expect((await c.closed()).code).to.equal(CloseCodes.INVALID_TOKEN.code);
  });

  it('an anonymous connection gains an identity with auth, then may subscribe private streams', async () => {
    const c = await open(server, '/ws');
    expect((await c.next((m) => m.type === 'subscriptions')).streams).to.deep.equal(['prices', 'signals']);
    expect((await c.request({ type: 'auth', token: await hsToken({ sub: 'dave' }) })).data.sub).to.equal('dave');
    expect((await c.request({ type: 'subscribe', streams: ['portfolio', 'trades'] })).streams).to.deep.equal(['prices', 'signals', 'trades', 'portfolio']);
    await c.next((m) => m.type === 'portfolio_update');
    c.close();
  });

  it('backtests belong to the user who started them: nobody else can follow, GET or list them', async () => {
    const alice = await hsToken({ sub: 'alice' });
    const bob = await hsToken({ sub: 'bob' });
    expect((await startBacktest(server, undefined)).status).to.equal(401);
    const bad = await startBacktest(server, await hsToken({ sub: 'alice' }, 'not-the-server-secret-0123456789abcdef'));
    expect(bad.status).to.equal(401);
    expect(((await bad.json()) as Msg).error.code).to.equal('INVALID_TOKEN');
    const res = await startBacktest(server, alice);
    expect(res.status).to.equal(202);
    const id = ((await res.json()) as Msg).backtest_id as string;
    const get = (token?: string, path = `/api/backtesting/${id}`) => fetch(server.http(path), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get(alice)).status).to.equal(200);
    expect(((await (await get(alice)).json()) as Msg).owner).to.equal('alice');
    expect((await get(bob)).status).to.equal(404);
    expect((await get()).status).to.equal(401);
    const aliceList = (await (await get(alice, '/api/backtesting')).json()) as Msg;
    expect(aliceList.runs.map((b: Msg) => b.backtest_id)).to.include(id);
    const bobList = (await (await get(bob, '/api/backtesting')).json()) as Msg;
    expect(bobList.runs.map((b: Msg) => b.backtest_id)).to.not.include(id);
    const path = `/api/ws/stream/backtest/${id}`;
    const follow = await open(server, path, alice);
    expect((await follow.next((m) => m.type === 'connected')).data.backtest_id).to.equal(id);
    // Another user's run looks unknown, as over HTTP (404) and from an edge: same code, same words as a missing run.
    const other = await open(server, path, bob);
    const refused = await other.next((m) => m.type === 'error');
    expect(codeOf(refused)).to.equal('UNKNOWN_BACKTEST');
    expect((await other.closed()).code).to.equal(CloseCodes.UNKNOWN_BACKTEST.code);
    const missing = await open(server, '/api/ws/stream/backtest/bt_20240101_000000_abcdef', bob);
    const unknown = await missing.next((m) => m.type === 'error');
    expect(unknown.data.message.replace('bt_20240101_000000_abcdef', id)).to.equal(refused.data.message);
    expect((await missing.closed()).code).to.equal(CloseCodes.UNKNOWN_BACKTEST.code);
    expect(other.messages.some((m) => m.type === 'connected' || m.type === 'progress' || m.type === 'complete')).to.equal(false);
    const anon = await open(server, path);
    expect((await anon.closed()).code).to.equal(CloseCodes.UNAUTHORIZED.code);
    follow.close();
  });
});

describe('e2e: AUTH=jwt — clock tolerance on nbf and exp (AUTH_CLOCK_TOLERANCE_SECONDS)', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startServer(jwt({ clockToleranceS: 30 }));
  });
  after(async () => server.stop());

  const cases: { name: string; claims: Parameters<typeof hsToken>[0]; want: 'ok' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED' }[] = [
    { name: 'nbf 5 s ahead (a skewed issuer clock)', claims: { nbfIn: 5 }, want: 'ok' },
    { name: 'nbf 25 s ahead', claims: { nbfIn: 25 }, want: 'ok' },
    { name: 'nbf 45 s ahead (beyond the tolerance)', claims: { nbfIn: 45 }, want: 'INVALID_TOKEN' },
    { name: 'nbf 10 min ahead', claims: { nbfIn: 600 }, want: 'INVALID_TOKEN' },
    { name: 'exp 10 s ago', claims: { expIn: -10 }, want: 'ok' },
    { name: 'exp 2 min ago', claims: { expIn: -120 }, want: 'TOKEN_EXPIRED' },
  ];
  for (const c of cases) {
    it(`tolerance 30 s: ${c.name} → ${c.want}, at connect (/ws, live-trading) and in an auth message`, async () => {
      const token = await hsToken({ sub: 'alice', ...c.claims });
      for (const path of ['/ws', '/api/ws/stream/live-trading']) {
        const conn = await open(server, path, token);
        const first = await conn.next((m) => m.type === 'subscriptions' || m.type === 'connected' || m.type === 'error', { what: `${path}: first message` });
        if (c.want === 'ok') {
          expect(first.type, path).to.not.equal('error');
          conn.close();
        } else {
          expect(codeOf(first), path).to.equal(c.want);
          expect((await conn.closed()).code, path).to.equal(CloseCodes[c.want].code);
        }
      }
      const anon = await open(server, '/api/v1/ws');
      const reply = await anon.request({ type: 'auth', token });
      expect(c.want === 'ok' ? reply.type : codeOf(reply)).to.equal(c.want === 'ok' ? 'authenticated' : c.want);
      anon.close();
    });
  }

  it('a token accepted within the tolerance after its exp is closed with 4007 when the tolerance runs out, not at once', async () => {
    const s = await startServer(jwt({ clockToleranceS: 3 }));
    try {
      const c = await open(s, '/ws', await hsToken({ sub: 'alice', expIn: -1 }));
      expect((await c.next((m) => m.type === 'subscriptions')).streams).to.have.length(4);
      const opened = Date.now();
      expect((await c.closed(6000)).code).to.equal(CloseCodes.TOKEN_EXPIRED.code);
      // exp was 1-2 s ago: it closes at exp + 3 s, i.e. 1-2 s from now
      expect(Date.now() - opened).to.be.greaterThan(500);
    } finally {
      await s.stop();
    }
  });
});

describe('e2e: browser safety — Origin allowlist and per-address cap (every mode)', function () {
  this.timeout(20_000);
  const paths = ['/api/v1/ws', '/ws', '/api/ws/stream/backtest/bt_20240101_000000_abcdef', '/api/ws/stream/live-trading', '/api/ws/stream/market-data/AAPL'];

  it('AUTH=none (the loopback default): a foreign Origin gets HTTP 403 on all five endpoints; loopback, own and no Origin pass', async () => {
    const server = await startServer();
    try {
      for (const p of paths) {
        const err = await TestClient.open(server.ws(p), { headers: { origin: 'https://evil.example' } }).then(() => null, (e: Error) => e);
        expect(err?.message, p).to.equal('HTTP 403');
        for (const origin of [undefined, 'http://localhost:3000', `http://127.0.0.1:${server.port}`]) {
          const c = await TestClient.open(server.ws(p), origin ? { headers: { origin } } : {});
          if (p.includes('/backtest/')) {
            // accepted as a WebSocket; then closed for its (unknown) id, not for its origin
            expect((await c.closed()).code, p).to.equal(CloseCodes.UNKNOWN_BACKTEST.code);
          } else {
            c.send({ type: 'ping' });
            await c.next((m) => m.type === 'pong', { what: `${p} from ${origin ?? 'no origin'}: pong` });
          }
          c.close();
        }
      }
    } finally {
      await server.stop();
    }
  });

  it('ALLOWED_ORIGINS admits a listed origin; AUTH=jwt still refuses a foreign one even with a valid token', async () => {
    const server = await startServer({ ...jwt(), websocket: { allowedOrigins: ['https://app.example'] } });
    try {
      const token = await hsToken({ sub: 'alice' });
      const ok = await open(server, '/ws', token, 'query', { origin: 'https://app.example' });
      expect((await ok.next((m) => m.type === 'subscriptions')).streams).to.have.length(4);
      ok.close();
      const err = await open(server, '/ws', token, 'query', { origin: 'https://evil.example' }).then(() => null, (e: Error) => e);
      expect(err?.message).to.equal('HTTP 403');
    } finally {
      await server.stop();
    }
  });

  it('HTTP: a state-changing request from a foreign Origin gets 403; bodies over 16 KiB get 413 on every route', async () => {
    const server = await startServer();
    try {
      const body = JSON.stringify({ name: 'o', symbol: 'AAPL', timeframes: ['D'], start_date: '2024-01-02', end_date: '2024-02-01', strategy_ids: ['rsi'] });
      const post = (origin?: string) => fetch(server.http('/api/backtesting/start?stream=false'), { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body });
      const foreign = await post('https://evil.example');
      expect(foreign.status).to.equal(403);
      expect(((await foreign.json()) as Msg).error.code).to.equal('FORBIDDEN');
      expect((await post(`http://127.0.0.1:${server.port}`)).status).to.equal(202);
      expect((await post()).status).to.equal(202);
      for (const path of ['/api/backtesting/start', '/health', '/dashboard/api/bars']) {
        const big = await fetch(server.http(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(20_000) });
        expect(big.status, path).to.equal(413);
      }
    } finally {
      await server.stop();
    }
  });

  it('WEBSOCKET_MAX_CONNECTIONS_PER_IP: one more connection from the same address gets HTTP 429; a closed one frees its slot', async () => {
    const server = await startServer({ websocket: { maxConnectionsPerIp: 2 } });
    try {
      const a = await TestClient.open(server.ws('/ws'));
      const b = await TestClient.open(server.ws('/api/v1/ws'));
      const err = await TestClient.open(server.ws('/ws')).then(() => null, (e: Error) => e);
      expect(err?.message).to.equal('HTTP 429');
      a.close();
      await a.closed();
      const c = await (async () => {
        for (let i = 0; i < 50; i++) {
          const got = await TestClient.open(server.ws('/ws')).catch(() => undefined);
          if (got) return got;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error('the slot was never freed');
      })();
      b.close();
      c.close();
    } finally {
      await server.stop();
    }
  });
});
