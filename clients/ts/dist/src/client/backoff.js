// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/** Reconnect policy of the client: when to try again, and whether to try at all. Pure functions. */
import { CloseCodes } from "../../generated/codes.js";
/** The client's reconnect delays (the formula is backoffDelay in src/util/backoff.ts). */
export const defaultBackoff = { initialMs: 250, maxMs: 10_000, factor: 2, jitter: 0.5 };
const byCode = new Map(Object.values(CloseCodes).map((c) => [c.code, c.reconnect]));
/**
 * Whether a close code allows reconnecting: the contract's close-code table first (CloseCodes[x].reconnect), then
 * its ranges (4000-4499 may reconnect, 4500-4999 must not); any other code (1000, 1006 abnormal, 1011, ...) may.
 */
export function mayReconnect(code) {
    const known = byCode.get(code);
    if (known !== undefined)
        return known;
    return !(code >= 4500 && code <= 4999);
}
