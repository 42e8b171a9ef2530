/**
 * A real account is never traded by accident (issue 13): the whole gateway built from the environment with
 * MARKET_SOURCE=ibkr over the fake TWS. A strategy signal arrives, and without the opt-in (TRADING_AUTO_TRADE unset),
 * or on a live account (not DU…) without TRADING_LIVE_ORDERS=yes, placeOrder is never sent to TWS.
 * (test/e2e/ibkr.test.ts shows the opposite: auto-trading set on a paper account does place the order.)
 */
import { expect } from 'chai';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { nextTradingDay, US_EQUITY_SESSION, DAY_MS } from '../../src/market/session.ts';
import { FakeTws, type FakeBar } from '../fakes/fake-tws.ts';
import { TestClient } from '../support/client.ts';

const T0 = nextTradingDay(US_EQUITY_SESSION, Date.now() + DAY_MS).start;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
/** Same shape as ibkr.test.ts: 16 falling minutes (RSI 0), then a jump: RSI crosses 30 upwards, a BUY. */
function aaplBar(i: number): FakeBar {
  const level = (k: number) => (k < 192 ? 100 - (0.1 * k) / 12 : k < 204 ? 98.4 + (1.5 * (k - 192)) / 12 : 99.9 + (0.01 * (k - 204)) / 12);
  const open = round4(level(i));
  const close = round4(level(i + 1));
  return { time: (T0 + i * 5000) / 1000, open, close, high: round4(Math.max(open, close) + 0.02), low: round4(Math.min(open, close) - 0.02), volume: (i % 7) + 1 };
}

async function run(env: Record<string, string>, accounts: string[]): Promise<{ placed: number; logs: string[]; banner: string }> {
  const fake = await FakeTws.start({ accounts });
  fake.quotes.set('AAPL', { last: 190.5, close: 188 });
  const logs: string[] = [];
  let app: App | undefined;
  let d: TestClient | undefined;
  try {
    const loaded = loadConfig({ PORT: '0', HOST: '127.0.0.1', MARKET_SOURCE: 'ibkr', MARKET_SYMBOLS: 'AAPL', IBKR_PORT: String(fake.port), ...env });
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    app = buildApp(loaded.config, { log: (l) => logs.push(l) });
    await app.start();
    d = await TestClient.open(`ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws`);
    await d.next((m) => m.type === 'subscriptions');
    await fake.waitForRequest('reqRealTimeBars', { timeoutMs: 5000 });
    const reqId = Number(fake.requestsOf('reqRealTimeBars').filter((q) => q.f.symbol === 'AAPL').at(-1)!.f.reqId);
    for (let i = 0; i < 204; i++) fake.realtimeBar(reqId, aaplBar(i));
    const s = await d.next((m) => m.type === 'signal', { timeoutMs: 10_000, what: 'the BUY signal' });
    expect(s).to.deep.include({ signal_type: 'BUY', symbol: 'AAPL' });
    await new Promise((r) => setTimeout(r, 500)); // an order would have been sent by now (the trade stream acts at once)
    return { placed: fake.requestsOf('placeOrder').length, logs, banner: app.orders!.describe() };
  } finally {
    d?.close();
    await app?.stop();
    await fake.close();
  }
}

describe('e2e: IB safety — no order without the opt-in (fake TWS)', function () {
  this.timeout(30_000);

  it('TRADING_AUTO_TRADE unset with MARKET_SOURCE=ibkr: a BUY signal, and placeOrder is never sent', async () => {
    const { placed, banner } = await run({}, ['DU1234567']);
    expect(placed).to.equal(0);
    expect(banner).to.contain('orders: NONE are placed - auto-trading is off');
    expect(banner).to.contain('paper account DU1234567');
  });

  it('TRADING_AUTO_TRADE=true on a live account (U…) without TRADING_LIVE_ORDERS=yes: placeOrder is never sent, and the log says why', async () => {
    const { placed, logs, banner } = await run({ TRADING_AUTO_TRADE: 'true' }, ['U7654321']);
    expect(placed).to.equal(0);
    expect(logs.join('\n')).to.match(/orders: BUY AAPL not placed: account U7654321 .* is live and TRADING_LIVE_ORDERS is not yes/);
    expect(banner).to.contain('NONE are placed - IB LIVE account U7654321');
  });

  it('control: TRADING_AUTO_TRADE=true and TRADING_LIVE_ORDERS=yes on that live account places the order, and the banner says LIVE', async () => {
    const { placed, banner } = await run({ TRADING_AUTO_TRADE: 'true', TRADING_LIVE_ORDERS: 'yes' }, ['U7654321']);
    expect(placed).to.equal(1);
    expect(banner).to.contain('REAL orders at IB, LIVE account U7654321');
  });
});
