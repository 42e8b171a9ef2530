/**
 * `/api/ws/stream/backtest/{backtest_id}`: watch one run.
 *
 * Order on a connection: `connected` (with the run's status and the topic's position), then the run's state so far
 * from the broker's snapshot — the latest `progress`, the latest `metrics`, and `complete` or `error` if the run has
 * ended, exactly current to `asOf` — then live events from the hub topic `backtest:<id>` (or, with `since`, the
 * missed events replayed). A malformed id is refused at match time (error INVALID_MESSAGE, close 4501); an id that
 * is unknown or expired gets error UNKNOWN_BACKTEST and close 4500. With AUTH=jwt only the user who started the run
 * may follow it (src/auth/permissions.ts): no token, error UNAUTHORIZED and close 4503; another user's run looks
 * unknown (UNKNOWN_BACKTEST, 4500, on every node); a token whose claims exclude it, FORBIDDEN, 4504. The connection
 * stays open after the run ends (the client closes it). A queued stream=true run starts when its first follower subscribes, on any node.
 */
import { backtestStreamEndpoint, dispatchBacktestStream, type BacktestStreamHandlers, type BacktestStreamInbound } from '../../generated/messages.ts';
import { parseBacktestStreamPath, type BacktestStreamParams } from '../../generated/topics.ts';
import { admit, sendSnapshots, sinceFromQuery, subscribeAll, type SinceMap } from '../handlers/positions.ts';
import type { Identity } from '../auth/verifier.ts';
import { connectedMessage, pingHandlers, streamError } from '../handlers/streams-common.ts';
import type { ConnectedData } from '../../generated/types.ts';
import { authHandlers } from '../handlers/auth.ts';
import type { ConnectionContext, Endpoint } from '../server/endpoint.ts';
import { backtestTopic } from './service.ts';

/** Where the endpoint learns whether a run exists: the service itself, or the producer node (from an edge). */
export interface BacktestLookup {
  /** `identity`: whom the question is for (an edge asks the producer with that identity's token). */
  find(id: string, identity?: Identity): Promise<{ status: string } | undefined>;
}

export function backtestWsEndpoint(lookup: BacktestLookup): Endpoint<BacktestStreamParams & { since: SinceMap }> {
  const handlers: BacktestStreamHandlers<ConnectionContext> = { ...pingHandlers<ConnectionContext>(), ...authHandlers((e) => streamError(e)) };
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
      const topic = backtestTopic(id);
      // A run belongs to whoever started it (AUTH=jwt): no token, close 4503; another user's run, 4500 (as unknown).
      if (!(await admit(ctx, [topic], (e) => streamError(e)))) return;
      const run = await lookup.find(id, ctx.identity);
      if (!run) {
        ctx.send(streamError({ code: 'UNKNOWN_BACKTEST', message: `No backtest with id ${id} (it never existed or has expired)` }));
        // The error frame is flushed at the end of this turn; close right after it.
        setImmediate(() => ctx.close('UNKNOWN_BACKTEST', id));
        return;
      }
      // A queued run starts when its first follower subscribes (on any node), so its first events may be published
      // while this subscribe completes: they are not in a snapshot, so that follower gets the run from its first event.
      // A late joiner (running or ended) gets the snapshot: latest progress and metrics, and the terminal message.
      const result = await subscribeAll(ctx, [topic], params.since, { fromStart: run.status === 'queued' });
      const positions = Object.keys(result.positions).length ? { positions: result.positions } : {};
      ctx.send(connectedMessage({ stream: 'backtest', message: 'Connected to backtest stream', backtest_id: id, status: run.status, ...positions } as ConnectedData));
      // The broker's snapshot is exactly current to asOf; before the run's first event there is none (nothing yet).
      sendSnapshots(ctx, result, [topic]);
    },
    handle: (message, ctx) => dispatchBacktestStream(handlers, message as BacktestStreamInbound, ctx),
  };
}
