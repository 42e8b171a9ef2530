/** Reconnect policy of the client: when to try again, and whether to try at all. Pure functions. */
import { CloseCodes } from '../../generated/codes.ts';
import type { BackoffOptions } from '../util/backoff.ts';

/** The client's reconnect delays (the formula is backoffDelay in src/util/backoff.ts). */
export const defaultBackoff: BackoffOptions = { initialMs: 250, maxMs: 10_000, factor: 2, jitter: 0.5 };

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
