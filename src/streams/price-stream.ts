import type { PriceData, PriceUpdateMessage } from '../../generated/types.ts';
import type { MarketSource } from '../market/source.ts';
import type { Hub } from '../pubsub/hub.ts';
import { every, type Stream, type StreamContext } from './stream.ts';
import { dashboardTopic } from './topics.ts';

/**
 * Every `intervalMs`, one batched `price_update` with only the symbols whose price changed since the last one
 * (nothing is sent when nothing changed). Each update carries the topic's snapshot (every price as of that update) for
 * a client that connects later; `snapshot()` is every price known now.
 */
export class PriceStream implements Stream {
  readonly name = 'price_updates';
  private stopTimer: (() => void) | undefined;
  private readonly lastSent = new Map<string, PriceData>();

  constructor(private readonly deps: { source: MarketSource; hub: Hub; intervalMs: number; now?: () => number }) {}

  start(ctx: StreamContext): void {
    this.stop();
    // A client connecting before the first tick still gets every known price.
    const initial = this.snapshot();
    if (initial) void this.deps.hub.setSnapshot(dashboardTopic('prices'), [initial]);
    this.stopTimer = every(this.deps.intervalMs, ctx, () => this.tick());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /** One cycle; returns true when fresh prices were seen. Public for tests. */
  tick(): boolean {
    const changed: Record<string, PriceData> = {};
    let seen = false;
    for (const symbol of this.deps.source.symbols()) {
      const q = this.deps.source.quote(symbol);
      if (!q) continue;
      seen = true;
      if (this.lastSent.get(symbol)?.price === q.price) continue;
      const data = { price: q.price, change: q.change, change_pct: q.change_pct };
      this.lastSent.set(symbol, data);
      changed[symbol] = data;
    }
    if (Object.keys(changed).length) {
      // The topic's snapshot: every price as of this update.
      const all = this.message(Object.fromEntries(this.lastSent));
      this.deps.hub.publish(dashboardTopic('prices'), this.message(changed), { snapshot: [all] });
    }
    return seen;
  }

  snapshot(): PriceUpdateMessage | undefined {
    const all: Record<string, PriceData> = {};
    for (const symbol of this.deps.source.symbols()) {
      const q = this.deps.source.quote(symbol);
      if (q) all[symbol] = { price: q.price, change: q.change, change_pct: q.change_pct };
    }
    return Object.keys(all).length ? this.message(all) : undefined;
  }

  private message(symbols: Record<string, PriceData>): PriceUpdateMessage {
    return { type: 'price_update', symbols, timestamp: new Date((this.deps.now ?? Date.now)()).toISOString() };
  }
}
