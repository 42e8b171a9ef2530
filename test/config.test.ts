import { expect } from 'chai';
import { defaultConfig, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('defaults follow seed 000/002', () => {
    const c = defaultConfig();
    expect(c.port).to.equal(8000);
    expect(c.websocket).to.include({ maxConnections: 100, pingIntervalMs: 30_000, maxLifespanMs: 3_600_000, maxPayloadBytes: 65_536, rateLimitPerSec: 10, rateBurst: 20, maxSubscriptions: 100, maxBufferedBytes: 1_048_576, priceUpdateIntervalMs: 3000, portfolioUpdateIntervalMs: 5000 });
    expect(c.market.source).to.equal('simulated');
  });

  const bad: { env: Record<string, string>; variable: string; mentions: string }[] = [
    { env: { PORT: 'eighty' }, variable: 'PORT', mentions: 'integer from 0 to 65535' },
    { env: { PORT: '70000' }, variable: 'PORT', mentions: 'integer from 0 to 65535' },
    { env: { WEBSOCKET_ENABLED: 'maybe' }, variable: 'WEBSOCKET_ENABLED', mentions: 'true or false' },
    { env: { WEBSOCKET_PRICE_UPDATE_INTERVAL: '6' }, variable: 'WEBSOCKET_PRICE_UPDATE_INTERVAL', mentions: 'from 2 to 5' },
    { env: { WEBSOCKET_MAX_CONNECTIONS: '0' }, variable: 'WEBSOCKET_MAX_CONNECTIONS', mentions: 'from 1' },
    { env: { MARKET_SOURCE: 'yahoo' }, variable: 'MARKET_SOURCE', mentions: 'simulated, ibkr' },
    { env: { MARKET_SYMBOLS: 'AAPL,aapl' }, variable: 'MARKET_SYMBOLS', mentions: 'aapl' },
    { env: { MARKET_SOURCE: 'ibkr' }, variable: 'IBKR_PORT', mentions: 'required' },
    { env: { MARKET_SOURCE: 'ibkr', IBKR_PORT: '4002', IBKR_CLIENT_ID: '-1' }, variable: 'IBKR_CLIENT_ID', mentions: 'integer' },
  ];
  for (const b of bad) {
    it(`${JSON.stringify(b.env)} is refused naming ${b.variable}`, () => {
      const r = loadConfig(b.env);
      expect(r.ok).to.equal(false);
      if (r.ok) return;
      const e = r.errors.find((x) => x.variable === b.variable);
      expect(e, JSON.stringify(r.errors)).to.not.equal(undefined);
      expect(e!.message).to.contain(b.variable).and.contain(b.mentions);
    });
  }

  it('accepts valid overrides', () => {
    const r = loadConfig({ PORT: '9000', WEBSOCKET_PING_INTERVAL: '10', MARKET_SYMBOLS: 'AAPL, BTC-USD', MARKET_SOURCE: 'ibkr', IBKR_PORT: '4002' });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.config.port).to.equal(9000);
    expect(r.config.websocket.pingIntervalMs).to.equal(10_000);
    expect(r.config.market.symbols).to.deep.equal(['AAPL', 'BTC-USD']);
    expect(r.config.ibkr.port).to.equal(4002);
  });
});
