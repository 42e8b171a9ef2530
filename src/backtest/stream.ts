/**
 * `/api/ws/stream/backtest/{backtest_id}`: watch one run.
 *
 * Order on a connection: `connected` (with the run's status), then the run's state so far — the latest `progress`,
 * the latest `metrics`, and `complete` or `error` if the run has ended — then live events from the hub topic
 * `backtest:<id>`. The snapshot is sent and the topic subscribed in the same synchronous step, so nothing is missed
 * or repeated in between. A malformed id is refused at match time (error INVALID_MESSAGE, close 4501); an id
 * that is unknown or expired gets error UNKNOWN_BACKTEST and close 4500. The connection stays open after the run
 * ends (the client closes it). A queued stream=true run starts when its first client connects.
 */
import { backtestStreamEndpoint, dispatchBacktestStream, type BacktestStreamHandlers, type BacktestStreamInbound } from '../../generated/messages.ts';
import { parseBacktestStreamPath, type BacktestStreamParams } from '../../generated/topics.ts';
import { sinceFromQuery, subscribeAll, type SinceMap } from '../handlers/positions.ts';
import { connectedMessage, pingHandlers, streamError } from '../handlers/streams-common.ts';
import type { ConnectedData } from '../../generated/types.ts';
import type { ConnectionContext, Endpoint } from '../server/endpoint.ts';
import { backtestTopic, type BacktestService } from './service.ts';

export function backtestWsEndpoint(service: Pick<BacktestService, 'get' | 'clientJoined'>): Endpoint<BacktestStreamParams & { since: SinceMap }> {
  const handlers: BacktestStreamHandlers<ConnectionContext> = pingHandlers<ConnectionContext>();
  return {
    id: backtestStreamEndpoint.id,
    inbound: backtestStreamEndpoint.inbound,
    outbound: backtestStreamEndpoint.outboundStrict,
    match(pathname, query) {
      if (!pathname.startsWith('/api/ws/stream/backtest/')) return null;
      const parsed = parseBacktestStreamPath(pathname);
      if (!parsed.ok) return { ok: false, error: { code: 'INVALID_MESSAGE', message: parsed.message, field: parsed.param }, close: 'BAD_REQUEST' };
      const since = sinceFromQuery(query);
      if (!since.ok) return { ok: false, error: { code: 'INVALID_MESSAGE', message: since.message, field: 'since' }, close: 'BAD_REQUEST' };
      return { ok: true, params: { ...parsed.value, since: since.since } };
    },
    errorMessage: (error) => streamError(error),
    async open(ctx, params) {
      const id = params.backtest_id;
      const run = service.get(id);
      if (!run) {
        ctx.send(streamError({ code: 'UNKNOWN_BACKTEST', message: `No backtest with id ${id} (it never existed or has expired)` }));
        // The error frame is flushed at the end of this turn; close right after it.
        setImmediate(() => ctx.close('UNKNOWN_BACKTEST', id));
        return;
      }
      const topic = backtestTopic(id);
      // A finished run is not followed (nothing more will come) unless the client recovers what it missed.
      const follow = !run.terminal || params.since[topic] !== undefined;
      const result = follow ? await subscribeAll(ctx, [topic], params.since) : undefined;
      const positions = result && Object.keys(result.positions).length ? { positions: result.positions } : {};
      ctx.send(connectedMessage({ stream: 'backtest', message: 'Connected to backtest stream', backtest_id: id, status: run.status, ...positions } as ConnectedData));
      if (!result || result.fresh.has(topic)) {
        if (run.latestProgress) ctx.send(run.latestProgress);
        if (run.latestMetrics) ctx.send(run.latestMetrics);
        if (run.terminal) ctx.send(run.terminal);
      }
      if (follow) service.clientJoined(id);
    },
    handle: (message, ctx) => dispatchBacktestStream(handlers, message as BacktestStreamInbound, ctx),
  };
}
