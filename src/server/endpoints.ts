import {
  dashboardEndpoint,
  dispatchDashboard,
  dispatchOperationEndpoint,
  operationEndpointEndpoint,
  type DashboardHandlers,
  type DashboardInbound,
  type OperationEndpointHandlers,
  type OperationEndpointInbound,
} from '../../generated/messages.ts';
import { dashboardError, openDashboard, type Snapshots } from '../handlers/dashboard.ts';
import { operationError } from '../handlers/bars.ts';
import type { ConnectionContext, Endpoint } from './endpoint.ts';

/** `/api/v1/ws`: seed-004 operations, handlers typed by the generated OperationEndpointHandlers. */
export function operationEndpoint(handlers: OperationEndpointHandlers<ConnectionContext>): Endpoint<null> {
  return {
    id: operationEndpointEndpoint.id,
    inbound: operationEndpointEndpoint.inbound,
    outbound: operationEndpointEndpoint.outbound,
    match: (pathname) => (pathname === operationEndpointEndpoint.address ? { ok: true, params: null } : null),
    errorMessage: operationError,
    handle: (message, ctx) => dispatchOperationEndpoint(handlers, message as OperationEndpointInbound, ctx),
  };
}

/** `/ws`: the dashboard; every client starts subscribed to all streams. */
export function dashboardWsEndpoint(handlers: DashboardHandlers<ConnectionContext>, snapshots: Snapshots): Endpoint<null> {
  return {
    id: dashboardEndpoint.id,
    inbound: dashboardEndpoint.inbound,
    outbound: dashboardEndpoint.outbound,
    match: (pathname) => (pathname === dashboardEndpoint.address ? { ok: true, params: null } : null),
    errorMessage: dashboardError,
    open: (ctx) => openDashboard(ctx, snapshots),
    handle: (message, ctx) => dispatchDashboard(handlers, message as DashboardInbound, ctx),
  };
}
