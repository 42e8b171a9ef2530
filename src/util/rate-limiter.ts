/**
 * Per-key token buckets (per user, per IP): `perMinute` takes per minute, at most `burst` at once (default
 * `perMinute`). Memory is bounded: a key whose bucket has refilled completely holds no state, and at most `maxKeys`
 * keys are tracked (past that, the least recently used key is forgotten, which can only let it through sooner).
 * No module state: each limiter is built by its owner (the composition root or a service).
 */
import { TokenBucket } from './token-bucket.ts';

export interface Take {
  ok: boolean;
  /** Whole seconds until a take can succeed (for Retry-After); 0 when ok. */
  retryAfterSec: number;
}

export class KeyedRateLimiter {
  private readonly buckets = new Map<string, { bucket: TokenBucket; fullAt: number }>();
  private readonly burst: number;
  private readonly ratePerSec: number;
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(perMinute: number, options: { burst?: number; maxKeys?: number; now?: () => number } = {}) {
    this.burst = Math.max(1, options.burst ?? perMinute);
    this.ratePerSec = perMinute / 60;
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  take(key: string): Take {
    const t = this.now();
    let entry = this.buckets.get(key);
    if (entry && entry.fullAt <= t) {
      this.buckets.delete(key); // refilled: start afresh (same as a full bucket)
      entry = undefined;
    }
    if (!entry) {
      entry = { bucket: new TokenBucket(this.ratePerSec, this.burst, this.now), fullAt: t };
      if (this.buckets.size >= this.maxKeys) this.sweep(t);
    } else {
      this.buckets.delete(key); // re-inserted below: the map stays in least-recently-used order
    }
    this.buckets.set(key, entry);
    if (!entry.bucket.take()) return { ok: false, retryAfterSec: Math.max(1, Math.ceil(entry.bucket.waitMs() / 1000)) };
    // Each take is refilled in 1/ratePerSec seconds; the bucket is full once every take so far is.
    entry.fullAt = Math.max(entry.fullAt, t) + 1000 / this.ratePerSec;
    return { ok: true, retryAfterSec: 0 };
  }

  /** Keys tracked now (tests, status). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(t: number): void {
    for (const [k, e] of this.buckets) if (e.fullAt <= t) this.buckets.delete(k);
    while (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }
}
