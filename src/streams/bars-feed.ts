import type { BarsUpdateMessage } from '../../generated/types.ts';
import { parseBarsTopic } from '../../generated/topics.ts';
import type { Bar, MarketSource } from '../market/source.ts';
import type { Hub } from '../pubsub/hub.ts';
import type { Stream, StreamContext } from './stream.ts';

/**
 * Bridges the market source to `bars:<SYMBOL>:<RES>` topics: a topic's first subscriber starts a source listener,
 * its last one stops it. Every bar change is published once as `bars.update` (same `time` = replace the forming
 * bar; later `time` = new bar), carrying the topic's snapshot (the current bar) for new subscribers.
 */
export class BarsFeed implements Stream {
  readonly name = 'bars';
  private readonly listeners = new Map<string, () => void>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly deps: { source: MarketSource; hub: Hub }) {}

  start(ctx: StreamContext): void {
    this.stop();
    const { hub } = this.deps;
    this.unwatch = hub.watch({
      active: (topic) => this.open(topic, ctx),
      idle: (topic) => {
        this.listeners.get(topic)?.();
        this.listeners.delete(topic);
      },
    });
    for (const topic of hub.activeTopics()) this.open(topic, ctx);
    ctx.update();
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    for (const off of this.listeners.values()) off();
    this.listeners.clear();
  }

  private open(topic: string, ctx: StreamContext): void {
    const parsed = parseBarsTopic(topic);
    if (!parsed.ok || this.listeners.has(topic)) return;
    const { symbol, resolution } = parsed.value;
    // The topic's snapshot is its current bar: set now (before the next update) and carried by every update.
    const current = this.deps.source.currentBar(symbol, resolution);
    if (current) void this.deps.hub.setSnapshot(topic, [barsUpdate(topic, current)]);
    this.listeners.set(topic, this.deps.source.subscribeBars(symbol, resolution, (bar) => {
      try {
        const update = barsUpdate(topic, bar);
        this.deps.hub.publish(topic, update, { snapshot: [update] });
        ctx.update();
      } catch (err) {
        ctx.error(err);
      }
    }));
  }
}

/** The contract's bar (exactly its six fields, whatever the source's object carries). */
export function barsUpdate(topic: string, bar: Bar): BarsUpdateMessage {
  return {
    type: 'bars.update',
    topic,
    payload: { time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume },
  };
}
