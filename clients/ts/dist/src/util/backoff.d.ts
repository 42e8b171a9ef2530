// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/**
 * Exponential backoff with jitter: the one formula every reconnecting part of Tickwire uses (the client's socket,
 * the IB connection). Each caller keeps its own policy values. Pure; no Node or browser APIs (the client bundle
 * for the browser imports it).
 */
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
/**
 * Delay before retry `attempt` (0 = the first retry): `base = min(maxMs, initialMs * factor^attempt)`, of which the
 * top `jitter` fraction is drawn at random (`random()` in [0, 1)), so that peers dropped together do not return in
 * lockstep. Rounded to whole milliseconds.
 */
export declare function backoffDelay(attempt: number, options: BackoffOptions, random?: () => number): number;
