/**
 * Graceful drain (issue 14 item 7), the order of app.stop(): readiness goes false at once (`draining`), the listening
 * socket stops accepting, the producer's streams stop (backtest followers get their terminal message then), every
 * client gets 1001, and stop() resolves with nothing left open. The SIGTERM → exit 0 path over a real process is test/e2e/process.test.ts.
 */
import { expect } from 'chai';
import net from 'node:net';
import { startServer } from './support/server.ts';
import { TestClient } from './support/client.ts';

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

describe('drain: app.stop() order', () => {
  it('readiness says draining at once, new connections are refused, clients get 1001 after their last messages', async () => {
    const server = await startServer();
    const c = await TestClient.open(server.ws('/api/v1/ws'));
    await c.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
    await c.next((m) => m.type === 'bars.update');
    expect(server.app.readiness()).to.deep.equal({ ready: true, reasons: [] });

    const stopped = server.stop();
    // Synchronously after stop(): not ready, with the reason.
    const r = server.app.readiness();
    expect(r.ready).to.equal(false);
    expect(r.reasons).to.deep.equal(['draining: the node is shutting down']);
    expect(await connects(server.port), 'a new connection during the drain').to.equal(false);
    const closed = await c.closed();
    expect(closed.code).to.equal(1001);
    await stopped;
    expect(server.app.server.listening).to.equal(false);
  });
});
