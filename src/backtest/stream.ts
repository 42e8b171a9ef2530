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
import { connectedMessage, pingHandlers, streamError } from '../handlers/streams-common.ts';
import type { ConnectionContext, Endpoint } from '../server/endpoint.ts';
import { backtestTopic, type BacktestService } from './service.ts';

export function backtestWsEndpoint(service: Pick<BacktestService, 'get' | 'clientJoined'>): Endpoint<BacktestStreamParams> {
  const handlers: BacktestStreamHandlers<ConnectionContext> = pingHandlers<ConnectionContext>();
  return {
    id: backtestStreamEndpoint.id,
    inbound: backtestStreamEndpoint.inbound,
    outbound: backtestStreamEndpoint.outbound,
    match(pathname) {
      if (!pathname.startsWith('/api/ws/stream/backtest/')) return null;
      const parsed = parseBacktestStreamPath(pathname);
      if (parsed.ok) return { ok: true, params: parsed.value };
      return { ok: false, error: { code: 'INVALID_MESSAGE', message: parsed.message, field: parsed.param }, close: 'BAD_REQUEST' };
    },
    errorMessage: (error) => streamError(error),
    open(ctx, params) {
      const id = params.backtest_id;
      const run = service.get(id);
      if (!run) {
        ctx.send(streamError({ code: 'UNKNOWN_BACKTEST', message: `No backtest with id ${id} (it never existed or has expired)` }));
        // The error frame is flushed at the end of this turn; close right after it.
        setImmediate(() => ctx.close('UNKNOWN_BACKTEST', id));
        return;
      }
      ctx.send(connectedMessage({ stream: 'backtest', message: 'Connected to backtest stream', backtest_id: id, status: run.status }));
      if (run.latestProgress) ctx.send(run.latestProgress);
      if (run.latestMetrics) ctx.send(run.latestMetrics);
      if (run.terminal) {
        ctx.send(run.terminal);
        return;
      }
      ctx.subscribe(backtestTopic(id));
      service.clientJoined(id);
    },
    handle: (message, ctx) => dispatchBacktestStream(handlers, message as BacktestStreamInbound, ctx),
  };
}
