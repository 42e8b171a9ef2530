import { expect } from 'chai';
import { startServer, type TestServer } from '../support/server.ts';

describe('e2e: HTTP endpoints', function () {
  this.timeout(15_000);
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });

  it('hosts the HTML docs at /api/v1/ws/asyncapi', async () => {
    const res = await fetch(server.http('/api/v1/ws/asyncapi'));
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('text/html');
    const html = await res.text();
    expect(html).to.contain('Tickwire');
    expect(html).to.not.match(/<script[^>]+src="https?:/); // offline: no CDN
  });

  it('serves the spec as JSON at /api/v1/ws/asyncapi.json', async () => {
    const res = await fetch(server.http('/api/v1/ws/asyncapi.json'));
    expect(res.status).to.equal(200);
    const spec = await res.json();
    expect(spec.asyncapi).to.match(/^3\./);
    expect(spec.channels.bars.address).to.equal('bars:{symbol}:{resolution}');
  });

  it('GET /websocket/status has seed 002 fields', async () => {
    const status = await (await fetch(server.http('/websocket/status'))).json();
    expect(status).to.include({ enabled: true, active_connections: 0, max_connections: 100, ping_interval: 30, price_update_interval: 3, portfolio_update_interval: 5 });
    expect(status.stream_health).to.include.all.keys('bars', 'market_data', 'price_updates', 'signals', 'trades', 'portfolio', 'backtests', 'live_trading', 'market_analytics');
    for (const h of Object.values<any>(status.stream_health)) {
      expect(h).to.include.all.keys('last_update', 'error_count', 'recovery_attempts', 'is_healthy', 'started_at');
    }
  });

  it('GET /health answers ok', async () => {
    const res = await fetch(server.http('/health'));
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ status: 'ok', market_source: 'simulated' });
  });

  it('unknown routes get a coded JSON 404', async () => {
    const res = await fetch(server.http('/nope'));
    expect(res.status).to.equal(404);
    expect((await res.json()).error.code).to.equal('NOT_FOUND');
  });
});
