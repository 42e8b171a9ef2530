import { expect } from 'chai';
import type { Bar } from '../../src/market/source.ts';
import type { Strategy, StrategySignal } from '../../src/trading/strategy.ts';
import { MaCrossoverStrategy } from '../../src/trading/strategy-ma-crossover.ts';
import { StrategyEvaluator, type EvaluatorErrorContext, type TradingSignal } from '../../src/trading/strategy-evaluator.ts';

const T0 = Date.UTC(2024, 0, 2, 14, 30);
const bar = (i: number, close: number): Bar => ({ time: T0 + i * 60_000, open: close, high: close, low: close, close, volume: 1 });

/** Emits the scripted signal type for the n-th bar it sees (null past the script). */
class Scripted implements Strategy {
  readonly name = 'scripted';
  private n = 0;
  constructor(readonly id: string, private readonly script: (StrategySignal['signal_type'] | null | 'throw')[]) {}
  onBar(b: Bar): StrategySignal | null {
    const t = this.script[this.n++];
    if (t === 'throw') throw new Error(`${this.id} broke`);
    if (!t) return null;
    return { signal_type: t, confidence: 0.5, price: b.close, reason: `${this.id} ${t}`, time: b.time };
  }
  reset(): void {
    this.n = 0;
  }
}

describe('StrategyEvaluator', () => {
  it('publishes full signals for BUY/SELL only, with ISO timestamps', () => {
    const ev = new StrategyEvaluator({ createStrategies: () => [new Scripted('s', [null, 'HOLD', 'BUY', 'SELL'])] });
    const got: TradingSignal[] = [];
    ev.onSignal((s) => got.push(s));
    for (let i = 0; i < 4; i++) ev.onClosedBar('AAPL', bar(i, 100 + i));
    expect(got).to.deep.equal([
      { symbol: 'AAPL', strategy_id: 's', signal_type: 'BUY', confidence: 0.5, price: 102, timestamp: '2024-01-02T14:32:00.000Z', reason: 's BUY' },
      { symbol: 'AAPL', strategy_id: 's', signal_type: 'SELL', confidence: 0.5, price: 103, timestamp: '2024-01-02T14:33:00.000Z', reason: 's SELL' },
    ]);
  });

  it('keeps one independent set of strategy instances per symbol', () => {
    const created: string[] = [];
    const ev = new StrategyEvaluator({
      createStrategies: (symbol) => {
        created.push(symbol);
        return [new MaCrossoverStrategy({ fast: 2, slow: 3 })];
      },
    });
    const got: TradingSignal[] = [];
    ev.onSignal((s) => got.push(s));
    // AAPL crosses up at i=6 (see strategy.test.ts); MSFT is flat then falls, never crossing.
    const aapl = [10, 10, 10, 9, 8, 9, 11];
    const msft = [50, 50, 50, 50, 49, 48, 47];
    for (let i = 0; i < aapl.length; i++) {
      ev.onClosedBar('AAPL', bar(i, aapl[i]!));
      ev.onClosedBar('MSFT', bar(i, msft[i]!));
    }
    expect(created).to.deep.equal(['AAPL', 'MSFT']);
    expect(ev.symbols()).to.deep.equal(['AAPL', 'MSFT']);
    expect(got.map((s) => `${s.symbol} ${s.signal_type} ${s.price}`)).to.deep.equal(['AAPL BUY 11']);
  });

  it('a throwing listener is reported and never stops the others', () => {
    const errors: [string, EvaluatorErrorContext][] = [];
    const ev = new StrategyEvaluator({
      createStrategies: () => [new Scripted('s', ['BUY'])],
      onError: (e, ctx) => errors.push([(e as Error).message, ctx]),
    });
    const a: TradingSignal[] = [];
    const c: TradingSignal[] = [];
    ev.onSignal((s) => a.push(s));
    ev.onSignal(() => {
      throw new Error('listener broke');
    });
    ev.onSignal((s) => c.push(s));
    expect(() => ev.onClosedBar('AAPL', bar(0, 1))).to.not.throw();
    expect(a).to.have.length(1);
    expect(c).to.have.length(1);
    expect(errors).to.deep.equal([['listener broke', { where: 'listener', symbol: 'AAPL', strategy_id: 's' }]]);
  });

  it('a throwing strategy is reported and the other strategies still run', () => {
    const errors: EvaluatorErrorContext[] = [];
    const ev = new StrategyEvaluator({
      createStrategies: () => [new Scripted('bad', ['throw']), new Scripted('good', ['SELL'])],
      onError: (_e, ctx) => errors.push(ctx),
    });
    const got = ev.onClosedBar('AAPL', bar(0, 1));
    expect(got.map((s) => s.strategy_id)).to.deep.equal(['good']);
    expect(errors).to.deep.equal([{ where: 'strategy', symbol: 'AAPL', strategy_id: 'bad' }]);
  });

  it('a throwing onError does not escape', () => {
    const ev = new StrategyEvaluator({
      createStrategies: () => [new Scripted('s', ['BUY'])],
      onError: () => {
        throw new Error('onError broke');
      },
    });
    ev.onSignal(() => {
      throw new Error('listener broke');
    });
    expect(() => ev.onClosedBar('AAPL', bar(0, 1))).to.not.throw();
  });

  it('unsubscribe stops delivery; unsubscribing during dispatch does not skip others', () => {
    const ev = new StrategyEvaluator({ createStrategies: () => [new Scripted('s', ['BUY', 'SELL'])] });
    const log: string[] = [];
    const offA = ev.onSignal((s) => {
      log.push(`a ${s.signal_type}`);
      offA();
    });
    const offB = ev.onSignal((s) => log.push(`b ${s.signal_type}`));
    ev.onClosedBar('AAPL', bar(0, 1));
    offB();
    offB();
    ev.onClosedBar('AAPL', bar(1, 1));
    expect(log).to.deep.equal(['a BUY', 'b BUY']);
  });

  it('reset(symbol) resets only that symbol', () => {
    const ev = new StrategyEvaluator({ createStrategies: () => [new Scripted('s', ['BUY', null])] });
    ev.onClosedBar('AAPL', bar(0, 1));
    ev.onClosedBar('MSFT', bar(0, 1));
    ev.reset('AAPL');
    expect(ev.onClosedBar('AAPL', bar(1, 1)).map((s) => s.signal_type)).to.deep.equal(['BUY']);
    expect(ev.onClosedBar('MSFT', bar(1, 1))).to.deep.equal([]);
  });
});
