/**
 * Structured logs of the real process (src/main.ts with stdout a pipe): every stdout line is a JSON object with time
 * and level; connections log open and close with their id, endpoint, remote address and close code; HTTP requests
 * log method, path (token redacted), status and duration; tokens never appear. Also: /metrics of the process carries
 * the Node.js process metrics (CPU, memory, event-loop lag).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { buildApp } from '../../src/app.ts';
import { lineLogger, createPinoLogger, prettyStream } from '../../src/observability/logger.ts';
import { TestClient } from '../support/client.ts';
import { testConfig, fastSource } from '../support/server.ts';
import { repoRoot } from '../support/spec.ts';
import { waitUntil } from '../support/wait.ts';

type Rec = Record<string, any>;

function startMain(env: Record<string, string>): { child: ChildProcess; lines: () => string[]; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines: () => out.split('\n').filter(Boolean), stderr: () => err, exited };
}

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW5vdC1jaGVja2Vk';

describe('observability: structured logs', function () {
  this.timeout(30_000);

  it('the process writes one JSON object per line with time, level and the connection and request fields; tokens redacted', async () => {
    const main = startMain({});
    try {
      const records = () => main.lines().map((l) => {
        try {
          return JSON.parse(l) as Rec;
        } catch {
          throw new Error(`stdout line is not JSON: ${l}`);
        }
      });
      let port = 0;
      await waitUntil(() => {
        const hit = records().find((r) => /listening on http:\/\/127\.0\.0\.1:(\d+)/.test(r.msg));
        if (hit) port = Number(/:(\d+)/.exec(hit.msg.slice(hit.msg.indexOf('127.0.0.1')))![1]);
        return port > 0;
      }, () => `the listening line; stdout: ${main.lines().join('\n')} stderr: ${main.stderr()}`, 20_000);

      // HTTP with a token in the query; a WebSocket client that closes with 4321 and one the server closes (4002)
      expect((await fetch(`http://127.0.0.1:${port}/websocket/status?token=${TOKEN}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).to.equal(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const a = await TestClient.open(`ws://127.0.0.1:${port}/api/v1/ws?token=${TOKEN}`);
      await a.request({ type: 'bars.subscribe', payload: { symbol: 'AAPL' } });
      a.ws.close(4321, 'done');
      await a.closed();
      const b = await TestClient.open(`ws://127.0.0.1:${port}/ws`);
      for (let i = 0; i < 40; i++) b.send({ type: 'ping' });
      expect((await b.closed()).code).to.equal(4002);
      await waitUntil(() => records().filter((r) => /^connection closed/.test(r.msg)).length >= 2, () => `two close records; have ${main.lines().join('\n')}`, 10_000);
      main.child.kill('SIGTERM');
      expect(await main.exited).to.equal(0);

      const all = records();
      expect(all.length).to.be.greaterThan(8);
      for (const r of all) {
        expect(r.time, JSON.stringify(r)).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(['debug', 'info', 'warn', 'error']).to.include(r.level);
        expect(r.msg).to.be.a('string');
        expect(r.node, JSON.stringify(r)).to.match(/^standalone-[0-9a-f]{8}$/);
      }
      // The banner and the shutdown lines went through the logger too (stdout is all JSON).
      expect(all.some((r) => /docs\s+http/.test(r.msg))).to.equal(true);
      expect(all.at(-1)!.msg).to.equal('tickwire: stopped');

      const opened = all.filter((r) => r.msg === 'connection opened');
      expect(opened.length).to.equal(2);
      for (const r of opened) {
        expect(r.conn).to.match(/^[0-9a-f-]{36}$/);
        expect(r.remote).to.match(/127\.0\.0\.1/);
      }
      expect(opened.map((r) => r.endpoint)).to.deep.equal(['operationEndpoint', 'dashboard']);
      const closedA = all.find((r) => r.msg.startsWith('connection closed') && r.conn === opened[0]!.conn)!;
      expect(closedA).to.include({ code: 4321, by: 'client', endpoint: 'operationEndpoint' });
      expect(closedA.duration_ms).to.be.a('number');
      const closingB = all.find((r) => r.msg.startsWith('connection closing') && r.conn === opened[1]!.conn)!;
      expect(closingB).to.include({ code: 4002, endpoint: 'dashboard' });
      expect(all.find((r) => r.msg.startsWith('connection closed') && r.conn === opened[1]!.conn)).to.include({ code: 4002, by: 'server' });

      const request = all.find((r) => r.route === '/websocket/status')!;
      expect(request).to.include({ level: 'info', method: 'GET', status: 200 });
      expect(request.path).to.equal('/websocket/status?token=[redacted]');
      expect(request.ms).to.be.a('number');
      expect(all.find((r) => r.route === '/metrics')!.level, 'scrapes are debug').to.equal('debug');
      expect(main.lines().join('\n')).to.not.contain(TOKEN.split('.')[2]);

      // Process metrics come with the process entry point.
      expect(metrics).to.match(/^process_cpu_user_seconds_total \d/m);
      expect(metrics).to.match(/^nodejs_eventloop_lag_seconds \d/m);
      expect(metrics).to.match(/^tickwire_connections\{endpoint="operationEndpoint"\} 0$/m);
    } finally {
      main.child.kill('SIGKILL');
    }
  });

  it('redacts the JWT secret, Bearer tokens and URL passwords in the app logger, in messages and fields', async () => {
    const secret = 'a-very-secret-hs256-key-of-32-characters!';
    const lines: string[] = [];
    const app = buildApp(testConfig({ auth: { mode: 'jwt', secret } }), { source: fastSource(), log: (l) => lines.push(l) });
    app.logger.info(`key is ${secret}`, { url: 'redis://user:hunter2@127.0.0.1:6379', authorization: 'Bearer abc.def', note: `Bearer ${TOKEN}` });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.not.contain(secret).and.not.contain('hunter2').and.not.contain('abc.def').and.not.contain(TOKEN);
    expect(lines[0]).to.contain('key is [redacted]').and.contain('redis://***@127.0.0.1:6379').and.contain('authorization=[redacted]');
    await app.stop();
  });

  it('the JSON logger writes time, level, msg, child bindings and redacted fields; the pretty format reads as one line', async () => {
    const chunks: string[] = [];
    const logger = createPinoLogger({ level: 'info', format: 'json', redact: (t) => t.replace(/sekrit/g, '[redacted]'), destination: { write: (s: string) => void chunks.push(s) } });
    logger.debug('not shown');
    logger.child({ conn: 'c1', endpoint: 'dashboard' }).warn('slow sekrit', { code: 4001, token: 'x' });
    expect(chunks).to.have.length(1);
    const r = JSON.parse(chunks[0]!) as Rec;
    expect(r).to.include({ level: 'warn', msg: 'slow [redacted]', conn: 'c1', endpoint: 'dashboard', code: 4001, token: '[redacted]' });
    expect(r.time).to.match(/Z$/);
    const pretty: string[] = [];
    prettyStream((l) => pretty.push(l), false).write(chunks[0]!);
    expect(pretty[0]).to.match(/^\d\d:\d\d:\d\d\.\d{3} WARN  slow \[redacted\]  conn=c1 endpoint=dashboard code=4001 token=\[redacted\]\n$/);
    const lines: string[] = [];
    lineLogger((l) => lines.push(l)).child({ conn: 'c2' }).info('connection closing: 4001 slow consumer', { code: 4001 });
    expect(lines).to.deep.equal(['connection closing: 4001 slow consumer conn=c2 code=4001']);
  });
});
