import { expect } from 'chai';
import { TestClient } from '../support/client.ts';
import { startMain } from '../support/main-process.ts';

describe('e2e: the process (npm start = src/main.ts)', function () {
  this.timeout(30_000);

  it('prints the docs URL and endpoints, serves bars, and exits 0 on SIGTERM with clients closed 1001', async () => {
    const main = startMain({});
    try {
      const [, port] = await main.line(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      await main.line(/docs\s+http:\/\/127\.0\.0\.1:\d+\/api\/v1\/ws\/asyncapi/);
      await main.line(/market-data\/\{symbol\}/);
      expect(main.output()).to.contain('/api/v1/ws').and.contain('/ws').and.contain('/api/ws/stream/backtest/');
      const c = await TestClient.open(`ws://127.0.0.1:${port}/api/v1/ws`);
      await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
      await c.next((m) => m.type === 'bars.update' && m.topic === 'bars:AAPL:1', { timeoutMs: 10_000 });
      main.child.kill('SIGTERM');
      expect((await c.closed()).code).to.equal(1001);
      // main.ts exits 1 if shutdown takes over 5 s, so exit code 0 also says "within 5 s".
      expect(await main.exited).to.equal(0);
    } finally {
      main.child.kill('SIGKILL');
    }
  });

  it('refuses a bad configuration value, naming the variable and the accepted values (exit 2)', async () => {
    const main = startMain({ WEBSOCKET_PRICE_UPDATE_INTERVAL: '1', MARKET_SOURCE: 'yahoo', WEBSOCKET_MAX_CONECTIONS: '5' });
    expect(await main.exited).to.equal(2);
    expect(main.output()).to.contain('tickwire: warning: WEBSOCKET_MAX_CONECTIONS is not a tickwire setting (ignored); did you mean WEBSOCKET_MAX_CONNECTIONS?');
    expect(main.output()).to.contain('WEBSOCKET_PRICE_UPDATE_INTERVAL="1" is invalid: expected a number from 2 to 5');
    expect(main.output()).to.contain('MARKET_SOURCE="yahoo" is invalid: expected one of simulated, ibkr');
  });
});
