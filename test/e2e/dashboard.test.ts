import { seedView } from '../support/positions.ts';
import { expect } from 'chai';
import { TestClient } from '../support/client.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('e2e: /ws dashboard (seed 000 formats)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let d: TestClient;

  before(async () => {
    // A market clock 600x real time: a 1-minute bar closes every 100 ms, so strategies signal within seconds.
    const start = Date.now();
    const now = () => start + (Date.now() - start) * 600;
    const source = new SimulatedSource({ tickIntervalMs: 10, tickMarketMs: 6000, now, continueFromHistory: true });
    server = await startServer({ websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 } }, { source, now });
    d = await TestClient.open(server.ws('/ws'));
  });
  after(async () => {
    d.close();
    await server.stop();
  });

  it('a new client is subscribed to every stream and told so first', async () => {
    const first = await d.next(() => true);
    expect(seedView(first)).to.deep.equal({ type: 'subscriptions', streams: ['prices', 'signals', 'trades', 'portfolio'] });
    expect(Object.keys(first.positions).sort()).to.deep.equal(['dashboard:portfolio', 'dashboard:prices', 'dashboard:signals', 'dashboard:trades']);
  });

  it('price_update: `symbols` maps each symbol to {price, change, change_pct}', async () => {
    const m = await d.next((x) => x.type === 'price_update');
    expect(Object.keys(seedView(m)).sort()).to.deep.equal(['symbols', 'timestamp', 'type']);
    expect(m.timestamp).to.match(ISO);
    const [symbol, data] = Object.entries<any>(m.symbols)[0]!;
    expect(server.app.source!.hasSymbol(symbol)).to.equal(true);
    expect(Object.keys(data).sort()).to.deep.equal(['change', 'change_pct', 'price']);
    expect(data.price).to.be.a('number').greaterThan(0);
  });

  it('later price_updates carry only symbols whose price changed', async () => {
    const from = d.messages.length;
    const a = await d.next((x) => x.type === 'price_update', { from });
    const b = await d.next((x) => x.type === 'price_update', { from: d.messages.indexOf(a) + 1 });
    for (const [sym, data] of Object.entries<any>(b.symbols)) {
      if (a.symbols[sym]) expect(data.price).to.not.equal(a.symbols[sym].price);
    }
  });

  it('signal: fields at the root (signal_type, symbol, price, confidence, timestamp), never HOLD', async () => {
    const s = await d.next((x) => x.type === 'signal', { timeoutMs: 20_000, what: 'a strategy signal' });
    expect(s).to.not.have.property('signal');
    expect(['BUY', 'SELL']).to.include(s.signal_type);
    expect(s.symbol).to.be.a('string');
    expect(s.price).to.be.a('number');
    expect(s.confidence).to.be.within(0, 1);
    expect(s.timestamp).to.match(ISO);
  });

  it('trade_executed: fields at the root (symbol, side, quantity, price, timestamp)', async () => {
    const t = await d.next((x) => x.type === 'trade_executed', { timeoutMs: 20_000, what: 'a paper trade' });
    expect(['BUY', 'SELL']).to.include(t.side);
    expect(t.quantity).to.be.greaterThan(0);
    expect(t.price).to.be.a('number');
    expect(t.timestamp).to.match(ISO);
    expect(t.execution_id).to.be.a('string');
  });

  it('portfolio_update: positions and P&L once something changed', async () => {
    const p = await d.next((x) => x.type === 'portfolio_update' && x.positions.length > 0, { timeoutMs: 20_000, what: 'a portfolio with a position' });
    const pos = p.positions[0];
    expect(Object.keys(pos).sort()).to.deep.equal(['avg_price', 'market_price', 'market_value', 'quantity', 'realized_pnl', 'symbol', 'unrealized_pnl']);
    expect(p.equity).to.be.closeTo(p.cash + p.positions.reduce((s: number, x: any) => s + x.market_value, 0), 1e-6);
  });

  it('unsubscribe narrows the streams; subscribe widens them again', async () => {
    const reply = await d.request({ type: 'unsubscribe', streams: ['prices', 'signals', 'trades'] });
    expect(reply).to.deep.include({ type: 'subscriptions', streams: ['portfolio'] });
    const at = d.messages.indexOf(reply);
    const c2 = await TestClient.open(server.ws('/ws'));
    // Fence: a second client sees two more price updates; the narrowed one must see none after its reply.
    const p1 = await c2.next((x) => x.type === 'price_update', { from: 2 });
    await c2.next((x) => x.type === 'price_update', { from: c2.messages.indexOf(p1) + 1 });
    expect(d.count((x) => x.type === 'price_update' || x.type === 'signal' || x.type === 'trade_executed', at + 1)).to.equal(0);
    const back = await d.request({ type: 'subscribe', streams: ['prices'] });
    expect(back.streams).to.deep.equal(['prices', 'portfolio']);
    await d.next((x) => x.type === 'price_update', { from: d.messages.indexOf(back) + 1 });
    c2.close();
  });

  it('status endpoint shows the dashboard connection and every stream healthy', async () => {
    const status = await (await fetch(server.http('/websocket/status'))).json();
    expect(status).to.include.keys('enabled', 'active_connections', 'max_connections', 'ping_interval', 'price_update_interval', 'portfolio_update_interval', 'stream_health');
    expect(status.active_connections).to.be.at.least(1);
    for (const name of ['price_updates', 'signals', 'trades', 'portfolio']) {
      expect(status.stream_health[name], name).to.include({ is_healthy: true, error_count: 0 });
      expect(status.stream_health[name].started_at).to.match(ISO);
    }
  });
});
