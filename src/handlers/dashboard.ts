import type { DashboardHandlers } from '../../generated/messages.ts';
import type { DashboardErrorMessage, DashboardStream, DashboardSubscriptionsMessage } from '../../generated/types.ts';
import type { ConnectionContext, ErrorInfo } from '../server/endpoint.ts';
import { DASHBOARD_STREAMS, dashboardTopic, isDashboardStream } from '../streams/topics.ts';
import { pingHandlers } from './streams-common.ts';

export function dashboardError(error: ErrorInfo): DashboardErrorMessage {
  const { id, code, message, field } = error;
  return { type: 'error', ...(id ? { id } : {}), code, message, ...(field ? { field } : {}) };
}

export function subscriptionsOf(ctx: ConnectionContext, id?: string): DashboardSubscriptionsMessage {
  const mine = ctx.topics();
  const streams = DASHBOARD_STREAMS.filter((s) => mine.has(dashboardTopic(s)));
  return { type: 'subscriptions', ...(id ? { id } : {}), streams };
}

/** Latest state of a stream, sent to a client when it (re)subscribes so the dashboard is not empty until the next tick. */
export type Snapshots = Partial<Record<DashboardStream, () => object | undefined>>;

/** Seed 000 option C: everyone starts with all streams (see open()); subscribe/unsubscribe narrow or widen. */
export function createDashboardHandlers(deps: { snapshots: Snapshots }): DashboardHandlers<ConnectionContext> {
  const check = (streams: string[], id?: string): DashboardErrorMessage | undefined => {
    const unknown = streams.filter((s) => !isDashboardStream(s));
    if (!unknown.length) return undefined;
    return dashboardError({ code: 'UNKNOWN_STREAM', message: `unknown stream ${unknown.map((s) => JSON.stringify(s)).join(', ')}; streams: ${DASHBOARD_STREAMS.join(', ')}`, ...(id ? { id } : {}) });
  };
  return {
    ...pingHandlers<ConnectionContext>(),
    subscribe(message, ctx) {
      const bad = check(message.streams, message.id);
      if (bad) return bad;
      const added = (message.streams as DashboardStream[]).filter((s) => ctx.subscribe(dashboardTopic(s)) === 'added');
      ctx.after(() => sendSnapshots(ctx, added, deps.snapshots));
      return subscriptionsOf(ctx, message.id);
    },
    unsubscribe(message, ctx) {
      const bad = check(message.streams, message.id);
      if (bad) return bad;
      for (const s of message.streams as DashboardStream[]) ctx.unsubscribe(dashboardTopic(s));
      return subscriptionsOf(ctx, message.id);
    },
  };
}

/** Subscribes a new dashboard client to every stream and sends `subscriptions` then the current snapshots. */
export function openDashboard(ctx: ConnectionContext, snapshots: Snapshots): void {
  for (const s of DASHBOARD_STREAMS) ctx.subscribe(dashboardTopic(s));
  ctx.send(subscriptionsOf(ctx));
  sendSnapshots(ctx, DASHBOARD_STREAMS, snapshots);
}

function sendSnapshots(ctx: ConnectionContext, streams: readonly DashboardStream[], snapshots: Snapshots): void {
  for (const s of streams) {
    const snap = snapshots[s]?.();
    if (snap) ctx.send(snap);
  }
}
