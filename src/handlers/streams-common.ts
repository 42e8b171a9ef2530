/**
 * The seed-003 envelope `{type, timestamp, data}` shared by the backtest, live-trading and market-data streams:
 * builders for the messages every one of them sends (connected, error, pong) and a typed helper for the rest.
 * `ping` → `pong` is answered the same way on every endpoint (also /api/v1/ws and /ws).
 * `timestamp` is the server's ISO-8601 UTC time when the message was built.
 */
import type { ConnectedData, ErrorPayload, StreamConnectedMessage, StreamErrorMessage, StreamPongMessage } from '../../generated/types.ts';
import type { ErrorInfo } from '../server/endpoint.ts';

export type Clock = () => number;

export function isoNow(now: Clock = Date.now): string {
  return new Date(now()).toISOString();
}

/** `{type, timestamp, data}` with the type as a literal, so the result is assignable to the generated message type. */
export function envelope<T extends string, D>(type: T, data: D, now: Clock = Date.now): { type: T; timestamp: string; data: D } {
  return { type, timestamp: isoNow(now), data };
}

export function connectedMessage(data: ConnectedData, now: Clock = Date.now): StreamConnectedMessage {
  return envelope('connected', data, now);
}

/** The endpoints' `errorMessage`: the request id of ErrorInfo has no place in this envelope and is dropped. */
export function streamError(error: ErrorInfo, now: Clock = Date.now): StreamErrorMessage {
  const data: ErrorPayload = { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
  return envelope('error', data, now);
}

export function pongMessage(now: Clock = Date.now): StreamPongMessage {
  return envelope('pong', {}, now);
}

/** The `ping` handler every endpoint shares (typed against the generated *Handlers). */
export function pingHandlers<Ctx>(now: Clock = Date.now): { ping(message: unknown, ctx: Ctx): StreamPongMessage } {
  return { ping: () => pongMessage(now) };
}
