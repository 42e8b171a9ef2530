/**
 * SignalStream start/stop races: a stop() while start() awaits the warm-up history, and restarts, must leave no
 * listener behind and must not feed a bar to the shared evaluator twice (or out of time order).
 */
import { expect } from 'chai';
import type { Bar, BarListener, MarketSource, Resolution } from '../../src/market/source.ts';
import type { Hub } from '../../src/pubsub/hub.ts';
import { SignalStream } from '../../src/streams/signal-stream.ts';
import type { StreamContext } from '../../src/streams/stream.ts';
import type { Strategy } from '../../src/trading/strategy.ts';
import { StrategyEvaluator } from '../../src/trading/strategy-evaluator.ts';
import { waitUntil } from '../support/wait.ts';

const MIN = 60_000;
const bar = (i: number): Bar => ({ time: i * MIN, open: 100 + i, high: 100 + i, low: 100 + i, close: 100 + i, volume: 1 });

/** A source whose history() answers only when the test releases it; counts its bar listeners. */
class GatedSource {
  readonly name = 'ibkr' as const;
  readonly listeners = new Set<BarListener>();
  readonly asked: { release: (bars: Bar[]) => void }[] = [];
  symbols(): readonly string[] {
    return ['AAPL'];
  }
  history(_symbol: string, _res: Resolution, _from: number, _to: number): Promise<Bar[]> {
    return new Promise((resolve) => this.asked.push({ release: resolve }));
  }
  subscribeBars(_symbol: string, _res: Resolution, listener: BarListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  push(b: Bar): void {
    for (const l of [...this.listeners]) l(b, true);
  }
}

function rig() {
  const source = new GatedSource();
  const seen: number[] = [];
  const recording = (): Strategy => ({ id: 'rec', name: 'records bar times', reset() {}, onBar: (b) => (seen.push(b.time / MIN), null) });
  const evaluator = new StrategyEvaluator({ createStrategies: () => [recording()] });
  const hub = { publish: () => undefined } as unknown as Hub;
  const stream = new SignalStream({ source: source as unknown as MarketSource, hub, evaluator, resolution: '1', warmupBars: 3, barMs: MIN, now: () => 10 * MIN });
  const errors: unknown[] = [];
  const ctx: StreamContext = { update: () => undefined, error: (e) => void errors.push(e) };
  return { source, seen, stream, ctx, errors };
}

describe('streams/signal-stream: start/stop races', () => {
  it('stop() while the warm-up history loads: nothing is subscribed and the late history is not fed', async () => {
    const { source, seen, stream, ctx, errors } = rig();
    const started = stream.start(ctx);
    await waitUntil(() => source.asked.length === 1, 'the history request');
    stream.stop();
    source.asked[0]!.release([bar(7), bar(8), bar(9)]);
    await started;
    expect(source.listeners.size, 'bar listeners left behind').to.equal(0);
    expect(seen, 'bars fed after stop').to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });

  it('a restart during the load: the first start feeds and subscribes nothing, the second once', async () => {
    const { source, seen, stream, ctx } = rig();
    const first = stream.start(ctx);
    await waitUntil(() => source.asked.length === 1, 'the first history request');
    const second = stream.start(ctx); // start() stops the running one first
    await waitUntil(() => source.asked.length === 2, 'the second history request');
    source.asked[0]!.release([bar(7), bar(8), bar(9)]);
    source.asked[1]!.release([bar(7), bar(8), bar(9)]);
    await Promise.all([first, second]);
    expect(source.listeners.size).to.equal(1);
    expect(seen).to.deep.equal([7, 8, 9]);
    source.push(bar(10));
    expect(seen).to.deep.equal([7, 8, 9, 10]);
    stream.stop();
    expect(source.listeners.size).to.equal(0);
  });

  it('a restart does not feed the shared evaluator bars it already saw (warm-up overlap, repeated live bar)', async () => {
    const { source, seen, stream, ctx } = rig();
    let started = stream.start(ctx);
    await waitUntil(() => source.asked.length === 1, 'the first history request');
    source.asked[0]!.release([bar(7), bar(8), bar(9)]);
    await started;
    source.push(bar(10));
    stream.stop();
    // the restart's warm-up window overlaps what the evaluator already has
    started = stream.start(ctx);
    await waitUntil(() => source.asked.length === 2, 'the second history request');
    source.asked[1]!.release([bar(8), bar(9), bar(10), bar(11)]);
    await started;
    source.push(bar(11)); // a repeat of the last bar
    source.push(bar(12));
    expect(seen).to.deep.equal([7, 8, 9, 10, 11, 12]);
    expect(source.listeners.size).to.equal(1);
    stream.stop();
  });
});
