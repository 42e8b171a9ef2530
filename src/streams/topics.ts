import type { DashboardStream } from '../../generated/types.ts';

/** Hub topics of the dashboard streams (the `/ws` endpoint). Names are the contract's DashboardStream values. */
export const DASHBOARD_STREAMS: readonly DashboardStream[] = ['prices', 'signals', 'trades', 'portfolio'];

export function dashboardTopic(stream: DashboardStream): string {
  return `dashboard:${stream}`;
}

export function isDashboardStream(name: string): name is DashboardStream {
  return (DASHBOARD_STREAMS as readonly string[]).includes(name);
}
