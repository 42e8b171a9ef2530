import type { DashboardHandlers } from '../../generated/messages.ts';
import type { DashboardErrorMessage, DashboardStream, DashboardSubscriptionsMessage } from '../../generated/types.ts';
import type { ConnectionContext, ErrorInfo } from '../server/endpoint.ts';
import { DASHBOARD_STREAMS, dashboardTopic, isDashboardStream } from '../streams/topics.ts';
import { notSubscribed, sendSnapshots, sinceFromQuery, subscribeAll, type PositionsMap } from './positions.ts';
import { authHandlers } from './auth.ts';
import { pingHandlers } from './streams-common.ts';

export function dashboardError(error: ErrorInfo): DashboardErrorMessage {
  const { id, code, message, field } = error;
  return { type: 'error', ...(id ? { id } : {}), code, message, ...(field ? { field } : {}) };
}

export function subscriptionsOf(ctx: ConnectionContext, id?: string, positions?: PositionsMap, refused: readonly string[] = []): DashboardSubscriptionsMessage {
  const mine = ctx.topics();
  const streams = DASHBOARD_STREAMS.filter((s) => mine.has(dashboardTopic(s)));
  const withPositions = positions && Object.keys(positions).length ? { positions } : {};
  return { type: 'subscriptions', ...(id ? { id } : {}), streams, ...withPositions, ...notSubscribed({ refused: [...refused] }) } as DashboardSubscriptionsMessage;
}

/** Seed 000 option C: everyone starts with all streams (see open()); subscribe/unsubscribe narrow or widen. */
export function createDashboardHandlers(): DashboardHandlers<ConnectionContext> {
  const check = (streams: string[], id?: string): DashboardErrorMessage | undefined => {
    const unknown = streams.filter((s) => !isDashboardStream(s));
    if (!unknown.length) return undefined;
    return dashboardError({ code: 'UNKNOWN_STREAM', message: `unknown stream ${unknown.map((s) => JSON.stringify(s)).join(', ')}; streams: ${DASHBOARD_STREAMS.join(', ')}`, ...(id ? { id } : {}) });
  };
  return {
    ...pingHandlers<ConnectionContext>(),
    ...authHandlers(dashboardError),
    async subscribe(message, ctx) {
      const bad = check(message.streams, message.id);
      if (bad) return bad;
      const since = message.since ?? {};
      const topics = (message.streams as DashboardStream[]).map(dashboardTopic);
      // All or nothing: a stream this identity may not read refuses the whole request (other subscriptions stay).
      // UNAUTHORIZED when a token would be needed (the connection has none), FORBIDDEN when its token is not enough.
      const refused: string[] = [];
      let code: 'UNAUTHORIZED' | 'FORBIDDEN' = 'FORBIDDEN';
      for (const t of topics) {
        const decision = await ctx.mayRead(t);
        if (decision.ok) continue;
        refused.push(t.slice('dashboard:'.length));
        if (decision.code === 'UNAUTHORIZED') code = 'UNAUTHORIZED';
      }
      if (refused.length) {
        return dashboardError({ code, message: `not allowed to read ${refused.join(', ')}${ctx.identity ? '' : ' without a token'}; nothing was changed`, ...(message.id ? { id: message.id } : {}) });
      }
      // A `since` for a stream already subscribed resubscribes it (how a client fills a gap it saw in `seq`).
      for (const t of topics) if (since[t] && ctx.topics().has(t)) ctx.unsubscribe(t);
      const result = await subscribeAll(ctx, topics, since);
      ctx.after(() => sendSnapshots(ctx, result, DASHBOARD_STREAMS.map(dashboardTopic)));
      return subscriptionsOf(ctx, message.id, result.positions, result.refused);
    },
    unsubscribe(message, ctx) {
      const bad = check(message.streams, message.id);
      if (bad) return bad;
      for (const s of message.streams as DashboardStream[]) ctx.unsubscribe(dashboardTopic(s));
      return subscriptionsOf(ctx, message.id);
    },
  };
}

/**
 * Subscribes a new dashboard client to every stream it may read (recovering those named in the `since` query parameter) and
 * sends `subscriptions` with each stream's position, then the snapshots of the streams not recovered (the latest
 * prices and portfolio, so the dashboard is not empty until the next tick).
 */
export async function openDashboard(ctx: ConnectionContext, query: URLSearchParams): Promise<void> {
  const since = sinceFromQuery(query);
  if (!since.ok) {
    ctx.send(dashboardError({ code: 'INVALID_MESSAGE', message: since.message, field: 'since' }));
    ctx.close('BAD_REQUEST', since.message);
    return;
  }
  // Only the streams this connection may read (with AUTH=jwt and no token: what anonymous users may read).
  const readable: string[] = [];
  for (const t of DASHBOARD_STREAMS.map(dashboardTopic)) if ((await ctx.mayRead(t)).ok) readable.push(t);
  const result = await subscribeAll(ctx, readable, since.since);
  // Streams the subscription cap left out are named (not_subscribed), never dropped silently.
  ctx.send(subscriptionsOf(ctx, undefined, result.positions, result.refused));
  sendSnapshots(ctx, result, DASHBOARD_STREAMS.map(dashboardTopic));
}
