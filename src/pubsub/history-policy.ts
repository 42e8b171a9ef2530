import type { HistoryPolicy, HistoryPolicyOf } from './broker.ts';

/**
 * History bounds per topic family. A client that was away less than the TTL, and missed fewer publications than
 * the size (and the recovery limit), gets everything it missed on reconnect; otherwise it is told
 * `recovered: false` and gets a fresh snapshot.
 *
 * - bars, dashboard streams, live-trading, market-data: `size` publications for `ttlMs` (defaults 1000 / 5 min:
 *   a bars topic publishes about once a second, so ~16 minutes of a busy topic, capped at 5 minutes).
 * - `backtest:<id>`: a run's whole event list, up to `backtestSize` (default 100,000), for the run's retention.
 */
export interface HistorySettings {
  size: number;
  ttlMs: number;
  backtestSize: number;
  backtestTtlMs: number;
}

export const DEFAULT_HISTORY: HistorySettings = { size: 1000, ttlMs: 300_000, backtestSize: 100_000, backtestTtlMs: 3_600_000 };

export function historyPolicy(settings: HistorySettings = DEFAULT_HISTORY): HistoryPolicyOf {
  const normal: HistoryPolicy = { size: settings.size, ttlMs: settings.ttlMs };
  const backtest: HistoryPolicy = { size: settings.backtestSize, ttlMs: settings.backtestTtlMs };
  return (topic) => (topic.startsWith('backtest:') ? backtest : normal);
}
