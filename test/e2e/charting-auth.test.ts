/**
 * AUTH=jwt on the charting additions: bars.history and the quotes/trades/book topics are market data (a token is
 * needed unless anonymous market data is allowed, and a `channels` claim narrows them); /udf/history and
 * /api/v1/bars/history ask the same question over HTTP.
 */
import { expect } from 'chai';
import { TestClient } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { AUDIENCE, hsToken, ISSUER, SECRET } from '../support/tokens.ts';

describe('e2e: AUTH=jwt on bars.history, market topics and UDF history', function () {
  this.timeout(20_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  const open = async (token?: string) => {
    const c = await TestClient.open(server.ws(`/api/v1/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`));
    clients.push(c);
    return c;
  };
  const to = Date.UTC(2024, 0, 10);
  before(async () => {
    server = await startServer({ auth: { mode: 'jwt', secret: SECRET, jwksUrl: undefined, audience: AUDIENCE, issuer: ISSUER, anonymousMarketData: false } });
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop();
  });

  it('anonymous: bars.history and market.subscribe are UNAUTHORIZED; the connection stays', async () => {
    const c = await open();
    const h = await c.request({ type: 'bars.history', payload: { symbol: 'AAPL', to, countBack: 5 } });
    expect(h.payload.code).to.equal('UNAUTHORIZED');
    const m = await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'AAPL' } });
    expect(m.payload.code).to.equal('UNAUTHORIZED');
  });

  it('a channels claim narrows them: bars:AAPL:* allows AAPL history only, and no book', async () => {
    const c = await open(await hsToken({ channels: ['bars:AAPL:*'] }));
    const ok = await c.request({ type: 'bars.history', payload: { symbol: 'AAPL', resolution: '5', to, countBack: 5 } });
    expect(ok.type).to.equal('bars.history.response');
    const other = await c.request({ type: 'bars.history', payload: { symbol: 'MSFT', to, countBack: 5 } });
    expect(other.payload.code).to.equal('FORBIDDEN');
    const book = await c.request({ type: 'market.subscribe', payload: { channel: 'book', symbol: 'AAPL' } });
    expect(book.payload.code).to.equal('FORBIDDEN');
    const full = await open(await hsToken());
    const quotes = await full.request({ type: 'market.subscribe', payload: { channel: 'quotes', symbol: 'AAPL' } });
    expect(quotes.type).to.equal('market.subscribe.response');
  });

  it('HTTP: /udf/history and /api/v1/bars/history need a token (401 without), and answer with one', async () => {
    const q = `symbol=AAPL&resolution=1&to=${to / 1000}&from=${to / 1000 - 3600}`;
    expect((await fetch(server.http(`/udf/history?${q}`))).status).to.equal(401);
    expect((await fetch(server.http(`/api/v1/bars/history?symbol=AAPL&to=${to}&countBack=3`))).status).to.equal(401);
    const token = await hsToken();
    const res = await fetch(server.http(`/udf/history?${q}`), { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    expect(((await res.json()) as any).s).to.equal('ok');
  });
});
