/** Reconnect policy of the client: when to try again, and whether to try at all. Pure functions. */
import { CloseCodes } from '../../generated/codes.ts';

export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** Cap on any delay. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** 0..1: the part of each delay that is random (0.5 = "equal jitter": between half and all of it). */
  jitter: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 250, maxMs: 10_000, factor: 2, jitter: 0.5 };

/**
 * Delay before reconnect attempt `attempt` (0 = the first retry): exponential, capped at maxMs, with the top
 * `jitter` fraction drawn at random so that clients dropped together by one server do not return in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
  return Math.round(base * (1 - options.jitter) + base * options.jitter * random());
}

const byCode = new Map<number, boolean>(Object.values(CloseCodes).map((c) => [c.code, c.reconnect]));

/**
 * Whether a close code allows reconnecting: the contract's close-code table first (CloseCodes[x].reconnect), then
 * its ranges (4000-4499 may reconnect, 4500-4999 must not); any other code (1000, 1006 abnormal, 1011, ...) may.
 */
export function mayReconnect(code: number): boolean {
  const known = byCode.get(code);
  if (known !== undefined) return known;
  return !(code >= 4500 && code <= 4999);
}
