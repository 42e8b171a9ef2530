/**
 * Chart history on demand over `bars.history`: the first screen (the newest bars, the forming bar last, so live
 * `bars.update`s continue it) and, as the user scrolls left near the oldest bar, the bars before it, 300 at a time.
 * Stops asking when the server says there is nothing earlier (`noData` without `nextTime`); one request at a time;
 * a request answered after the chart switched topic is ignored.
 */
import type { TickwireClient } from '../client/client.ts';
import type * as T from '../../generated/types.ts';

export const PAGE = 300;

export interface ScrollBackTarget {
  /** The charted topic's symbol and resolution, or null; compared before and after each request. */
  current(): { symbol: string; resolution: T.Resolution; key: string } | null;
  /** The oldest bar time charted (ms), or undefined when the chart is empty. */
  oldest(): number | undefined;
  /** Merge bars (oldest first) under the live ones. */
  merge(bars: T.Bar[], key: string): void;
}

export function createScrollBack(client: Pick<TickwireClient<'/api/v1/ws'>, 'request'>, target: ScrollBackTarget, onError: (err: unknown) => void) {
  let busy = false;
  let exhausted = new Set<string>();
  const load = async (to: number) => {
    const cur = target.current();
    if (!cur || busy || exhausted.has(cur.key)) return;
    busy = true;
    try {
      const reply = await client.request({ type: 'bars.history', payload: { symbol: cur.symbol, resolution: cur.resolution, to, countBack: PAGE } });
      if (target.current()?.key !== cur.key) return;
      const { bars, noData, nextTime } = reply.payload;
      if (noData && nextTime === undefined) exhausted.add(cur.key);
      else if (noData && nextTime !== undefined) exhausted.delete(cur.key);
      if (bars.length) target.merge(bars, cur.key);
    } catch (err) {
      onError(err);
    } finally {
      busy = false;
    }
  };
  return {
    /** The newest page: everything up to now (the forming bar included). */
    first(): Promise<void> {
      exhausted = new Set();
      return load(Date.now() + 10 * 365 * 86_400_000); // an upper bound: bars after the forming one do not exist
    },
    /** Called with the visible logical range's start: load older bars when fewer than 20 are left of the view. */
    onVisibleFrom(from: number | undefined): void {
      const oldest = target.oldest();
      if (from === undefined || oldest === undefined || from > 20) return;
      void load(oldest);
    },
  };
}
