/**
 * The dashboard's charting parts in chromium: the first chart page from bars.history (300 bars, the forming one
 * last), scroll-back loading older bars when the user drags the chart to the left edge, and the symbol view (order
 * book levels and the tape) following the charted symbol. Chromium missing = a failure (as the dashboard test).
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard } from '../../scripts/build-dashboard.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { startServer, type TestServer } from '../support/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('browser: chart scroll-back, book and tape', function () {
  this.timeout(90_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
    await buildDashboard();
    const source = new SimulatedSource({ tickIntervalMs: 50, continueFromHistory: true });
    server = await startServer({}, { source });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console.error: ${msg.text()}`);
    });
    await page.route('**/*', (route) => (route.request().url().startsWith(server.http('/')) ? route.continue() : route.abort()));
    await page.goto(server.http('/?symbol=AAPL&res=1'));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('draws the first page of history (300 bars) from bars.history', async () => {
    await page.waitForFunction(() => Number(document.querySelector('#chart')!.getAttribute('data-candles')) >= 300, undefined, { timeout: 20_000 });
  });

  it('loads older bars when the chart is dragged to its left edge', async () => {
    const oldest = Number(await page.getAttribute('#chart', 'data-oldest'));
    const box = (await page.locator('#chart').boundingBox())!;
    for (let i = 0; i < 12; i++) {
      await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      const now = Number(await page.getAttribute('#chart', 'data-oldest'));
      if (now < oldest) break;
    }
    await page.waitForFunction((o) => Number(document.querySelector('#chart')!.getAttribute('data-oldest')) < o, oldest, { timeout: 10_000 });
    const candles = Number(await page.getAttribute('#chart', 'data-candles'));
    expect(candles).to.be.at.least(600);
    expect(oldest - Number(await page.getAttribute('#chart', 'data-oldest'))).to.be.at.least(300 * 60_000);
  });

  it('shows the order book (10 levels a side) and the tape of the charted symbol, and follows a symbol change', async () => {
    await page.waitForFunction(() => document.querySelector('#depth-panel')?.getAttribute('data-levels') === '20', undefined, { timeout: 15_000 });
    await page.waitForFunction(() => Number(document.querySelector('#depth-panel')?.getAttribute('data-trades') ?? 0) >= 3, undefined, { timeout: 15_000 });
    const bestBid = Number(await page.textContent('#depth-panel .bid tr td'));
    const bestAsk = Number(await page.textContent('#depth-panel .ask tr td'));
    expect(bestBid).to.be.greaterThan(0);
    expect(bestAsk).to.be.greaterThan(bestBid);
    await page.selectOption('#symbol', 'MSFT').catch(async () => {
      await page.goto(server.http('/?symbol=MSFT&res=1'));
    });
    await page.waitForFunction(() => document.querySelector('#depth-panel .sym')?.textContent?.includes('MSFT'), undefined, { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('#depth-panel')?.getAttribute('data-levels') === '20', undefined, { timeout: 15_000 });
    expect(pageErrors).to.deep.equal([]);
  });
});
