/**
 * SIGTERM drain over a real process (issue 14 item 7): src/main.ts gets SIGTERM while a well-behaved client, a client
 * that never answers the close handshake, and an idle keep-alive HTTP connection are open. While it drains, new
 * connections are refused and the idle HTTP connection is closed (Node's server.close()); the good client gets 1001;
 * the process exits 0 within the documented bound (5 s; the silent client is cut after the gateway's 2 s close
 * timeout). That readiness says `draining` from the first moment is test/drain.test.ts (in process: no race).
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { TestClient } from '../support/client.ts';
import { killMain, startMain } from '../support/main-process.ts';
import { waitUntil } from '../support/wait.ts';

function getJson(agent: http.Agent, port: number, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

/** A WebSocket upgrade on a raw socket that then stops reading: it never answers the server's close frame. */
function silentClient(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write('GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    });
    s.once('data', (d) => {
      if (!d.toString().startsWith('HTTP/1.1 101')) return reject(new Error(d.toString()));
      s.pause();
      resolve(s);
    });
    s.once('error', reject);
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

describe('e2e: SIGTERM drain of the process', function () {
  this.timeout(60_000);

  it('new connections refused, idle HTTP closed, 1001, exit 0 within 5 s despite a client that never answers', async () => {
    const main = startMain({});
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let silent: net.Socket | undefined;
    try {
      const [, p] = await main.line(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const port = Number(p);
      await main.line(/ready: yes/);
      expect((await getJson(agent, port, '/ready')).status).to.equal(200); // the keep-alive socket is now open
      const c = await TestClient.open(`ws://127.0.0.1:${port}/api/v1/ws`);
      silent = await silentClient(port);

      const signalledAt = Date.now();
      main.child.kill('SIGTERM');
      await main.line(/SIGTERM received/);
      // The listening socket closes as stop() begins (the handle closes at the end of that loop turn): a refusal while
      // the process is still draining (the silent client holds it ~2 s), not because it is gone.
      await waitUntil(async () => !(await connects(port)), 'new connections refused', 1500);
      expect(main.child.exitCode, 'still draining when refused').to.equal(null);
      let idle: unknown;
      await getJson(agent, port, '/ready').catch((err) => (idle = err));
      expect(String(idle), 'the idle keep-alive connection is closed, not served').to.match(/socket hang up|ECONNRESET|ECONNREFUSED/);
      expect((await c.closed()).code).to.equal(1001);
      expect(await main.exited).to.equal(0);
      const tookMs = Date.now() - signalledAt;
      console.log(`      (drain took ${tookMs} ms with one client that never answered the close)`);
      expect(tookMs).to.be.below(5000 + 1000); // the process's own bound is 5 s (exit 1 past it, checked above)
    } finally {
      silent?.destroy();
      agent.destroy();
      await killMain(main);
    }
  });
});
