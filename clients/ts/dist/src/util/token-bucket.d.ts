// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/**
 * Token bucket: `ratePerSec` tokens per second, at most `burst` stored; it starts full. The one rate limiter of
 * Tickwire: the server's inbound limit per connection, and the client's outbound pacing under that limit. Time comes
 * from `now` (ms) so tests can drive it. No Node or browser APIs (the client bundle for the browser imports it).
 */
export declare class TokenBucket {
    private readonly ratePerSec;
    private readonly burst;
    private readonly now;
    private tokens;
    private last;
    constructor(ratePerSec: number, burst: number, now?: () => number);
    /** Takes one token; false (and nothing taken) when the bucket holds less than one. */
    take(): boolean;
    /** Milliseconds until take() can succeed: 0 when it can now. */
    waitMs(): number;
    private refill;
}
