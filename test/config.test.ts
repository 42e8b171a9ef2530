import { expect } from 'chai';
import { bannerLines } from '../src/banner.ts';
import { CONFIG_VARIABLES, changedSettings, defaultConfig, loadConfig, unknownVariables } from '../src/config.ts';

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

describe('config: identity and order safety (issue 13)', () => {
  const bad: { env: Record<string, string>; variable: string; mentions: string }[] = [
    { env: { HOST: '0.0.0.0' }, variable: 'AUTH', mentions: 'AUTH=jwt with AUTH_JWT_SECRET (or AUTH_JWKS_URL) to require tokens, or AUTH=none' },
    { env: { HOST: '10.1.2.3' }, variable: 'AUTH', mentions: 'not a loopback address' },
    { env: { AUTH: 'basic' }, variable: 'AUTH', mentions: 'none or jwt' },
    { env: { AUTH: 'jwt' }, variable: 'AUTH_JWT_SECRET', mentions: 'needs a key' },
    { env: { AUTH: 'jwt', AUTH_JWT_SECRET: 'short' }, variable: 'AUTH_JWT_SECRET', mentions: 'at least 32' },
    { env: { AUTH: 'jwt', AUTH_JWT_SECRET: 'x'.repeat(32), AUTH_JWKS_URL: 'https://idp.example/jwks' }, variable: 'AUTH_JWKS_URL', mentions: 'not both' },
    { env: { AUTH: 'jwt', AUTH_JWKS_URL: 'ftp://idp.example/jwks' }, variable: 'AUTH_JWKS_URL', mentions: 'http(s) URL' },
    { env: { AUTH_CLOCK_TOLERANCE_SECONDS: '301' }, variable: 'AUTH_CLOCK_TOLERANCE_SECONDS', mentions: 'from 0 to 300' },
    { env: { AUTH_DEFAULT_ROLE: 'admin' }, variable: 'AUTH_DEFAULT_ROLE', mentions: 'trader, viewer' },
    { env: { MARKET_SOURCE: 'ibkr', IBKR_PORT: '4001', TRADING_AUTO_TRADE: 'true' }, variable: 'TRADING_LIVE_ORDERS', mentions: 'IBKR_PORT=4001 (a live port)' },
    { env: { MARKET_SOURCE: 'ibkr', IBKR_PORT: '7496', TRADING_AUTO_TRADE: 'true' }, variable: 'TRADING_LIVE_ORDERS', mentions: 'IBKR_PORT=7496' },
    { env: { MARKET_SOURCE: 'ibkr', IBKR_PORT: '4002', IBKR_ACCOUNT: 'U1234567', TRADING_AUTO_TRADE: 'true' }, variable: 'TRADING_LIVE_ORDERS', mentions: 'IBKR_ACCOUNT=U1234567 (a live account)' },
    { env: { WEBSOCKET_MAX_CONNECTIONS_PER_IP: '-1' }, variable: 'WEBSOCKET_MAX_CONNECTIONS_PER_IP', mentions: 'from 0' },
  ];
  for (const b of bad) {
    it(`refuses ${JSON.stringify(b.env)} naming ${b.variable}`, () => {
      const r = loadConfig(b.env);
      expect(r.ok).to.equal(false);
      if (r.ok) return;
      const e = r.errors.find((x) => x.variable === b.variable);
      expect(e, JSON.stringify(r.errors)).to.not.equal(undefined);
      expect(e!.message).to.contain(b.mentions);
    });
  }

  const good: { env: Record<string, string>; want: (c: import('../src/config.ts').Config) => void }[] = [
    { env: {}, want: (c) => expect(c.auth).to.include({ mode: 'none', anonymousMarketData: false, privateSignals: false, expiryWarningMs: 60_000 }) },
    { env: { HOST: 'localhost' }, want: (c) => expect(c.auth.mode).to.equal('none') },
    { env: { HOST: '0.0.0.0', AUTH: 'none' }, want: (c) => expect(c.auth.mode).to.equal('none') },
    { env: {}, want: (c) => expect(c.auth).to.include({ clockToleranceS: 30, defaultRole: 'trader' }) },
    { env: { AUTH_CLOCK_TOLERANCE_SECONDS: '0', AUTH_DEFAULT_ROLE: 'viewer' }, want: (c) => expect(c.auth).to.include({ clockToleranceS: 0, defaultRole: 'viewer' }) },
    { env: { HOST: '0.0.0.0', AUTH: 'jwt', AUTH_JWT_SECRET: 'x'.repeat(32), AUTH_JWT_AUDIENCE: 'tw', AUTH_ANONYMOUS_MARKET_DATA: 'true' }, want: (c) => expect(c.auth).to.include({ mode: 'jwt', audience: 'tw', anonymousMarketData: true }) },
    // per-address cap: off on loopback, 50 on any other address unless set; 0 switches it off
    { env: {}, want: (c) => expect(c.websocket.maxConnectionsPerIp).to.equal(undefined) },
    { env: { HOST: '::1' }, want: (c) => expect(c.websocket.maxConnectionsPerIp).to.equal(undefined) },
    { env: { HOST: '0.0.0.0', AUTH: 'none' }, want: (c) => expect(c.websocket.maxConnectionsPerIp).to.equal(50) },
    { env: { HOST: '10.1.2.3', AUTH: 'none', WEBSOCKET_MAX_CONNECTIONS_PER_IP: '500' }, want: (c) => expect(c.websocket.maxConnectionsPerIp).to.equal(500) },
    { env: { HOST: '0.0.0.0', AUTH: 'none', WEBSOCKET_MAX_CONNECTIONS_PER_IP: '0' }, want: (c) => expect(c.websocket.maxConnectionsPerIp).to.equal(undefined) },
    { env: { WEBSOCKET_MAX_CONNECTIONS_PER_IP: '3' }, want: (c) => expect(c.websocket.maxConnectionsPerIp).to.equal(3) },
    { env: { ALLOWED_ORIGINS: 'https://a.example, https://b.example', WEBSOCKET_MAX_CONNECTIONS_PER_IP: '20' }, want: (c) => expect(c.websocket).to.deep.include({ allowedOrigins: ['https://a.example', 'https://b.example'], maxConnectionsPerIp: 20 }) },
    { env: {}, want: (c) => expect(c.trading).to.include({ autoTrade: true, liveOrders: false }) },
    { env: { MARKET_SOURCE: 'ibkr', IBKR_PORT: '4002' }, want: (c) => expect(c.trading.autoTrade, 'IB mode: off unless set').to.equal(false) },
    { env: { MARKET_SOURCE: 'ibkr', IBKR_PORT: '4002', TRADING_AUTO_TRADE: 'true' }, want: (c) => expect(c.trading.autoTrade).to.equal(true) },
    { env: { MARKET_SOURCE: 'ibkr', IBKR_PORT: '4001', TRADING_AUTO_TRADE: 'true', TRADING_LIVE_ORDERS: 'yes' }, want: (c) => expect(c.trading).to.include({ autoTrade: true, liveOrders: true }) },
    { env: { MARKET_SOURCE: 'ibkr', IBKR_PORT: '4001' }, want: (c) => expect(c.trading.autoTrade, 'a live port without auto-trading starts').to.equal(false) },
  ];
  for (const g of good) {
    it(`accepts ${JSON.stringify(g.env)}`, () => {
      const r = loadConfig(g.env);
      expect(r.ok, r.ok ? '' : JSON.stringify(r.errors)).to.equal(true);
      if (r.ok) g.want(r.config);
    });
  }
});

