/** tickwire-cli backtest start|get|list|cancel as a subprocess against a real gateway: flags, output, exit codes. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sparkline, tradesCsv } from '../../src/cli/backtest.ts';
import { startServer, type TestServer } from '../support/server.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tickwire-cli.js');

function run(args: string[], timeoutMs = 40_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tickwire-cli ${args.join(' ')} did not exit in ${timeoutMs} ms; stderr: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('cli: backtest commands', function () {
  this.timeout(90_000);
  let server: TestServer;
  let dir: string;
  let id: string;
  const url = () => ['--url', server.http('')];

  before(async () => {
    server = await startServer();
    dir = mkdtempSync(path.join(tmpdir(), 'tickwire-cli-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  });

  it('start --trades --capital --fee-bps --slippage-bps --calendar --csv: summary, every trade, two CSV files', async () => {
    const prefix = path.join(dir, 'run');
    const r = await run(['backtest', 'start', '--symbol', 'AAPL', '--from', '2024-01-02', '--to', '2024-01-04', '--strategies', 'ma_crossover,rsi',
      '--capital', '50000', '--fee-bps', '5', '--slippage-bps', '2', '--calendar', 'exchange', '--trades', '--csv', prefix, ...url()]);
    expect(r.code, r.stderr).to.equal(0);
    id = /backtest (bt_\S+) started/.exec(r.stderr)![1]!;
    expect(r.stdout).to.match(/backtest bt_\S+ complete \(1170 candles/); // 3 NYSE sessions × 390
    expect(r.stdout).to.match(/buy & hold [-+][\d.]+%\s+excess [-+][\d.]+%/);
    expect(r.stdout).to.match(/equity\s+[▁▂▃▄▅▆▇█]{10,}/);
    expect(r.stdout).to.match(/fees\s+[\d,.]+/);
    const listed = r.stdout.split('\n').filter((l) => /^\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} (entry|exit)/.test(l));
    expect(listed.length).to.be.greaterThan(1);
    expect(r.stdout).to.match(new RegExp(`trades \\(${listed.length}\\)`));
    for (const l of listed) expect(l).to.match(/fee [\d,.]+/);
    const trades = readFileSync(`${prefix}.trades.csv`, 'utf8').trim().split('\n');
    expect(trades[0]).to.equal('time,time_ms,action,side,symbol,price,quantity,fee,pnl,strategy_id,reason');
    expect(trades.length - 1).to.equal(listed.length);
    const equity = readFileSync(`${prefix}.equity.csv`, 'utf8').trim().split('\n');
    expect(equity[0]).to.equal('time,time_ms,equity,drawdown,benchmark');
    expect(equity.length).to.be.greaterThan(10);
    expect(r.stderr).to.include(`wrote ${prefix}.trades.csv and ${prefix}.equity.csv`);
  });

  it('get ID: settings and the same summary; --trades lists them; --json is the raw run', async () => {
    const r = await run(['backtest', 'get', id, ...url()]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`backtest ${id} completed`));
    expect(r.stdout).to.include('capital 50,000.00  fee 5 bp  slippage 2 bp');
    expect(r.stdout).to.include('exchange calendar');
    expect(r.stdout).to.match(/trades\s+\d+ fills \(--trades lists them\)/);
    const withTrades = await run(['backtest', 'get', id, '--trades', ...url()]);
    expect(withTrades.stdout).to.match(/trades \(\d+\)\n\s+\d{4}-\d{2}-\d{2}/);
    const json = await run(['backtest', 'get', id, '--json', ...url()]);
    expect(JSON.parse(json.stdout)).to.include({ backtest_id: id, status: 'completed', fee_bps: 5 });
  });

  it('list: the runs, newest first (and --json)', async () => {
    const r = await run(['backtest', 'list', '--limit', '10', ...url()]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`^${id}\\s+completed\\s+AAPL`, 'm'));
    const json = JSON.parse((await run(['backtest', 'list', '--json', ...url()])).stdout);
    expect(json.runs.map((x: any) => x.backtest_id)).to.include(id);
  });

  it('cancel of a finished run and get of an unknown id are refused by the server: exit 3 with its error', async () => {
    const c = await run(['backtest', 'cancel', id, ...url()]);
    expect(c.code).to.equal(3);
    // 409 BACKTEST_NOT_RUNNING once the cancel route exists; 404 from a server without it.
    expect(c.stderr.trim()).to.match(new RegExp(`^tickwire-cli: cancel ${id} refused \\(HTTP (409|404)\\): [A-Z_]+: `));
    const g = await run(['backtest', 'get', 'bt_20240101_000000_000000', ...url()]);
    expect(g.code).to.equal(3);
    expect(g.stderr.trim()).to.match(/^tickwire-cli: backtest bt_20240101_000000_000000 refused \(HTTP 404\): (UNKNOWN_BACKTEST|NOT_FOUND): /);
  });

  it('a 429 says when to retry (Retry-After) and exits 3', async () => {
    const own = await startServer({ backtest: { maxConcurrent: 1 } });
    try {
      const body = { name: 'hold', symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-02', strategy_ids: ['rsi'] };
      const first = await fetch(own.http('/api/backtesting/start'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(first.status).to.equal(202); // queued until a stream client comes or its grace period ends
      const r = await run(['backtest', 'start', '--symbol', 'AAPL', '--from', '2024-01-02', '--to', '2024-01-02', '--url', own.http('')]);
      expect(r.code).to.equal(3);
      expect(r.stderr.trim()).to.match(/^tickwire-cli: backtest refused \(HTTP 429\): TOO_MANY_BACKTESTS: .*; retry after \d+ s$/);
    } finally {
      await own.stop();
    }
  });

  it('reports every bad value at once, saying what is wrong, and exits 2 without calling the server', async () => {
    const r = await run(['backtest', 'start', '--symbol', 'aapl', '--from', '2024-13-01', '--to', '2024-01-01', '--capital=-5', '--fee-bps', 'x', '--slippage-bps', '2000', '--calendar', 'nyse', '--url', 'http://127.0.0.1:9']);
    expect(r.code).to.equal(2);
    for (const want of [
      "backtest start: symbol 'aapl' must be upper case: AAPL",
      "backtest start: --from '2024-13-01' is not a date: use YYYY-MM-DD",
      "backtest start: --capital '-5' must be a number above 0 to 1000000000000",
      "backtest start: --fee-bps 'x' must be a number from 0 to 1000",
      "backtest start: --slippage-bps '2000' must be a number from 0 to 1000",
      "backtest start: --calendar 'nyse' must be exchange",
    ]) expect(r.stderr).to.include(`tickwire-cli: ${want}`);
    expect(r.stderr).to.include('usage: tickwire-cli');
    const order = await run(['backtest', 'start', '--symbol', 'AAPL', '--from', '2024-03-01', '--to', '2024-01-01', '--url', 'http://127.0.0.1:9']);
    expect(order.code).to.equal(2);
    expect(order.stderr).to.include('--to 2024-01-01 is before --from 2024-03-01');
  });

  const usage: { given: string[]; want: RegExp }[] = [
    { given: ['backtest', 'get'], want: /backtest get: name the run/ },
    { given: ['backtest', 'get', 'nope'], want: /'nope' is not a backtest id like bt_/ },
    { given: ['backtest', 'cancel'], want: /backtest cancel: name the run/ },
    { given: ['backtest', 'list', '--limit', '0'], want: /--limit '0' must be a number from 1 to 100/ },
    { given: ['backtest', 'list', '--trades'], want: /backtest list: unexpected --trades/ },
    { given: ['backtest', 'cancel', 'bt_20240101_000000_000000', '--csv', 'x'], want: /backtest cancel: unexpected --csv/ },
    { given: ['backtest', 'get', 'bt_20240101_000000_000000', 'extra'], want: /backtest get: unexpected extra/ },
    { given: ['backtest'], want: /the subcommand is start, get, list or cancel$/m },
  ];
  for (const { given, want } of usage) {
    it(`usage [${given.join(' ')}] → exit 2`, async () => {
      const r = await run(given);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(want);
      expect(r.stdout).to.equal('');
    });
  }

  it('--csv to a folder that does not exist: exit 2 naming the files', async () => {
    const r = await run(['backtest', 'get', id, '--csv', path.join(dir, 'missing', 'x'), ...url()]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--csv: cannot write .*missing.x\.\*\.csv \(ENOENT\)/);
  });

  for (const args of [['backtest', 'get', 'bt_20240101_000000_000000'], ['backtest', 'list'], ['backtest', 'cancel', 'bt_20240101_000000_000000']]) {
    it(`unreachable server: ${args.slice(0, 2).join(' ')} exits 1 with one line`, async () => {
      const port = await freePort();
      const r = await run([...args, '--url', `http://127.0.0.1:${port}`]);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    });
  }
});

describe('cli: backtest output helpers', () => {
  it('sparkline scales from min to max in at most `width` cells', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).to.equal('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5, 5])).to.equal('▄▄▄');
    expect(sparkline(Array.from({ length: 1000 }, (_, i) => i), 40)).to.have.length(40);
    expect(sparkline([])).to.equal('');
  });
  it('CSV cells with commas or quotes are quoted', () => {
    const csv = tradesCsv([{ action: 'exit', side: 'SELL', symbol: 'AAPL', price: 1, quantity: 2, time: 0, fee: 0.1, pnl: 3, strategy_id: 'rsi', reason: 'RSI "70", crossed' }]);
    expect(csv.split('\n')[1]).to.equal('1970-01-01T00:00:00.000Z,0,exit,SELL,AAPL,1,2,0.1,3,rsi,"RSI ""70"", crossed"');
  });
});
