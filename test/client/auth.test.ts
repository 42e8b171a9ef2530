/** The typed client and the CLI with AUTH=jwt (issue 13 item 5): token as a query parameter, refresh with auth, dev tokens. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JoseVerifier } from '../../src/auth/verifier-jose.ts';
import { connect } from '../../src/client/node.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { AUDIENCE, hsToken, ISSUER, SECRET } from '../support/tokens.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tickwire-cli.js');

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('client and CLI with AUTH=jwt', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startServer({
      auth: { mode: 'jwt', secret: SECRET, jwksUrl: undefined, audience: AUDIENCE, issuer: ISSUER, anonymousMarketData: false, privateSignals: false, expiryWarningMs: 1500, clockToleranceS: 0 },
      websocket: { priceUpdateIntervalMs: 100, portfolioUpdateIntervalMs: 100 },
    });
  });
  after(async () => server.stop());

  it('connect(…, {token, refreshToken}): private streams, and a refresh on token_expiring keeps the connection past exp', async () => {
    let refreshed = 0;
    const c = connect(server.http(''), '/ws', {
      token: await hsToken({ sub: 'alice', expIn: 3 }),
      refreshToken: async () => {
        refreshed++;
        return hsToken({ sub: 'alice', expIn: 3600 });
      },
    });
    try {
      const subs = new Promise<string[]>((resolve) => c.on('subscriptions', (m) => resolve(m.streams)));
      const authenticated = new Promise<string | undefined>((resolve) => c.on('authenticated', (m) => resolve(m.data.sub)));
      expect(await subs).to.deep.equal(['prices', 'signals', 'trades', 'portfolio']);
      expect(await authenticated).to.equal('alice');
      await new Promise((r) => setTimeout(r, 2500)); // past the first token's exp
      expect(refreshed).to.equal(1);
      expect(c.state).to.equal('open');
      expect(c.lastClose).to.equal(undefined);
    } finally {
      c.close();
    }
  });

  it('without refreshToken, a client closed with 4007 does not reconnect with the same (expired) token', async () => {
    const c = connect(server.http(''), '/api/v1/ws', { token: await hsToken({ sub: 'alice', expIn: 2 }) });
    try {
      const closed = new Promise<number>((resolve) => c.onClose((info) => resolve(info.code)));
      expect(await closed).to.equal(4007);
      await new Promise((r) => setTimeout(r, 600));
      expect(c.state).to.equal('closed');
    } finally {
      c.close();
    }
  });

  it('tickwire-cli token mints a dev token with AUTH_JWT_SECRET that the gateway accepts; --token streams a private stream', async () => {
    const minted = await cli(['token', '--sub', 'alice', '--ttl', '120', '--channels', 'dashboard:*'], { AUTH_JWT_SECRET: SECRET, AUTH_JWT_AUDIENCE: AUDIENCE, AUTH_JWT_ISSUER: ISSUER });
    expect(minted.code, minted.stderr).to.equal(0);
    const token = minted.stdout.trim();
    const checked = await new JoseVerifier({ secret: SECRET, audience: AUDIENCE, issuer: ISSUER }).verify(token);
    expect(checked.ok && checked.identity).to.deep.include({ sub: 'alice', channels: ['dashboard:*'] });
    const streamed = await cli(['--url', server.http(''), '--token', token, 'stream', 'portfolio', '--count', '1', '--json']);
    expect(streamed.code, streamed.stderr).to.equal(0);
    expect(JSON.parse(streamed.stdout.trim().split('\n')[0]!).type).to.equal('portfolio_update');
    const viewer = await cli(['token', '--sub', 'vic', '--roles', 'viewer'], { AUTH_JWT_SECRET: SECRET, AUTH_JWT_AUDIENCE: AUDIENCE, AUTH_JWT_ISSUER: ISSUER });
    const asViewer = await new JoseVerifier({ secret: SECRET, audience: AUDIENCE, issuer: ISSUER }).verify(viewer.stdout.trim());
    expect(asViewer.ok && asViewer.identity).to.deep.include({ sub: 'vic', roles: ['viewer'] });
    const noSecret = await cli(['token'], { AUTH_JWT_SECRET: '' });
    expect(noSecret.code).to.equal(2);
    expect(noSecret.stderr).to.contain('AUTH_JWT_SECRET');
  });
});
