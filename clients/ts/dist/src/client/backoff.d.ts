// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import type { BackoffOptions } from '../util/backoff.js';
/** The client's reconnect delays (the formula is backoffDelay in src/util/backoff.ts). */
export declare const defaultBackoff: BackoffOptions;
/**
 * Whether a close code allows reconnecting: the contract's close-code table first (CloseCodes[x].reconnect), then
 * its ranges (4000-4499 may reconnect, 4500-4999 must not); any other code (1000, 1006 abnormal, 1011, ...) may.
 */
export declare function mayReconnect(code: number): boolean;
