/**
 * The dashboard with AUTH=jwt in chromium (issue 13): the page takes its token from its URL (and drops it from the
 * address bar); a full token sees the private portfolio, a token whose channels claim covers only market data does
 * not (prices and candles still show). The login box (src/dashboard/session.ts): a pasted token signs an anonymous
 * page in without reconnecting; on token_expiring the page asks the user (or the embedding page's hook) for a fresh
 * token and sends it on the same sockets, so the page stays connected past the first token's exp.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard } from '../../scripts/build-dashboard.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { AUDIENCE, hsToken, ISSUER, SECRET } from '../support/tokens.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('browser: the dashboard with AUTH=jwt', function () {
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does) or set CHROMIUM_PATH`);
    await buildDashboard();
    server = await startServer({
      auth: { mode: 'jwt', secret: SECRET, jwksUrl: undefined, audience: AUDIENCE, issuer: ISSUER, anonymousMarketData: false, privateSignals: false, expiryWarningMs: 60_000, clockToleranceS: 0 },
      websocket: { priceUpdateIntervalMs: 200, portfolioUpdateIntervalMs: 200 },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function open(token: string | undefined, init?: { refreshWith: string }): Promise<{ page: Page; errors: string[]; sockets: () => number }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    let sockets = 0;
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('websocket', () => sockets++);
    // An embedding page's refresh hook (e.g. its SSO helper), defined before the dashboard's script runs.
    if (init) await page.addInitScript((fresh: string) => { (window as any).tickwireRefreshToken = async () => fresh; }, init.refreshWith);
    await page.route('**/*', (route) => (route.request().url().startsWith(server.http('/')) ? route.continue() : route.abort()));
    await page.goto(server.http(`/?symbol=AAPL${token ? `&token=${encodeURIComponent(token)}` : ''}`));
    await page.waitForSelector('#conn-ws[data-state="open"]', { timeout: 10_000 });
    await page.waitForSelector('#conn-bars[data-state="open"]', { timeout: 10_000 });
    return { page, errors, sockets: () => sockets };
  }

  const equityShown = (page: Page) => page.waitForFunction(() => document.querySelector('#portfolio dd[data-field="equity"]')!.textContent !== '–', undefined, { timeout: 10_000 });

  it('a token from the page URL: private portfolio shown, prices and candles too; the token leaves the address bar', async () => {
    const { page, errors } = await open(await hsToken({ sub: 'alice' }));
    expect(await page.evaluate(() => location.href)).to.not.contain('token');
    await page.waitForFunction(() => document.querySelector('#portfolio dd[data-field="equity"]')!.textContent !== '–', undefined, { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('#prices tbody tr').length >= 5, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => Number(document.querySelector('#chart')!.getAttribute('data-candles')) >= 1, undefined, { timeout: 10_000 });
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('a token that covers only market data: prices and candles, but the portfolio stays empty', async () => {
    const { page, errors } = await open(await hsToken({ sub: 'mallory', channels: ['bars:*', 'dashboard:prices'] }));
    await page.waitForFunction(() => document.querySelectorAll('#prices tbody tr').length >= 5, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => Number(document.querySelector('#chart')!.getAttribute('data-candles')) >= 1, undefined, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 1000)); // several portfolio intervals
    expect(await page.textContent('#portfolio dd[data-field="equity"]')).to.equal('–');
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('login box: an anonymous page shows it; a pasted token brings the portfolio, prices and candles on the same sockets', async () => {
    const { page, errors, sockets } = await open(undefined);
    await page.waitForSelector('#auth[data-state="anonymous"]', { timeout: 10_000 });
    expect(await page.textContent('#portfolio dd[data-field="equity"]')).to.equal('–');
    await page.fill('#auth-token', await hsToken({ sub: 'alice' }));
    await page.click('#auth button[type="submit"]');
    await page.waitForSelector('#auth[data-state="signed-in"]', { timeout: 10_000 });
    expect(await page.textContent('#auth-status')).to.contain('alice');
    await equityShown(page);
    await page.waitForFunction(() => document.querySelectorAll('#prices tbody tr').length >= 5, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => Number(document.querySelector('#chart')!.getAttribute('data-candles')) >= 1, undefined, { timeout: 10_000 });
    expect(sockets(), 'no reconnect: still the first two WebSockets').to.equal(2);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('token_expiring: the box asks the user; a fresh token pasted there keeps both sockets open past the first exp', async () => {
    const expIn = 6;
    const first = await hsToken({ sub: 'alice', expIn });
    const exp = Date.now() + expIn * 1000;
    const { page, errors, sockets } = await open(first);
    await page.waitForSelector('#auth[data-state="expiring"]', { timeout: 10_000 }); // warning 60 s ahead: at once
    await page.fill('#auth-token', await hsToken({ sub: 'alice', expIn: 3600 }));
    await page.click('#auth button[type="submit"]');
    await page.waitForSelector('#auth[data-state="signed-in"]', { timeout: 10_000 });
    await page.waitForTimeout(Math.max(0, exp + 1500 - Date.now()));
    expect(await page.getAttribute('#conn-ws', 'data-state')).to.equal('open');
    expect(await page.getAttribute('#conn-bars', 'data-state')).to.equal('open');
    expect(sockets(), 'refreshed without reconnecting').to.equal(2);
    await equityShown(page);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('token_expiring with the embedding page\'s window.tickwireRefreshToken: refreshed with no user action, no reconnect', async () => {
    const expIn = 5;
    const exp = Date.now() + expIn * 1000;
    const { page, errors, sockets } = await open(await hsToken({ sub: 'alice', expIn }), { refreshWith: await hsToken({ sub: 'alice', expIn: 3600 }) });
    await page.waitForTimeout(Math.max(0, exp + 1500 - Date.now()));
    expect(await page.getAttribute('#auth', 'data-state')).to.equal('signed-in');
    expect(await page.getAttribute('#conn-ws', 'data-state')).to.equal('open');
    expect(await page.getAttribute('#conn-bars', 'data-state')).to.equal('open');
    expect(sockets()).to.equal(2);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('without a fresh token the sockets are closed at exp (4007) and the box says so', async () => {
    const { page } = await open(await hsToken({ sub: 'alice', expIn: 3 }));
    await page.waitForSelector('#auth[data-state="expiring"]', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('#conn-ws')!.getAttribute('data-state') !== 'open', undefined, { timeout: 10_000 });
    expect(await page.getAttribute('#auth', 'data-state')).to.equal('expiring');
    await page.close();
  });
});
