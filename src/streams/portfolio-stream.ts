import type { PortfolioUpdateMessage } from '../../generated/types.ts';
import type { MarketSource } from '../market/source.ts';
import type { Hub } from '../pubsub/hub.ts';
import type { Fill } from '../trading/venue.ts';
import { changedSince, type Portfolio, type PortfolioSnapshot } from '../trading/portfolio.ts';
import { every, type Stream, type StreamContext } from './stream.ts';
import { dashboardTopic } from './topics.ts';

/**
 * Positions and P&L. Fills are applied as they come (applyFill); every `intervalMs` positions are marked to the
 * latest quotes and a `portfolio_update` is published only when something changed. This is the one mark-to-market
 * timer of the portfolio: the live-trading feed follows it through Portfolio.onMarked.
 */
export class PortfolioStream implements Stream {
  readonly name = 'portfolio';
  private stopTimer: (() => void) | undefined;
  private last: PortfolioSnapshot | undefined;

  constructor(private readonly deps: { portfolio: Portfolio; source: MarketSource; hub: Hub; intervalMs: number }) {}

  start(ctx: StreamContext): void {
    this.stop();
    // Before the first update, a new client's snapshot is the portfolio as it stands (cash, no positions yet).
    void this.deps.hub.setSnapshot(dashboardTopic('portfolio'), [this.snapshot()]);
    this.stopTimer = every(this.deps.intervalMs, ctx, () => { this.tick(); return true; });
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  applyFill(fill: Fill): void {
    this.deps.portfolio.applyFill(fill);
  }

  /** Marks to market and publishes if changed; returns whether it published. Public for tests. */
  tick(): boolean {
    const { portfolio, source } = this.deps;
    portfolio.markToMarket((symbol) => source.quote(symbol));
    const next = portfolio.snapshot();
    if (!changedSince(this.last, next)) return false;
    this.last = next;
    const message = toMessage(next);
    this.deps.hub.publish(dashboardTopic('portfolio'), message, { snapshot: [message] });
    return true;
  }

  /** The latest portfolio, for a client that just connected. */
  snapshot(): PortfolioUpdateMessage {
    return toMessage(this.deps.portfolio.snapshot());
  }
}

export function toMessage(s: PortfolioSnapshot): PortfolioUpdateMessage {
  return {
    type: 'portfolio_update',
    positions: s.positions.map((p) => ({
      symbol: p.symbol,
      quantity: p.quantity,
      avg_price: p.avg_price,
      market_price: p.market_price,
      market_value: p.market_value,
      unrealized_pnl: p.unrealized_pnl,
      realized_pnl: p.realized_pnl,
    })),
    cash: s.cash,
    equity: s.equity,
    unrealized_pnl: s.unrealized_pnl,
    realized_pnl: s.realized_pnl,
    total_pnl: s.total_pnl,
    daily_pnl: s.daily_pnl,
    timestamp: s.timestamp,
  };
}
