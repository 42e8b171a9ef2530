/**
 * The hosted docs in a real browser (Debian's chromium via playwright-core, no network): the server view, the client
 * view and the HTTP API page render offline, show the key sections, the client quick start, expanded message
 * examples and rendered inline code (no literal backticks). Saves test-artifacts/docs-*.png.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type TestServer } from '../support/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');

describe('browser: the hosted contract docs in chromium', function () {
  this.timeout(90_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does) or set CHROMIUM_PATH`);
    }
    server = await startServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.route('**/*', (route) => (route.request().url().startsWith(server.http('/')) ? route.continue() : route.abort()));
    await mkdir(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('server view: quick start, endpoints, error codes, expanded examples, rendered inline code', async () => {
    await page.goto(server.http('/api/v1/ws/asyncapi'));
    await page.waitForFunction(() => document.body.innerText.includes('Quick start for a client'), undefined, { timeout: 20_000 });
    const text = await page.evaluate(() => document.body.innerText);
    for (const section of ['Quick start for a client', 'Endpoints', 'Positions and recovery', 'Evolution', 'Error codes', 'Close codes']) {
      expect(text, section).to.contain(section);
    }
    expect(text, 'no internal wording').to.not.match(/\bseed\b/i);
    // Inline code in descriptions is rendered as <code>, not shown with its backticks.
    expect(await page.locator('code', { hasText: 'bars.subscribe' }).count()).to.be.greaterThan(0);
    expect(text).to.not.contain('`bars.subscribe`');
    // ...and not decorated with backticks by the stylesheet either.
    const decorations = await page.evaluate(() => Array.from(document.querySelectorAll('code')).slice(0, 50)
      .map((c) => [getComputedStyle(c, '::before').content, getComputedStyle(c, '::after').content])
      .flat().filter((v) => v !== 'none' && v !== 'normal' && v !== '""'));
    expect(decorations, 'code decorated with pseudo-element content').to.deep.equal([]);
    // Message examples are expanded: an example payload is visible without a click.
    await page.getByText('"bars.subscribe"').first().waitFor({ state: 'visible', timeout: 10_000 });
    expect(text).to.contain('client view');
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs-server.png'), fullPage: false });
  });

  it('client view: send and receive from the client side', async () => {
    await page.goto(server.http('/api/v1/ws/asyncapi-client'));
    await page.waitForFunction(() => document.body.innerText.includes('client view'), undefined, { timeout: 20_000 });
    const text = await page.evaluate(() => document.body.innerText);
    // The server view shows barsSubscribe as REPLY (the gateway answers it); the client view as REQUEST.
    expect(text).to.match(/REQUEST \/api\/v1\/ws/);
    expect(text).to.not.match(/REPLY \/api\/v1\/ws/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs-client.png'), fullPage: false });
  });

  it('HTTP API page: operations and schemas', async () => {
    await page.goto(server.http('/api/docs'));
    const text = await page.evaluate(() => document.body.innerText);
    for (const s of ['Tickwire HTTP API', '/api/backtesting/start', '/health', '/websocket/status', 'BacktestStartRequest', 'BacktestMetrics']) expect(text, s).to.contain(s);
    // Prose is rendered (inline code as <code>); only the raw JSON schemas in <pre> keep their source text.
    const prose = await page.evaluate(() => Array.from(document.querySelectorAll('p, td')).map((e) => (e as HTMLElement).innerText).join('\n'));
    expect(prose).to.not.contain('`');
    expect(await page.locator('p code', { hasText: 'INVALID_BODY' }).count()).to.be.greaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs-http.png'), fullPage: false });
    expect(pageErrors, 'page errors').to.deep.equal([]);
  });
});
