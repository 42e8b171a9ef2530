/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core loads `/` from a gateway with a
 * fast simulated market (600x clock: a 1-minute bar closes every 100 ms, so strategies signal within seconds) and
 * must show prices, candles and a signal. Saves test-artifacts/dashboard.png. Chromium missing = a failure.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard } from '../../scripts/build-dashboard.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { startServer, type TestServer } from '../support/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');

describe('browser: the dashboard page in chromium', function () {
  this.timeout(90_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does) or set CHROMIUM_PATH`);
    }
    await buildDashboard();
    const start = Date.now();
    const now = () => start + (Date.now() - start) * 600;
    const source = new SimulatedSource({ tickIntervalMs: 10, tickMarketMs: 6000, now, continueFromHistory: true });
    server = await startServer({ websocket: { priceUpdateIntervalMs: 200, portfolioUpdateIntervalMs: 200 } }, { source, now });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') pageErrors.push(`console.${msg.type()}: ${msg.text()}`);
    });
    // Loopback only: any request that is not to our server fails the test.
    await page.route('**/*', (route) => (route.request().url().startsWith(server.http('/')) ? route.continue() : route.abort()));
    await page.goto(server.http('/?symbol=AAPL&res=1'));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows both connections open', async () => {
    await page.waitForSelector('#conn-ws[data-state="open"]', { timeout: 10_000 });
    await page.waitForSelector('#conn-bars[data-state="open"]', { timeout: 10_000 });
  });

  it('shows live prices with change colors', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#prices tbody tr').length >= 5, undefined, { timeout: 10_000 });
    const rows = await page.$$eval('#prices tbody tr', (trs) => trs.map((tr) => ({
      symbol: (tr as HTMLElement).dataset.symbol,
      price: Number(tr.children[1]!.textContent!.replace(/,/g, '')),
      tone: tr.children[3]!.className,
    })));
    expect(rows.map((r) => r.symbol)).to.include('AAPL');
    for (const r of rows) expect(r.price).to.be.greaterThan(0);
    expect(rows.some((r) => r.tone === 'up' || r.tone === 'down'), 'change cells are colored').to.equal(true);
  });

  it('draws candles for bars:AAPL:1', async () => {
    await page.waitForFunction(() => Number(document.querySelector('#chart')!.getAttribute('data-candles')) >= 10, undefined, { timeout: 15_000 });
    expect(await page.locator('#chart canvas').count()).to.be.greaterThan(0);
    expect(await page.textContent('#chart-title')).to.contain('AAPL');
  });

  it('lists a strategy signal, and the portfolio', async () => {
    await page.waitForSelector('#signals li', { timeout: 30_000 });
    const text = await page.textContent('#signals li');
    expect(text).to.match(/BUY|SELL/);
    expect(text, 'the percentage says what it is').to.match(/confidence \d+%/);
    await page.waitForFunction(() => document.querySelector('#portfolio dd[data-field="equity"]')!.textContent !== '–', undefined, { timeout: 10_000 });
  });

  it('saves a screenshot to test-artifacts/dashboard.png', async () => {
    // Give the chart a moment to show markers if a signal for the charted symbol came in.
    await page.waitForFunction(() => Number(document.querySelector('#chart')!.getAttribute('data-markers')) > 0, undefined, { timeout: 15_000 }).catch(() => undefined);
    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).to.equal(true);
    expect(pageErrors, 'errors in the page').to.deep.equal([]);
  });

  it('reconnects by itself when the server restarts on the same port, and refills the chart (history lost: not resumed)', async () => {
    const port = server.port;
    // The chart is refilled (cleared to 0 candles, then backfilled) only when its topic is not resumed.
    await page.evaluate(() => {
      const chart = document.querySelector('#chart')!;
      new MutationObserver(() => {
        if (chart.getAttribute('data-candles') === '0') chart.setAttribute('data-cleared', 'yes');
      }).observe(chart, { attributes: true, attributeFilter: ['data-candles'] });
    });
    await server.stop();
    await page.waitForSelector('#conn-ws:not([data-state="open"])', { timeout: 10_000 });
    await page.waitForSelector('#conn-bars:not([data-state="open"])', { timeout: 10_000 });
    const start = Date.now();
    const now = () => start + (Date.now() - start) * 600;
    const source = new SimulatedSource({ tickIntervalMs: 10, tickMarketMs: 6000, now, continueFromHistory: true });
    server = await startServer({ port, websocket: { priceUpdateIntervalMs: 200, portfolioUpdateIntervalMs: 200 } }, { source, now });
    await page.waitForSelector('#conn-ws[data-state="open"]', { timeout: 15_000 });
    await page.waitForSelector('#conn-bars[data-state="open"]', { timeout: 15_000 });
    const cell = '#prices tr[data-symbol="AAPL"] td:nth-child(2)';
    const before = await page.textContent(cell);
    await page.waitForFunction(([sel, was]) => document.querySelector(sel!)!.textContent !== was, [cell, before], { timeout: 10_000 });
    await page.waitForFunction(() => Number(document.querySelector('#chart')!.getAttribute('data-candles')) >= 5, undefined, { timeout: 15_000 });
    // The new server has a new history (epoch): the client reports every topic as not resumed, and the page says so.
    await page.waitForSelector('#conn-bars[data-recovery="lost"]', { timeout: 10_000 });
    expect(await page.getAttribute('#chart', 'data-cleared'), 'the chart was refilled').to.equal('yes');
    await page.waitForSelector('#conn-ws[data-recovery="lost"]', { timeout: 10_000 });
    expect(await page.textContent('#signals li.gap')).to.match(/reconnected: signals missed meanwhile are not shown \(epoch\)/);
    // While the server was down the browser logs failed connection attempts; nothing else may go wrong.
    expect(pageErrors.filter((e) => !/WebSocket connection to .* failed/.test(e)), 'errors in the page').to.deep.equal([]);
  });
});