describe('config: one schema for errors, warnings, the banner and the README (issue 14 item 8)', () => {
  it('says "a number greater than 0" for an exclusive minimum, never a tiny float', () => {
    const r = loadConfig({ TRADING_ORDER_QUANTITY: '0' });
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.errors[0]!.message).to.equal('TRADING_ORDER_QUANTITY="0" is invalid: expected a number greater than 0 and at most 1000000000');
    expect(r.errors[0]!.message).to.not.match(/e-\d/);
  });

  it('every variable has what it accepts and what it does; number ranges are written as the errors say them', () => {
    for (const [name, , accepts, description] of CONFIG_VARIABLES) {
      expect(accepts.length, name).to.be.above(3);
      expect(description.length, name).to.be.above(3);
      expect(accepts, name).to.not.match(/e-\d|e\+\d/);
    }
    const ping = CONFIG_VARIABLES.find(([n]) => n === 'WEBSOCKET_PING_INTERVAL')!;
    expect(ping[2]).to.equal('a number from 1 to 3600 seconds');
    const r = loadConfig({ WEBSOCKET_PING_INTERVAL: '0' });
    expect(!r.ok && r.errors[0]!.message).to.equal('WEBSOCKET_PING_INTERVAL="0" is invalid: expected a number from 1 to 3600');
  });

  const typos: { env: Record<string, string>; want: { variable: string; message: string }[] }[] = [
    { env: { WEBSOCKET_MAX_CONECTIONS: '5' }, want: [{ variable: 'WEBSOCKET_MAX_CONECTIONS', message: 'WEBSOCKET_MAX_CONECTIONS is not a tickwire setting (ignored); did you mean WEBSOCKET_MAX_CONNECTIONS?' }] },
    { env: { TICKWIRE_ROLES: 'edge' }, want: [{ variable: 'TICKWIRE_ROLES', message: 'TICKWIRE_ROLES is not a tickwire setting (ignored); did you mean TICKWIRE_ROLE?' }] },
    { env: { TICKWIRE_SOMETHING_ELSE_ENTIRELY: '1' }, want: [{ variable: 'TICKWIRE_SOMETHING_ELSE_ENTIRELY', message: 'TICKWIRE_SOMETHING_ELSE_ENTIRELY is not a tickwire setting (ignored)' }] },
    { env: { WEBSOCKET_ENABLED: 'true', PATH: '/usr/bin', MARKET_SPEEED: '60' }, want: [] },
  ];
  for (const t of typos) {
    it(`warns about ${JSON.stringify(Object.keys(t.env))}`, () => expect(unknownVariables(t.env)).to.deep.equal(t.want));
  }

  it('changedSettings lists what differs from the defaults, secrets hidden', () => {
    expect(changedSettings({ PORT: '8000', MARKET_SPEED: '60', AUTH_JWT_SECRET: 'x'.repeat(32), REDIS_URL: 'redis://u:pw@h:6379', PATH: '/bin' }))
      .to.deep.equal(['AUTH_JWT_SECRET=***', 'MARKET_SPEED=60', 'REDIS_URL=redis://***@h:6379']); // table order
  });

  const facts = { role: 'standalone' as const, id: 'standalone-1', port: 8123, market: { name: 'simulated', symbols: ['AAPL'] }, orders: undefined, settings: [] };
  it('the banner lists the WebSocket endpoints when they are on', () => {
    const lines = bannerLines(defaultConfig(), facts).join('\n');
    expect(lines).to.contain('ws://127.0.0.1:8123/api/v1/ws').and.contain('/ready').and.contain('settings    all defaults');
  });

  it('the banner has no WebSocket endpoint with WEBSOCKET_ENABLED=false', () => {
    const loaded = loadConfig({ WEBSOCKET_ENABLED: 'false' });
    expect(loaded.ok).to.equal(true);
    if (!loaded.ok) return;
    const lines = bannerLines(loaded.config, { ...facts, settings: changedSettings({ WEBSOCKET_ENABLED: 'false' }) }).join('\n');
    expect(lines).to.not.contain('ws://');
    expect(lines).to.contain('websockets  off (WEBSOCKET_ENABLED=false)').and.contain('settings    WEBSOCKET_ENABLED=false');
  });
});
