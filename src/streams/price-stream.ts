import type { PriceData, PriceUpdateMessage } from '../../generated/types.ts';
import type { MarketSource } from '../market/source.ts';
import type { Hub } from '../pubsub/hub.ts';
import { every, type Stream, type StreamContext } from './stream.ts';
import { dashboardTopic } from './topics.ts';

/**
 * Every `intervalMs`, one batched `price_update` with only the symbols whose price changed since the last one
 * (nothing is sent when nothing changed). `snapshot()` gives every known price, for a client that just connected.
 */
export class PriceStream implements Stream {
  readonly name = 'price_updates';
  private stopTimer: (() => void) | undefined;
  private readonly lastSent = new Map<string, number>();

  constructor(private readonly deps: { source: MarketSource; hub: Hub; intervalMs: number; now?: () => number }) {}

  start(ctx: StreamContext): void {
    this.stop();
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
      if (this.lastSent.get(symbol) === q.price) continue;
      this.lastSent.set(symbol, q.price);
      changed[symbol] = { price: q.price, change: q.change, change_pct: q.change_pct };
    }
    if (Object.keys(changed).length) this.deps.hub.publish(dashboardTopic('prices'), this.message(changed));
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
