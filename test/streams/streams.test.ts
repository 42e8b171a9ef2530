import { RecordingSubscriber } from '../support/subscriber.ts';
import { expect } from 'chai';
import type { Bar, BarListener, MarketSource, Quote, Resolution } from '../../src/market/source.ts';
import { MemoryBroker } from '../../src/pubsub/broker-memory.ts';
import { Hub } from '../../src/pubsub/hub.ts';
import { PortfolioStream } from '../../src/streams/portfolio-stream.ts';
import { PriceStream } from '../../src/streams/price-stream.ts';
import { SignalStream } from '../../src/streams/signal-stream.ts';
import type { StreamContext } from '../../src/streams/stream.ts';
import { TradeStream } from '../../src/streams/trade-stream.ts';
import { dashboardTopic } from '../../src/streams/topics.ts';
import { PaperVenue } from '../../src/trading/venue-paper.ts';
import { Portfolio } from '../../src/trading/portfolio.ts';
import type { Strategy, StrategySignal } from '../../src/trading/strategy.ts';
import { StrategyEvaluator } from '../../src/trading/strategy-evaluator.ts';
import { checkMessage } from '../../generated/runtime.ts';
import { dashboardOutbound } from '../../generated/messages.ts';
import { waitUntil } from '../support/wait.ts';

/** A hand-driven source: tests set quotes and push bars. */
class FakeSource implements MarketSource {
  readonly name = 'simulated' as const;
  readonly quotes = new Map<string, Quote>();
  private readonly listeners = new Map<string, Set<BarListener>>();
  constructor(private readonly list: string[], private readonly historyBars: Bar[] = []) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  symbols(): readonly string[] { return this.list; }
  hasSymbol(s: string): boolean { return this.list.includes(s); }
  subscribeBars(symbol: string, res: Resolution, l: BarListener): () => void {
    const k = `${symbol}:${res}`;
    if (!this.listeners.has(k)) this.listeners.set(k, new Set());
    this.listeners.get(k)!.add(l);
    return () => this.listeners.get(k)!.delete(l);
  }
  push(symbol: string, bar: Bar, closed: boolean): void {
    for (const l of this.listeners.get(`${symbol}:1`) ?? []) l(bar, closed);
  }
  currentBar(): Bar | undefined { return undefined; }
  quote(s: string): Quote | undefined { return this.quotes.get(s); }
  setPrice(symbol: string, price: number, previousClose = 100): void {
    const change = price - previousClose;
    this.quotes.set(symbol, { symbol, price, change, change_pct: Math.round((change / previousClose) * 10_000) / 100, previous_close: previousClose, time: Date.now(), delayed: false });
  }
  async history(): Promise<Bar[]> { return this.historyBars; }
  onHealth(): () => void { return () => undefined; }
}

class Recorder extends RecordingSubscriber {
  constructor() {
    super('rec', () => { throw new Error('continuity lost'); });
  }
}

function ctx(): StreamContext & { updates: number; errors: unknown[] } {
  const c = { updates: 0, errors: [] as unknown[], update() { c.updates++; }, error(e: unknown) { c.errors.push(e); }, fail(e: unknown) { c.errors.push(e); } };
  return c;
}

async function setup(topic: 'prices' | 'signals' | 'trades' | 'portfolio') {
  const hub = new Hub(new MemoryBroker());
  const rec = new Recorder();
  await hub.subscribe(rec, dashboardTopic(topic));
  hub.activate(rec, dashboardTopic(topic));
  return { hub, rec };
}

const bar = (time: number, close: number): Bar => ({ time, open: close, high: close, low: close, close, volume: 1 });

