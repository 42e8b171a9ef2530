// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/**
 * Token bucket: `ratePerSec` tokens per second, at most `burst` stored; it starts full. The one rate limiter of
 * Tickwire: the server's inbound limit per connection, and the client's outbound pacing under that limit. Time comes
 * from `now` (ms) so tests can drive it. No Node or browser APIs (the client bundle for the browser imports it).
 */
export class TokenBucket {
    ratePerSec;
    burst;
    now;
    tokens;
    last;
    constructor(ratePerSec, burst, now = Date.now) {
        this.ratePerSec = ratePerSec;
        this.burst = burst;
        this.now = now;
        this.tokens = burst;
        this.last = now();
    }
    /** Takes one token; false (and nothing taken) when the bucket holds less than one. */
    take() {
        this.refill();
        if (this.tokens < 1)
            return false;
        this.tokens -= 1;
        return true;
    }
    /** Milliseconds until take() can succeed: 0 when it can now. */
    waitMs() {
        this.refill();
        return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000);
    }
    refill() {
        const t = this.now();
        this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
        this.last = t;
    }
}
