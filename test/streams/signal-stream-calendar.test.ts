/** SignalStream warm-up on a simulated stock whose exchange is closed at start (weekend): it warms up on the last sessions. */
import { expect } from 'chai';
import { NYSE_SESSION } from '../../src/market/calendar-nyse.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import { isTradingTime } from '../../src/market/session.ts';
import type { Hub } from '../../src/pubsub/hub.ts';
import { SignalStream } from '../../src/streams/signal-stream.ts';
import type { StreamContext } from '../../src/streams/stream.ts';
import type { Strategy } from '../../src/trading/strategy.ts';
import { StrategyEvaluator } from '../../src/trading/strategy-evaluator.ts';

const MIN = 60_000;

describe('streams/signal-stream: warm-up under the exchange calendar', () => {
  it('started on a Sunday, a stock warms up on the last session\'s bars (not none)', async () => {
    const now = () => Date.UTC(2024, 0, 7, 18); // Sunday
    const source = new SimulatedSource({ symbols: ['AAPL', 'BTC-USD'], calendar: 'exchange', now });
    const seen = new Map<string, number[]>();
    const recording = (): Strategy => ({ id: 'rec', name: 'records bars', reset() {}, onBar: (b) => (seen.get('x')!.push(b.time), null) });
    seen.set('x', []);
    const evaluator = new StrategyEvaluator({ createStrategies: () => [recording()] });
    const hub = { publish: () => undefined } as unknown as Hub;
    const stream = new SignalStream({ source, hub, evaluator, resolution: '1', warmupBars: 60, barMs: MIN, now });
    const ctx: StreamContext = { update: () => undefined, error: (e) => { throw e; } };
    await stream.start(ctx);
    await stream.stop();
    const times = seen.get('x')!;
    const stocks = times.filter((t) => t < Date.UTC(2024, 0, 6));
    expect(stocks.length, 'AAPL warm-up bars').to.equal(60);
    for (const t of stocks) expect(isTradingTime(NYSE_SESSION, t)).to.equal(true);
    expect(new Date(Math.max(...stocks)).toISOString()).to.equal('2024-01-05T20:59:00.000Z');
    expect(times.length - stocks.length, 'BTC-USD warms up on the hour before now').to.be.within(59, 60);
  });
});
