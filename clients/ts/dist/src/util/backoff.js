// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/**
 * Exponential backoff with jitter: the one formula every reconnecting part of Tickwire uses (the client's socket,
 * the IB connection). Each caller keeps its own policy values. Pure; no Node or browser APIs (the client bundle
 * for the browser imports it).
 */
/**
 * Delay before retry `attempt` (0 = the first retry): `base = min(maxMs, initialMs * factor^attempt)`, of which the
 * top `jitter` fraction is drawn at random (`random()` in [0, 1)), so that peers dropped together do not return in
 * lockstep. Rounded to whole milliseconds.
 */
export function backoffDelay(attempt, options, random = Math.random) {
    const base = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt));
    return Math.round(base * (1 - options.jitter) + base * options.jitter * random());
}
