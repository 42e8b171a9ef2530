import { expect } from 'chai';
import { runBacktest } from '../../src/backtest/engine.ts';
import { validateStartRequest, type ValidationDeps } from '../../src/backtest/service.ts';
import type { Bar } from '../../src/market/source.ts';
import type { Strategy, StrategySignal } from '../../src/trading/strategy.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 2);

function bars(ohlc: [number, number][]): Bar[] {
  return ohlc.map(([open, close], i) => ({ time: T0 + i * DAY, open, close, high: Math.max(open, close), low: Math.min(open, close), volume: 1 }));
}

function scripted(script: Record<number, 'BUY' | 'SELL'>): Strategy {
  let i = 0;
  return {
    id: 'scripted',
    name: 'scripted',
    onBar: (bar: Bar): StrategySignal => {
      const t = script[i++] ?? 'HOLD';
      return { signal_type: t, confidence: 1, price: bar.close, reason: t, time: bar.time };
    },
    reset: () => void (i = 0),
  };
}

describe('backtest: buy-and-hold benchmark and fees', () => {
  it('buys the initial capital at the first open (slippage and fee included), marks it at every close', async () => {
    // open 100 → slipped 100.5; fee 1%: units = 1000 / (100.5 × 1.01); last close 120.
    const r = await runBacktest(bars([[100, 110], [110, 90], [90, 120]]), { symbol: 'X', strategy: scripted({}), initialCapital: 1000, slippageBps: 50, feeBps: 100 });
    const units = 1000 / (100.5 * 1.01);
    expect(r.metrics.buy_and_hold_equity).to.be.closeTo(units * 120, 1e-9);
    expect(r.metrics.buy_and_hold_return).to.be.closeTo((units * 120) / 1000 - 1, 1e-12);
    expect(r.metrics.total_return).to.equal(0); // never traded
    expect(r.metrics.excess_return).to.be.closeTo(-r.metrics.buy_and_hold_return, 1e-12);
    const curve = r.equity_curve.map((p) => p.benchmark);
    [110, 90, 120].forEach((close, i) => expect(curve[i]).to.be.closeTo(units * close, 1e-9));
  });

  it('a strategy that buys at the first fill and never sells matches the benchmark except for the one-bar delay', async () => {
    const b = bars([[100, 100], [100, 105], [105, 130]]);
    // BUY on bar 0's close fills at bar 1's open (100), same price as the benchmark's first open.
    const r = await runBacktest(b, { symbol: 'X', strategy: scripted({ 0: 'BUY' }), initialCapital: 1000, feeBps: 10 });
    expect(r.metrics.final_equity).to.be.closeTo(r.metrics.buy_and_hold_equity, 1e-9);
    expect(r.metrics.excess_return).to.be.closeTo(0, 1e-12);
  });

  it('reports every trade with its own fee, and their sum as total_fees', async () => {
    const r = await runBacktest(bars([[100, 100], [100, 110], [110, 120], [120, 120]]), { symbol: 'X', strategy: scripted({ 0: 'BUY', 1: 'SELL' }), initialCapital: 1000, feeBps: 10 });
    expect(r.trades.map((t) => t.action)).to.deep.equal(['entry', 'exit']);
    for (const t of r.trades) expect(t.fee).to.be.closeTo(t.price * t.quantity * 0.001, 1e-9);
    expect(r.metrics.total_fees).to.be.closeTo(r.trades[0]!.fee + r.trades[1]!.fee, 1e-12);
  });
});

describe('backtest: request options (calendar, default fees, symbol messages)', () => {
  const NOW = Date.UTC(2025, 0, 1);
  const deps: ValidationDeps = { hasSymbol: () => true, symbols: () => ['AAPL', 'BTC-USD'], now: () => NOW, defaultProgressInterval: 100 };
  const base = { name: 'n', symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-02', strategy_ids: ['rsi'] };
  const ok = (given: Record<string, unknown>) => {
    const r = validateStartRequest({ ...base, ...given }, deps);
    if (!r.ok) throw new Error(r.error.message);
    return r.request;
  };

  it('defaults: exchange calendar, 1 bp fee for stocks, 10 bp for crypto; explicit values win', () => {
    expect(ok({})).to.include({ calendar: 'exchange', fee_bps: 1, slippage_bps: 0 });
    expect(ok({ symbol: 'BTC-USD' })).to.include({ fee_bps: 10 });
    expect(ok({ calendar: 'always', fee_bps: 0 })).to.include({ calendar: 'always', fee_bps: 0 });
  });

  const refused: { given: Record<string, unknown>; field: string; message: RegExp }[] = [
    { given: { calendar: 'nyse' }, field: 'calendar', message: /calendar must be exchange .* or always/ },
    { given: { symbol: 'aapl' }, field: 'symbol', message: /^symbol 'aapl' must be upper case: AAPL$/ },
    { given: { symbol: 'AAPL!' }, field: 'symbol', message: /^symbol 'AAPL!' is not a ticker/ },
    { given: { symbol: 42 }, field: 'symbol', message: /^symbol must be a string/ },
    { given: { symbol: undefined }, field: 'symbol', message: /^symbol is required/ },
  ];
  for (const c of refused) {
    it(`refuses ${JSON.stringify(c.given)} saying what is wrong`, () => {
      const r = validateStartRequest({ ...base, ...c.given }, deps);
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        expect(r.error.field).to.equal(c.field);
        expect(r.error.message).to.match(c.message);
      }
    });
  }
});
