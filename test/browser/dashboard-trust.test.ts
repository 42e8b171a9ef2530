/**
 * The dashboard's trust features and the backtest page in chromium (issue 17): candles with bodies on a market
 * sped up 60x (MARKET_SPEED=60), the SIMULATED badge, empty states, the stale state while the server is down (and
 * cleared when it is back), no horizontal scroll at 390 px, the favicon, and the backtest page running a backtest to
 * the end with its equity curve. Screenshots go to test-artifacts/; UPDATE_DOCS_SCREENSHOTS=1 also refreshes
 * docs/backtest.png (the README's picture).
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard } from '../../scripts/build-dashboard.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { startServer, type TestServer } from '../support/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const DOCS = path.resolve('docs');

/** The simulated market exactly as MARKET_SPEED=60 builds it (src/create-market.ts): 1 s ticks of one market minute. */
function speed60(): { source: SimulatedSource; now: () => number } {
  const start = Date.now();
  const now = () => start + (Date.now() - start) * 60;
  return { source: new SimulatedSource({ tickIntervalMs: 1000, tickMarketMs: 60_000, now, continueFromHistory: true }), now };
}

describe('browser: dashboard trust and the backtest page in chromium', function () {
  this.timeout(120_000);
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const serverOptions = { websocket: { priceUpdateIntervalMs: 500, portfolioUpdateIntervalMs: 500 }, market: { speed: 60, calendar: 'always' as const } };

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
    await buildDashboard();
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startServer(serverOptions, speed60());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') pageErrors.push(`console.${msg.type()}: ${msg.text()}`);
    });
    await page.route('**/*', (route) => (route.request().url().startsWith(server.http('/')) ? route.continue() : route.abort()));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('before any data: empty states say what the panels wait for; the badge says SIMULATED with its calendar and speed', async () => {
    // A page whose WebSockets open but carry nothing (mocked) and whose backfill is empty: the panels still say what
    // they wait for.
    const quiet = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await quiet.routeWebSocket(/\/(ws|api\/v1\/ws)(\?|$)/, () => undefined);
      await quiet.route('**/dashboard/api/bars*', (route) => route.fulfill({ json: { bars: [] } }));
      await quiet.goto(server.http('/?symbol=AAPL&res=1'));
      const before = (sel: string) => quiet.evaluate((s) => getComputedStyle(document.querySelector(s)!, s === '#chart' ? '::after' : '::before').content, sel);
      expect(await before('#signals')).to.match(/Waiting for a strategy signal/);
      expect(await before('#trades')).to.match(/Waiting for the first paper trade/);
      expect(await before('#prices tbody')).to.match(/Waiting for the first prices/);
      expect(await before('#positions tbody')).to.match(/No open positions/);
      expect(await before('#chart')).to.match(/Waiting for bars/);
      expect(await quiet.textContent('[data-updated="signals"]')).to.equal('waiting…');
      await quiet.screenshot({ path: path.join(ARTIFACTS, 'dashboard-empty.png') });
    } finally {
      await quiet.close();
    }
    await page.goto(server.http('/?symbol=AAPL&res=1'));
    await page.waitForFunction(() => document.querySelector('#mode')!.getAttribute('data-mode') === 'simulated', undefined, { timeout: 10_000 });
    expect(await page.textContent('#mode b')).to.equal('SIMULATED · 24/7 · ×60');
    expect(await page.innerText('#chart-title'), 'as rendered (no upper-casing: 1M would read as a month)').to.equal('AAPL · 1m');
  });

  it('draws live 1-minute candles with bodies and wicks at MARKET_SPEED=60', async () => {
    await page.waitForSelector('#conn-bars[data-state="open"]', { timeout: 10_000 });
    await page.waitForFunction(() => JSON.parse(document.querySelector('#chart')!.getAttribute('data-live-closed') ?? '[]').length >= 4, undefined, { timeout: 30_000 });
    const closed = JSON.parse((await page.getAttribute('#chart', 'data-live-closed'))!) as [number, number, number, number][];
    for (const [open, high, low, close] of closed) {
      expect(high, 'a wick: high above low').to.be.greaterThan(low);
      expect(high).to.be.at.least(Math.max(open, close));
      expect(low).to.be.at.most(Math.min(open, close));
    }
    expect(closed.filter(([open, , , close]) => open !== close).length, 'bodies: open differs from close').to.be.at.least(closed.length - 1);
    await page.waitForFunction(() => /updated/.test(document.querySelector('[data-updated="bars"]')!.textContent!), undefined, { timeout: 5000 });
    await page.waitForFunction(() => /updated/.test(document.querySelector('[data-updated="prices"]')!.textContent!), undefined, { timeout: 5000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-speed60.png') });
  });

  it('serves a favicon (no 404 for /favicon.ico)', async () => {
    const res = await fetch(server.http('/favicon.ico'));
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^image\/svg\+xml/);
    expect(await page.getAttribute('link[rel="icon"]', 'href')).to.equal('/dashboard/favicon.svg');
  });

  it('dims the page and says "Disconnected since …" while the server is down, and clears when it is back', async () => {
    await page.waitForSelector('#conn-ws[data-state="open"]', { timeout: 10_000 });
    expect(await page.getAttribute('body', 'data-stale')).to.equal(null);
    expect(await page.isHidden('#stale')).to.equal(true);
    const port = server.port;
    await server.stop();
    await page.waitForSelector('body[data-stale="true"]', { timeout: 10_000 });
    expect(await page.isVisible('#stale')).to.equal(true);
    expect(await page.textContent('#stale')).to.match(/^Disconnected since \d{2}:\d{2}:\d{2}: the data below may be stale\.$/);
    // The dimming is a 0.3-s CSS transition: wait for it to end rather than read the opacity mid-way.
    await page.waitForFunction(() => Number(getComputedStyle(document.querySelector('main')!).opacity) < 0.6, undefined, { timeout: 5000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stale.png') });
    server = await startServer({ ...serverOptions, port }, speed60());
    await page.waitForFunction(() => !document.body.hasAttribute('data-stale'), undefined, { timeout: 20_000 });
    expect(await page.isHidden('#stale')).to.equal(true);
    await page.waitForFunction(() => Number(getComputedStyle(document.querySelector('main')!).opacity) === 1, undefined, { timeout: 5000 });
  });

  it('has no horizontal scroll at 390 px (dashboard and backtest page)', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      for (const url of ['/?symbol=AAPL&res=1', '/backtest']) {
        await phone.goto(server.http(url));
        await phone.waitForLoadState('load');
        await phone.waitForTimeout(300); // layout after the charts size themselves (autoSize)
        const widths = await phone.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
        expect(widths.scroll, `${url}: page width ${widths.scroll} > viewport ${widths.client}`).to.be.at.most(widths.client);
        const chart = await phone.evaluate(() => (document.querySelector('#chart, #bt-price') as HTMLElement).getBoundingClientRect().width);
        expect(chart, 'the chart uses the width of the phone').to.be.greaterThan(300);
        await phone.screenshot({ path: path.join(ARTIFACTS, `phone-${url === '/backtest' ? 'backtest' : 'dashboard'}.png`), fullPage: true });
      }
    } finally {
      await phone.close();
    }
  });

  it('the backtest page runs a backtest to the end: progress, trades on the price chart, equity and drawdown, the runs table', async () => {
    await page.goto(server.http('/backtest'));
    await page.fill('input[name="start_date"]', '2024-01-02');
    await page.fill('input[name="end_date"]', '2024-01-12');
    await page.fill('input[name="fee_bps"]', '2');
    await page.click('#bt-start');
    await page.waitForSelector('#bt-status[data-status="running"]', { timeout: 10_000 });
    await page.waitForSelector('#bt-status[data-status="completed"]', { timeout: 60_000 });
    expect(await page.getAttribute('#bt-progress', 'data-pct')).to.equal('100');
    await page.waitForFunction(() => Number(document.querySelector('#bt-price')!.getAttribute('data-candles')) > 100, undefined, { timeout: 10_000 });
    expect(Number(await page.getAttribute('#bt-equity', 'data-points'))).to.be.at.least(10);
    expect(Number(await page.getAttribute('#bt-drawdown', 'data-points'))).to.be.at.least(10);
    expect(Number(await page.getAttribute('#bt-price', 'data-markers'))).to.be.greaterThan(0);
    expect(await page.textContent('#bt-metrics')).to.match(/Buy & hold[-+][\d.]+%/);
    expect(await page.locator('#bt-equity canvas').count()).to.be.greaterThan(0);
    await page.waitForSelector('#bt-runs tbody tr', { timeout: 10_000 });
    expect(await page.textContent('#bt-runs tbody tr')).to.match(/AAPL.*2024-01-02\.\.2024-01-12/);
    const file = path.join(ARTIFACTS, 'backtest.png');
    await page.screenshot({ path: file, fullPage: true });
    // The README's picture: refreshed on request only, so a test run leaves the work tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') await copyFile(file, path.join(DOCS, 'backtest.png'));
    expect(pageErrors.filter((e) => !/WebSocket connection to .* failed/.test(e)), 'errors in the page').to.deep.equal([]);
  });

  it('the backtest form shows the server\'s refusal in words', async () => {
    await page.fill('input[name="symbol"]', 'ZZZZ');
    await page.click('#bt-start');
    await page.waitForSelector('#bt-error:not([hidden])', { timeout: 10_000 });
    expect(await page.textContent('#bt-error')).to.match(/unknown symbol ZZZZ.*\(symbol\)/);
  });
});
