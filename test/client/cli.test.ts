/** tickwire-cli as a subprocess (bin/tickwire-cli.js) against a real gateway. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { startServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';
import { tcpProxy } from './proxy.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tickwire-cli.js');

/** A port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function run(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tickwire-cli ${args.join(' ')} did not exit in ${timeoutMs} ms; stdout: ${stdout.slice(-500)} stderr: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running tickwire-cli: its output so far, and SIGINT to end it (it exits 0). */
function spawnCli(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    out,
    until: (cond: () => boolean, what: string, timeoutMs = 15_000) => waitUntil(cond, () => `${what}; stderr: ${out.stderr.slice(-800)}`, timeoutMs),
    async stop(): Promise<number | null> {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

describe('cli: tickwire-cli as a subprocess', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await startServer({ websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 } });
  });
  after(async () => {
    await server.stop();
  });

  it('stream --json prints one JSON line per message of the named topics only', async () => {
    const r = await run(['stream', '--json', '--count', '6', '--url', server.http(''), 'bars:AAPL:1', 'prices']);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(6);
    const messages = lines.map((l) => JSON.parse(l));
    for (const m of messages) {
      expect(['bars.update', 'price_update']).to.include(m.type);
      if (m.type === 'bars.update') expect(m.topic).to.equal('bars:AAPL:1');
    }
    expect(messages.some((m) => m.type === 'bars.update')).to.equal(true);
  });

  it('stream prints readable lines, without colors when stdout is not a terminal', async () => {
    const r = await run(['stream', '--count', '2', '--url', server.http(''), 'bars:MSFT:1']);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^bars:MSFT:1\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+O [\d.,]+\s+H/);
    expect(r.stdout).to.not.include('\x1b[');
  });

  it('stream: after a dropped connection each topic says "recovered" and continues without a gap; after a restart "lost continuity"', async () => {
    let own = await startServer({ websocket: { priceUpdateIntervalMs: 50, portfolioUpdateIntervalMs: 50 } });
    const port = own.port;
    const proxy = await tcpProxy(port);
    const cli = spawnCli(['stream', '--json', '--url', proxy.url, 'bars:AAPL:1', 'prices']);
    const seqs = (type: string) => cli.out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.type === type && m.seq !== undefined).map((m) => m.seq as number);
    try {
      await cli.until(() => seqs('bars.update').length >= 2 && seqs('price_update').length >= 1, 'bars and prices');
      proxy.cut();
      await cli.until(() => /recovered bars:AAPL:1 from seq \d+ \(\d+ replayed\)/.test(cli.out.stderr) && /recovered dashboard:prices from seq \d+/.test(cli.out.stderr), 'two "recovered" lines');
      const at = seqs('bars.update').at(-1)! + 3;
      await cli.until(() => (seqs('bars.update').at(-1) ?? 0) >= at, `bars seq ${at}`);
      const bars = seqs('bars.update');
      expect(bars, 'every bars.update once, in order, across the drop').to.deep.equal(Array.from({ length: bars.length }, (_, i) => bars[0]! + i));
      expect(cli.out.stderr).to.not.match(/lost continuity/);

      await own.stop();
      own = await startServer({ port, websocket: { priceUpdateIntervalMs: 50, portfolioUpdateIntervalMs: 50 } });
      await cli.until(() => /lost continuity on bars:AAPL:1 \(epoch\): snapshot follows/.test(cli.out.stderr) && /lost continuity on dashboard:prices \(epoch\): snapshot follows/.test(cli.out.stderr), 'two "lost continuity" lines');
      expect(await cli.stop()).to.equal(0);
    } finally {
      await cli.stop();
      await proxy.close();
      await own.stop();
    }
  });

  it('status prints GET /websocket/status readably', async () => {
    const r = await run(['status', '--url', server.http('')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/connections\s+\d+ \/ \d+/);
    expect(r.stdout).to.match(/market\s+SIMULATED  calendar always \(24\/7\)/);
    expect(r.stdout).to.match(/stream health/);
    expect(r.stdout).to.match(/prices|price_updates/);
    const raw = await run(['status', '--json', '--url', server.http('')]);
    expect(JSON.parse(raw.stdout)).to.have.property('max_connections');
  });

  it('backtest start follows the run to its metrics', async () => {
    const r = await run(['backtest', 'start', '--symbol', 'AAPL', '--from', '2024-01-02', '--to', '2024-01-05', '--strategies', 'ma_crossover', '--url', server.http('')], 40_000);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/backtest bt_\S+ started/);
    expect(r.stdout).to.match(/\[#{30}\] 100%/);
    expect(r.stdout).to.match(/backtest bt_\S+ complete/);
    expect(r.stdout).to.match(/total return\s+[-+][\d.]+%\s+buy & hold [-+][\d.]+%/);
    expect(r.stdout, 'a summary by default: no trade lines').to.not.match(/^\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2} (entry|exit)/m);
  });

  it('backtest start: a refused body is one clear line and exit 3', async () => {
    const r = await run(['backtest', 'start', '--symbol', 'ZZZZ', '--from', '2024-01-01', '--to', '2024-01-03', '--url', server.http('')]);
    expect(r.code).to.equal(3);
    expect(r.stderr.trim()).to.match(/^tickwire-cli: backtest refused \(HTTP 400\): INVALID_BODY: unknown symbol ZZZZ.* \(field symbol\)$/);
  });

  const badArgs: { given: string[]; want: RegExp }[] = [
    { given: [], want: /a command is required/ },
    { given: ['fly'], want: /unknown command "fly"/ },
    { given: ['stream'], want: /name at least one topic/ },
    { given: ['stream', 'bars:aapl:1'], want: /bad topic bars:aapl:1/ },
    { given: ['stream', 'weather'], want: /unknown topic "weather"/ },
    { given: ['stream', '--count', 'x', 'prices'], want: /--count/ },
    { given: ['status', '--bogus'], want: /--bogus/ },
    { given: ['backtest', 'start', '--symbol', 'AAPL'], want: /missing --from, --to/ },
    { given: ['backtest', 'stop'], want: /the subcommand is start, get, list or cancel, not "stop"/ },
    { given: ['status', '--url', 'nope'], want: /not a URL/ },
  ];
  for (const { given, want } of badArgs) {
    it(`bad arguments [${given.join(' ')}] → usage and exit 2`, async () => {
      const r = await run(given);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(want);
      expect(r.stderr).to.include('usage: tickwire-cli');
      expect(r.stdout).to.equal('');
    });
  }

  for (const args of [['status'], ['stream', 'bars:AAPL:1'], ['stream', 'prices'], ['backtest', 'start', '--symbol', 'AAPL', '--from', '2024-01-01', '--to', '2024-02-01']]) {
    it(`unreachable server: ${args.slice(0, 2).join(' ')} exits 1 with one clear line`, async () => {
      const port = await freePort();
      const r = await run([...args, '--url', `http://127.0.0.1:${port}`]);
      expect(r.code).to.equal(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.match(new RegExp(`^tickwire-cli: cannot (reach|connect to) \\S*127\\.0\\.0\\.1:${port}\\S* \\(ECONNREFUSED\\)`));
      expect(r.stderr).to.not.match(/\n\s+at /);
    });
  }
});
