/**
 * The dashboard with AUTH=jwt in chromium (issue 13): the page takes its token from its URL (and drops it from the
 * address bar); a full token sees the private portfolio, a token whose channels claim covers only market data does
 * not (prices and candles still show).
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
      auth: { mode: 'jwt', secret: SECRET, jwksUrl: undefined, audience: AUDIENCE, issuer: ISSUER, anonymousMarketData: false, privateSignals: false, expiryWarningMs: 60_000 },
      websocket: { priceUpdateIntervalMs: 200, portfolioUpdateIntervalMs: 200 },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function open(token: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.route('**/*', (route) => (route.request().url().startsWith(server.http('/')) ? route.continue() : route.abort()));
    await page.goto(server.http(`/?symbol=AAPL&token=${encodeURIComponent(token)}`));
    await page.waitForSelector('#conn-ws[data-state="open"]', { timeout: 10_000 });
    await page.waitForSelector('#conn-bars[data-state="open"]', { timeout: 10_000 });
    return { page, errors };
  }

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
});