describe('streams', () => {
  it('price stream batches only the symbols whose price changed into one price_update', async () => {
    const source = new FakeSource(['AAPL', 'MSFT', 'TSLA']);
    const { hub, rec } = await setup('prices');
    const stream = new PriceStream({ source, hub, intervalMs: 3000 });
    source.setPrice('AAPL', 101);
    source.setPrice('MSFT', 99);
    expect(stream.tick()).to.equal(true);
    source.setPrice('AAPL', 102);
    stream.tick();
    stream.tick(); // nothing changed: nothing sent
    expect(rec.messages.map((m) => Object.keys(m.symbols))).to.deep.equal([['AAPL', 'MSFT'], ['AAPL']]);
    expect(rec.messages[1].symbols.AAPL).to.deep.equal({ price: 102, change: 2, change_pct: 2 });
    for (const m of rec.messages) expect(checkMessage(dashboardOutbound, m)).to.equal(null);
  });

  it('signal stream feeds closed bars only and publishes non-HOLD signals with confidence; a failing listener does not stop it', async () => {
    const source = new FakeSource(['AAPL']);
    const { hub, rec } = await setup('signals');
    // A strategy that says BUY on every 3rd closed bar, HOLD otherwise.
    const every3rd = (): Strategy => {
      let n = 0;
      return { id: 'every3rd', name: 'test', reset() { n = 0; }, onBar(b: Bar): StrategySignal { n++; return { signal_type: n % 3 ? 'HOLD' : 'BUY', confidence: 0.7, price: b.close, reason: 'third', time: b.time }; } };
    };
    const evaluator = new StrategyEvaluator({ createStrategies: () => [every3rd()] });
    evaluator.onSignal(() => { throw new Error('a broken listener'); });
    const stream = new SignalStream({ source, hub, evaluator, resolution: '1', warmupBars: 0, barMs: 60_000 });
    const c = ctx();
    await stream.start(c);
    for (let i = 0; i < 6; i++) {
      source.push('AAPL', bar(i * 60_000, 100 + i), false); // forming updates are ignored
      source.push('AAPL', bar(i * 60_000, 100 + i), true);
    }
    expect(rec.messages).to.have.length(2);
    expect(rec.messages[0]).to.deep.include({ type: 'signal', signal_type: 'BUY', symbol: 'AAPL', price: 102, confidence: 0.7, strategy_id: 'every3rd' });
    for (const m of rec.messages) expect(checkMessage(dashboardOutbound, m)).to.equal(null);
    stream.stop();
    source.push('AAPL', bar(9 * 60_000, 1), true);
    expect(rec.messages).to.have.length(2);
  });

  it('trade stream publishes every fill once and, with auto-trade, opens on BUY and closes on SELL', async () => {
    const source = new FakeSource(['AAPL']);
    source.setPrice('AAPL', 100);
    const { hub, rec } = await setup('trades');
    const venue = new PaperVenue({ quotes: source });
    await venue.start();
    const signals: ((s: any) => void)[] = [];
    const evaluator = { onSignal: (l: (s: any) => void) => { signals.push(l); return () => undefined; } } as unknown as StrategyEvaluator;
    const fills: string[] = [];
    const stream = new TradeStream({ hub, venue, autoTrade: { evaluator, orderQuantity: 5 }, onFill: (f) => fills.push(f.execution_id) });
    stream.start(ctx());
    const signal = (t: 'BUY' | 'SELL') => signals[0]!({ symbol: 'AAPL', signal_type: t, confidence: 1, price: 100, timestamp: new Date().toISOString(), strategy_id: 'x', reason: '' });
    signal('BUY');
    signal('BUY'); // already long: no second order
    await waitUntil(() => rec.messages.length === 1, 'one trade');
    signal('SELL');
    await waitUntil(() => rec.messages.length === 2, 'two trades');
    expect(rec.messages.map((m) => [m.side, m.quantity])).to.deep.equal([['BUY', 5], ['SELL', 5]]);
    expect(fills).to.have.length(2);
    expect(venue.positions().find((p) => p.symbol === 'AAPL')?.quantity ?? 0).to.equal(0);
    for (const m of rec.messages) expect(checkMessage(dashboardOutbound, m)).to.equal(null);
    await stream.stop();
    await venue.stop();
  });

  it('auto-trade never buys more than the cash pays for, and skips a signal it cannot afford', async () => {
    const source = new FakeSource(['BTC-USD', 'AAPL']);
    source.setPrice('BTC-USD', 50_000);
    source.setPrice('AAPL', 100);
    const { hub, rec } = await setup('trades');
    const venue = new PaperVenue({ quotes: source });
    await venue.start();
    const signals: ((s: any) => void)[] = [];
    const evaluator = { onSignal: (l: (s: any) => void) => { signals.push(l); return () => undefined; } } as unknown as StrategyEvaluator;
    let cash = 120_000;
    const stream = new TradeStream({ hub, venue, autoTrade: { evaluator, orderQuantity: 10, cash: () => cash } });
    stream.start(ctx());
    const buy = (symbol: string, price: number) => signals[0]!({ symbol, signal_type: 'BUY', confidence: 1, price, timestamp: new Date().toISOString(), strategy_id: 'x', reason: '' });
    buy('BTC-USD', 50_000); // 10 wanted, 2 affordable
    await waitUntil(() => rec.messages.length === 1, 'one trade');
    cash = 50;
    buy('AAPL', 100); // cannot pay for one share: no order
    cash = 500;
    buy('AAPL', 100); // 4 affordable (1% headroom)
    await waitUntil(() => rec.messages.length === 2, 'two trades');
    expect(rec.messages.map((m) => [m.symbol, m.quantity])).to.deep.equal([['BTC-USD', 2], ['AAPL', 4]]);
    await stream.stop();
    await venue.stop();
  });

  it('portfolio stream publishes only when positions or P&L changed', async () => {
    const source = new FakeSource(['AAPL']);
    source.setPrice('AAPL', 100);
    const { hub, rec } = await setup('portfolio');
    const portfolio = new Portfolio({ initialCash: 10_000 });
    const stream = new PortfolioStream({ portfolio, source, hub, intervalMs: 5000 });
    expect(stream.tick()).to.equal(true); // first snapshot
    expect(stream.tick()).to.equal(false);
    stream.applyFill({ execution_id: 'x1', order_id: 'o1', symbol: 'AAPL', side: 'BUY', quantity: 10, price: 100, commission: 0, timestamp: new Date().toISOString() });
    expect(stream.tick()).to.equal(true);
    expect(stream.tick()).to.equal(false);
    source.setPrice('AAPL', 105);
    expect(stream.tick()).to.equal(true);
    expect(rec.messages).to.have.length(3);
    expect(rec.messages[2].positions[0]).to.include({ symbol: 'AAPL', quantity: 10, market_price: 105, unrealized_pnl: 50 });
    for (const m of rec.messages) expect(checkMessage(dashboardOutbound, m)).to.equal(null);
  });
});

