/**
 * HTTP limits (issue 18 item 3) over real sockets: idle sockets past the connection cap cannot lock out /health and
 * are closed at the header timeout; a dripped body is cut at the request timeout; an oversized declared body gets 413
 * at once; the expensive routes answer 429 with Retry-After past the per-address rate.
 */
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { startServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `head` and resolves with everything the server sends until it closes (or `timeoutMs`). */
function exchange(port: number, head: string, timeoutMs = 5000): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const began = Date.now();
    const s = connect({ port, host: '127.0.0.1' }, () => s.write(head));
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(text.slice(0, 200))}`));
    }, timeoutMs);
    s.on('data', (d) => { text += d.toString(); });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - began });
    });
  });
}

describe('e2e: HTTP limits', function () {
  this.timeout(60_000);
  let server: TestServer | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.stop();
    server = undefined;
  });

  it('1,100 idle sockets over a cap of 100: /health keeps answering; the idle sockets are closed by the header timeout', async () => {
    server = await startServer({ http: { maxConnections: 100, headersTimeoutMs: 1500, requestTimeoutMs: 3000 } });
    const closed = new Set<Socket>();
    for (let i = 0; i < 1100; i++) {
      const s = await openSocket(server.port);
      s.on('error', () => undefined);
      s.once('close', () => closed.add(s));
      sockets.push(s);
    }
    // The server holds at most the cap (its file descriptors stay bounded, whatever the fd limit): 1,000 were closed.
    const held = await new Promise<number>((r) => server!.app.server.getConnections((_e, n) => r(n)));
    expect(held).to.be.at.most(100);
    // While they are (or were) open, /health answers, several times in a row.
    for (let i = 0; i < 5; i++) {
      const res = await fetch(server.http('/health'), { signal: AbortSignal.timeout(2000) });
      expect(res.status).to.equal(200);
      await res.json();
    }
    // Every idle socket is closed by the server (made room for a newer one, or timed out on its headers).
    await waitUntil(() => closed.size === sockets.length, () => `all idle sockets closed by the server; ${closed.size}/${sockets.length}`, 8000);
  });

  it('a dripped body is cut at the request timeout (408)', async () => {
    server = await startServer({ http: { headersTimeoutMs: 1000, requestTimeoutMs: 1500 } });
    const port = server.port;
    const began = Date.now();
    const s = await openSocket(port);
    sockets.push(s);
    let text = '';
    s.on('data', (d) => { text += d.toString(); });
    s.on('error', () => undefined);
    const closed = new Promise<number>((r) => s.once('close', () => r(Date.now() - began)));
    s.write('POST /api/backtesting/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    // Drip one byte every 200 ms, for at most 10 s (bounded), until the server closes.
    let stop = false;
    void closed.then(() => { stop = true; });
    for (let i = 0; i < 50 && !stop; i++) {
      await new Promise((r) => setTimeout(r, 200));
      if (!stop) s.write(' ');
    }
    const after = await closed;
    expect(after).to.be.within(1000, 5000);
    expect(text).to.match(/^HTTP\/1\.1 408/);
  });

  it('a declared Content-Length over the limit gets 413 at once (the body is never awaited)', async () => {
    server = await startServer();
    const { text, closedAfterMs } = await exchange(server.port, 'POST /api/backtesting/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{}');
    expect(text).to.match(/^HTTP\/1\.1 413/);
    expect(text).to.contain('PAYLOAD_TOO_LARGE');
    expect(closedAfterMs).to.be.lessThan(2000);
  });

  it('expensive routes: past the per-address rate, 429 RATE_LIMITED with Retry-After; cheap routes unaffected', async () => {
    server = await startServer({ http: { expensiveRatePerMin: 3 } });
    const bars = () => fetch(server!.http('/dashboard/api/bars?symbol=AAPL&resolution=D&count=10'));
    for (let i = 0; i < 3; i++) expect((await bars()).status).to.equal(200);
    const limited = await bars();
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    expect(((await limited.json()) as { error: { code: string } }).error.code).to.equal('RATE_LIMITED');
    expect((await fetch(server.http('/health'))).status).to.equal(200);
  });
});
