/**
 * Start fast, come up in the background (issue 14 items 2, 3): with MARKET_SOURCE=ibkr and TWS unreachable (a closed
 * port), the process listens and answers /health at once; /ready is 503 naming the market source; the log says where
 * it tried and what to check. Once a (fake) TWS starts on that port, /ready turns 200 without a restart.
 */
import { expect } from 'chai';
import { freePort } from '../../scripts/loopback.ts';
import { FakeTws } from '../fakes/fake-tws.ts';
import { killMain, startMain } from '../support/main-process.ts';
import { waitUntil } from '../support/wait.ts';

async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.json() };
}

describe('e2e: start fast with TWS unreachable, /ready follows the source', function () {
  this.timeout(60_000);
  let fake: FakeTws | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('listens and answers /health before the source connects; /ready 503 with reasons, then 200 once TWS is up', async () => {
    const twsPort = await freePort(); // nothing listens there: connect is refused
    const spawnedAt = Date.now();
    const main = startMain({ MARKET_SOURCE: 'ibkr', IBKR_PORT: String(twsPort), IBKR_CLIENT_ID: '7' });
    try {
      const [, port] = await main.line(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const base = `http://127.0.0.1:${port}`;
      const health = await get(`${base}/health`);
      const answeredMs = Date.now() - spawnedAt;
      expect(health.status).to.equal(200);
      // Ordering, not timing: the server answered while the source had never connected.
      const ready = await get(`${base}/ready`);
      expect(ready.status).to.equal(503);
      expect(ready.body.ready).to.equal(false);
      expect(ready.body.reasons.join('\n')).to.match(/market source ibkr (not connected|starting)/);
      console.log(`      (/health answered ${answeredMs} ms after spawn, including tsx start-up; TWS never reached)`);

      // The operator's line: host, port and what to check.
      const [hint] = await main.line(/cannot reach TWS \/ IB Gateway at 127\.0\.0\.1:\d+[^\n]*/);
      expect(hint).to.contain(`127.0.0.1:${twsPort}`).and.contain('Enable ActiveX and Socket Clients').and.contain('7497').and.contain('4002').and.contain('Trusted IPs');
      const notConnected = await get(`${base}/ready`);
      expect(notConnected.status).to.equal(503);
      const down = await get(`${base}/websocket/status`);
      expect(down.body.readiness, 'status and /ready agree').to.deep.equal({ ready: false, reasons: (await get(`${base}/ready`)).body.reasons });
      expect(down.body.stream_health.market_data.last_error).to.match(/^502 connect (failed|ECONNREFUSED)/);
      expect(Date.parse(down.body.stream_health.market_data.last_error_at)).to.be.at.least(spawnedAt);

      fake = await FakeTws.start({ port: twsPort });
      await waitUntil(async () => (await get(`${base}/ready`)).status === 200, () => `/ready 200 after TWS started: ${main.output()}`, 40_000);
      const after = await get(`${base}/ready`);
      expect(after.body).to.deep.equal({ ready: true, reasons: [] });
      const status = await get(`${base}/websocket/status`);
      expect(status.body.stream_health.market_data.last_error, 'the last error stays visible after recovery').to.match(/^502 /);
      expect(status.body.stream_health.market_data.error_count, 'and is no longer current').to.equal(0);
      expect(status.body.readiness).to.deep.equal({ ready: true, reasons: [] });

      main.child.kill('SIGTERM');
      expect(await main.exited).to.equal(0);
    } finally {
      await killMain(main);
    }
  });
});
