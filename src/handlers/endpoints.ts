/**
 * The Endpoint values for the two multi-operation WebSocket paths, built from their handlers. They live with the
 * handlers (not in src/server/) so the server side — gateway, connection, the Endpoint interface — never imports
 * a handler: handlers depend on server/endpoint.ts, and only the composition root (src/app.ts) puts both together.
 */
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
import type { ConnectionContext, Endpoint } from '../server/endpoint.ts';
import { operationError } from './bars.ts';
import { dashboardError, openDashboard } from './dashboard.ts';

/** `/api/v1/ws`: seed-004 operations, handlers typed by the generated OperationEndpointHandlers. */
export function operationEndpoint(handlers: OperationEndpointHandlers<ConnectionContext>): Endpoint<null> {
  return {
    id: operationEndpointEndpoint.id,
    inbound: operationEndpointEndpoint.inbound,
    outbound: operationEndpointEndpoint.outboundStrict,
    match: (pathname) => (pathname === operationEndpointEndpoint.address ? { ok: true, params: null } : null),
    errorMessage: operationError,
    handle: (message, ctx) => dispatchOperationEndpoint(handlers, message as OperationEndpointInbound, ctx),
  };
}

/** `/ws`: the dashboard; every client starts subscribed to all streams. */
export function dashboardWsEndpoint(handlers: DashboardHandlers<ConnectionContext>): Endpoint<null> {
  return {
    id: dashboardEndpoint.id,
    inbound: dashboardEndpoint.inbound,
    outbound: dashboardEndpoint.outboundStrict,
    match: (pathname) => (pathname === dashboardEndpoint.address ? { ok: true, params: null } : null),
    errorMessage: dashboardError,
    open: (ctx, _params, query) => openDashboard(ctx, query),
    handle: (message, ctx) => dispatchDashboard(handlers, message as DashboardInbound, ctx),
  };
}
