/**
 * What the server exposes and reports (issue 18 items 5, 6), over real sockets: request ids counted in characters,
 * stream_url never taken from an arbitrary Host, forwarded headers only with TRUST_PROXY, security headers, no
 * source maps, ping floods closed and logged, and subscriptions the cap left out named (never dropped silently).
 */
import { expect } from 'chai';
import express from 'express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDashboardRouter } from '../../src/server/routes-dashboard.ts';
import { TestClient, type Msg } from '../support/client.ts';
import { startServer, type ConfigPatch, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

const START = JSON.stringify({ name: 'x', symbol: 'AAPL', timeframes: ['D'], start_date: '2024-01-02', end_date: '2024-02-01', strategy_ids: ['rsi'] });

/** POST /api/backtesting/start with raw headers (fetch cannot set Host). */
function startWith(port: number, headers: Record<string, string>): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/backtesting/start?stream=false', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(START)), ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, ...JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end(START);
  });
}

describe('e2e: exposure and reporting', function () {
  this.timeout(30_000);
  let server: TestServer | undefined;
  const clients: TestClient[] = [];
  const open = async (patch: ConfigPatch = {}) => (server = await startServer({ backtest: { startsPerMinute: 1000 }, ...patch }));
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.stop();
    server = undefined;
  });
  const ws = async (p: string) => {
    const c = await TestClient.open(server!.ws(p));
    clients.push(c);
    return c;
  };

  it('a request id of 64 astral characters (128 UTF-16 units) is echoed on an error; 65 characters is not', async () => {
    await open();
    const c = await ws('/api/v1/ws');
    const id = '😀'.repeat(64);
    const err = await c.request({ type: 'bars.subscribe', id, payload: { symbol: 'NOPE1' } });
    expect(err.type).to.equal('error');
    expect(err.id).to.equal(id);
    c.send({ type: 'bars.subscribe', id: '😀'.repeat(65), payload: { symbol: 'AAPL' } });
    const bad = await c.next((m) => m.type === 'error' && m.id === undefined);
    expect(bad.payload.code).to.equal('INVALID_MESSAGE');
  });

  describe('stream_url', () => {
    const cases: { name: string; patch: ConfigPatch; headers: Record<string, string>; want: (port: number) => string }[] = [
      { name: 'a foreign Host is not reflected', patch: {}, headers: { host: 'evil.example' }, want: (p) => `ws://127.0.0.1:${p}` },
      { name: 'a loopback Host is kept', patch: {}, headers: { host: `localhost:4321` }, want: () => 'ws://localhost:4321' },
      { name: 'X-Forwarded-* are ignored without TRUST_PROXY', patch: {}, headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }, want: (p) => `ws://127.0.0.1:${p}` },
      { name: 'TRUST_PROXY: X-Forwarded-Proto https and X-Forwarded-Host', patch: { http: { trustProxy: true } }, headers: { host: 'internal:1', 'x-forwarded-host': 'gw.example.com', 'x-forwarded-proto': 'https' }, want: () => 'wss://gw.example.com' },
      { name: 'TRUST_PROXY: a malformed X-Forwarded-Host is not used', patch: { http: { trustProxy: true } }, headers: { 'x-forwarded-host': 'evil.example/path?x', 'x-forwarded-proto': 'http' }, want: (p) => `ws://127.0.0.1:${p}` },
      { name: 'TICKWIRE_PUBLIC_URL wins', patch: { cluster: { publicUrl: 'https://trade.example.com' } }, headers: { host: 'evil.example', 'x-forwarded-host': 'x.example' }, want: () => 'wss://trade.example.com' },
      { name: 'a host of ALLOWED_ORIGINS is accepted', patch: { websocket: { allowedOrigins: ['https://app.example.com'] } }, headers: { host: 'app.example.com' }, want: () => 'ws://app.example.com' },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const s = await open(c.patch);
        const out = await startWith(s.port, c.headers);
        expect(out.status).to.equal(202);
        expect(out.stream_url).to.equal(`${c.want(s.port)}/api/ws/stream/backtest/${out.backtest_id}`);
      });
    }
  });

  it('security headers on HTML (docs page) and JSON answers', async () => {
    await open();
    for (const p of ['/api/v1/ws/asyncapi', '/health']) {
      const res = await fetch(server!.http(p));
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, p).to.contain("frame-ancestors 'none'").and.contain("default-src 'self'").and.contain("object-src 'none'");
      expect(res.headers.get('x-frame-options'), p).to.equal('DENY');
      expect(res.headers.get('x-content-type-options'), p).to.equal('nosniff');
      await res.arrayBuffer();
    }
  });

  it('source maps in the dashboard folder are not served (the bundle is)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-dash-'));
    writeFileSync(path.join(dir, 'app.js'), 'console.log(1)\n//# sourceMappingURL=app.js.map\n');
    writeFileSync(path.join(dir, 'app.js.map'), '{"version":3,"sources":["secret.ts"],"sourcesContent":["secret"]}');
    const app = express().use(createDashboardRouter({ source: undefined, dir }));
    const http = createServer(app);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/dashboard/app.js`)).status).to.equal(200);
      const map = await fetch(`${base}/dashboard/app.js.map`);
      expect(map.status).to.equal(404);
      expect(await map.text()).to.not.contain('secret');
    } finally {
      await new Promise((r) => http.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a WebSocket ping flood is closed 4002 and logged', async () => {
    await open({ websocket: { rateLimitPerSec: 10, rateBurst: 20 } });
    const c = await ws('/api/v1/ws');
    for (let i = 0; i < 40; i++) c.ws.ping();
    expect((await c.closed()).code).to.equal(4002);
    await waitUntil(() => server!.logs.some((l) => l.includes('4002') && l.includes('pings')), 'the 4002 log line');
    // A burst big enough to kill the socket before the close frame is written (1006) is logged as a ping flood.
    const d = await ws('/api/v1/ws');
    for (let i = 0; i < 400; i++) d.ws.ping();
    const closed = await d.closed();
    const flood = closed.code === 4002 ? '4002' : 'ping flood';
    await waitUntil(() => server!.logs.filter((l) => l.includes(flood)).length >= 1 && (closed.code !== 4002 || server!.logs.filter((l) => l.includes('4002')).length >= 2), 'a log line for the second flood');
  });

  it('/ws under a subscription cap of 2: subscriptions names the streams left out (not_subscribed)', async () => {
    await open({ websocket: { maxSubscriptions: 2 } });
    const c = await ws('/ws');
    const subs = await c.next((m) => m.type === 'subscriptions');
    expect(subs.streams).to.have.length(2);
    expect(subs.not_subscribed.map((n: Msg) => n.code)).to.deep.equal(subs.not_subscribed.map(() => 'SUBSCRIPTION_LIMIT'));
    const all = [...subs.streams.map((s: string) => `dashboard:${s}`), ...subs.not_subscribed.map((n: Msg) => n.topic)].sort();
    expect(all).to.include('dashboard:portfolio');
    expect(subs.not_subscribed.length).to.be.greaterThan(0);
  });

  it('live-trading?symbols= under a tight cap: account and positions are kept, the order topics left out are named', async () => {
    await open({ websocket: { maxSubscriptions: 3 } });
    const c = await ws('/api/ws/stream/live-trading?symbols=AAPL,MSFT,GOOGL,AMZN');
    const connected = await c.next((m) => m.type === 'connected');
    const got = Object.keys(connected.data.positions);
    expect(got).to.include('live-trading:account');
    expect(got).to.have.length(3);
    expect(connected.data.not_subscribed).to.have.length(3);
    for (const n of connected.data.not_subscribed) expect(n).to.deep.include({ code: 'SUBSCRIPTION_LIMIT' }).and.have.property('topic').that.match(/^live-trading:orders:/);
    // P&L and risk keep coming after the snapshot.
    await c.next((m) => m.type === 'pnl_update' || m.type === 'risk_update', { from: c.messages.length, timeoutMs: 10_000, what: 'an account update after connect' });
  });
});
