/**
 * Safe defaults at startup (issue 13), as a subprocess of src/main.ts: a non-loopback HOST without AUTH refuses to
 * start (exit 2) saying what to set; AUTH=jwt without a key too; auto-trading on a live IB port without the
 * acknowledgement too. The banner says whether orders can be placed and how clients authenticate.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../support/spec.ts';

function runMain(env: Record<string, string>, untilLine?: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AUTH|HOST|TRADING_|MARKET_|IBKR_|ALLOWED_ORIGINS)/.test(k)));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'main.ts')], { cwd: repoRoot, env: { ...clean, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (untilLine && untilLine.test(output)) child.kill('SIGTERM');
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('e2e: startup safety (src/main.ts as a subprocess)', function () {
  this.timeout(30_000);

  it('HOST=0.0.0.0 without AUTH exits 2 with a message saying what to set', async () => {
    const { code, output } = await runMain({ HOST: '0.0.0.0' });
    expect(code).to.equal(2);
    expect(output).to.contain('HOST=0.0.0.0 is not a loopback address, so AUTH must be set');
    expect(output).to.contain('AUTH=jwt with AUTH_JWT_SECRET');
    expect(output).to.contain('AUTH=none to run an open gateway on purpose');
  });

  it('AUTH=jwt without a key exits 2 naming AUTH_JWT_SECRET / AUTH_JWKS_URL', async () => {
    const { code, output } = await runMain({ HOST: '127.0.0.1', AUTH: 'jwt' });
    expect(code).to.equal(2);
    expect(output).to.match(/AUTH=jwt needs a key: AUTH_JWT_SECRET .* or AUTH_JWKS_URL/);
  });

  it('MARKET_SOURCE=ibkr, TRADING_AUTO_TRADE=true on live port 4001 without TRADING_LIVE_ORDERS=yes exits 2', async () => {
    const { code, output } = await runMain({ HOST: '127.0.0.1', MARKET_SOURCE: 'ibkr', IBKR_PORT: '4001', TRADING_AUTO_TRADE: 'true' });
    expect(code).to.equal(2);
    expect(output).to.contain('would place REAL orders: set TRADING_LIVE_ORDERS=yes');
  });

  it('the loopback default starts with AUTH=none and says so, and what the orders are', async () => {
    const { output } = await runMain({ HOST: '127.0.0.1' }, /orders: .*\n/);
    expect(output).to.contain('auth        none');
    expect(output).to.contain('orders: auto-trading ON with the paper venue (simulated market; no real orders)');
  });

  it('AUTH=jwt with a secret on 0.0.0.0 starts and says so', async () => {
    const { output } = await runMain({ HOST: '0.0.0.0', AUTH: 'jwt', AUTH_JWT_SECRET: 'x'.repeat(32) }, /orders: .*\n/);
    expect(output).to.contain('auth        jwt (HS256 secret); anonymous market data: no');
    expect(output).to.not.contain('x'.repeat(32));
  });
});
