/**
 * A request queue that keeps traffic to TWS / IB Gateway inside IB's pacing limits, so requests are
 * delayed here instead of being refused upstream (error 100 "max rate of messages per second exceeded",
 * 162 "Historical Market Data Service error message: ... pacing violation", 420 invalid real-time query).
 *
 * Rules implemented (defaults; every figure is configurable through `PacingLimits`):
 * 1. Messages: at most `maxMessagesPerSecond` (50, IB's documented ceiling) requests of any kind within
 *    any sliding 1000 ms window.
 * 2. Historical data, same contract: IB counts "six or more historical data requests for the same contract,
 *    exchange and tick type within two seconds" as a violation, so at most `historicalPerContractMax` (5)
 *    requests with the same `contractKey` are sent within any `historicalPerContractWindowMs` (2000 ms).
 * 3. Historical data, overall: at most `historicalMax` (60) historical requests within any
 *    `historicalWindowMs` (600 000 ms = 10 minutes).
 * 4. Identical historical requests: IB refuses "identical historical data requests within 15 seconds";
 *    two requests with the same `identityKey` are sent at least `identicalGapMs` (15 000 ms) apart.
 *    (Callers should coalesce identical requests themselves; this rule is the safety net.)
 * Not implemented: the bid/ask "counts twice" rule (callers ask for TRADES only), and IB's per-size limits
 * for small bars (that rule is about 30-second-or-smaller bars, which this gateway never requests).
 *
 * Ordering: requests leave in submission order except that a request blocked by a historical rule does not
 * hold back requests that rule 2–4 do not block (a realtime subscription is not stuck behind a history).
 * Requests with the same contract/identity key keep their relative order.
 *
 * Time is injected (`PacingClock`) so tests can advance it. The queue owns one timer at most; `clear()`
 * drops everything pending (used when the connection is lost: owners re-issue after reconnect).
 */

export interface PacingClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock (Date.now and Node timers). */
export const SYSTEM_CLOCK: PacingClock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

export interface PacingLimits {
  maxMessagesPerSecond: number;
  historicalPerContractMax: number;
  historicalPerContractWindowMs: number;
  historicalMax: number;
  historicalWindowMs: number;
  identicalGapMs: number;
}

export const DEFAULT_PACING_LIMITS: Readonly<PacingLimits> = Object.freeze({
  maxMessagesPerSecond: 50,
  historicalPerContractMax: 5,
  historicalPerContractWindowMs: 2_000,
  historicalMax: 60,
  historicalWindowMs: 600_000,
  identicalGapMs: 15_000,
});

export interface PacedRequest {
  /** 'historical' requests are subject to rules 2–4 as well as rule 1. */
  kind: 'message' | 'historical';
  /** Contract + exchange + whatToShow, for rule 2 (historical only). */
  contractKey?: string;
  /** All request parameters, for rule 4 (historical only). */
  identityKey?: string;
  /** Sends the request. Called once, from the queue's timer or from submit(); a throw is contained. */
  send: () => void;
}

export interface PacingStats {
  submitted: number;
  sent: number;
  /** requests that could not be sent at submission time */
  delayed: number;
  dropped: number;
  /** longest time a request waited, ms */
  max_wait_ms: number;
}

interface Pending {
  req: PacedRequest;
  submittedAt: number;
}

export class PacingQueue {
  readonly limits: Readonly<PacingLimits>;
  private readonly clock: PacingClock;
  private readonly onSendError: (error: unknown) => void;
  private queue: Pending[] = [];
  private readonly messageTimes: number[] = [];
  private readonly historicalTimes: number[] = [];
  private readonly contractTimes = new Map<string, number[]>();
  private readonly identityTimes = new Map<string, number>();
  private timer: unknown = undefined;
  private timerAt = Infinity;
  private readonly counters: PacingStats = { submitted: 0, sent: 0, delayed: 0, dropped: 0, max_wait_ms: 0 };

  constructor(options: { limits?: Partial<PacingLimits>; clock?: PacingClock; onSendError?: (error: unknown) => void } = {}) {
    this.limits = Object.freeze({ ...DEFAULT_PACING_LIMITS, ...options.limits });
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.onSendError = options.onSendError ?? (() => undefined);
  }

  /** Number of requests waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Queues a request; it is sent synchronously when no rule blocks it, else from the timer.
   * Returns a function that withdraws it if it has not been sent yet.
   */
  submit(req: PacedRequest): () => void {
    const item: Pending = { req, submittedAt: this.clock.now() };
    this.counters.submitted++;
    this.queue.push(item);
    this.pump();
    if (this.queue.includes(item)) this.counters.delayed++;
    return () => {
      const i = this.queue.indexOf(item);
      if (i >= 0) {
        this.queue.splice(i, 1);
        this.counters.dropped++;
      }
    };
  }

  /** Drops every pending request (they are never sent). Returns how many were dropped. */
  clear(): number {
    const n = this.queue.length;
    this.queue = [];
    this.counters.dropped += n;
    this.cancelTimer();
    return n;
  }

  stats(): PacingStats {
    return { ...this.counters };
  }

  /** The earliest time `req` may be sent given what has been sent so far. */
  private eligibleAt(req: PacedRequest, now: number): number {
    const l = this.limits;
    let at = now;
    at = Math.max(at, windowFree(this.messageTimes, l.maxMessagesPerSecond, 1000, now));
    if (req.kind === 'historical') {
      at = Math.max(at, windowFree(this.historicalTimes, l.historicalMax, l.historicalWindowMs, now));
      if (req.contractKey !== undefined) {
        const times = this.contractTimes.get(req.contractKey) ?? [];
        at = Math.max(at, windowFree(times, l.historicalPerContractMax, l.historicalPerContractWindowMs, now));
      }
      if (req.identityKey !== undefined) {
        const last = this.identityTimes.get(req.identityKey);
        if (last !== undefined) at = Math.max(at, last + l.identicalGapMs);
      }
    }
    return at;
  }

  private record(req: PacedRequest, now: number): void {
    this.messageTimes.push(now);
    if (req.kind !== 'historical') return;
    this.historicalTimes.push(now);
    if (req.contractKey !== undefined) {
      const times = this.contractTimes.get(req.contractKey) ?? [];
      times.push(now);
      this.contractTimes.set(req.contractKey, times);
    }
    if (req.identityKey !== undefined) this.identityTimes.set(req.identityKey, now);
  }

  private prune(now: number): void {
    const l = this.limits;
    trim(this.messageTimes, now - 1000);
    trim(this.historicalTimes, now - l.historicalWindowMs);
    for (const [k, times] of this.contractTimes) {
      trim(times, now - l.historicalPerContractWindowMs);
      if (times.length === 0) this.contractTimes.delete(k);
    }
    for (const [k, t] of this.identityTimes) if (t + l.identicalGapMs <= now) this.identityTimes.delete(k);
  }

  private pump(): void {
    const now = this.clock.now();
    this.prune(now);
    let next = Infinity;
    const blockedKeys = new Set<string>();
    for (const item of [...this.queue]) {
      const { req } = item;
      const key = req.kind === 'historical' ? `${req.contractKey ?? ''}|${req.identityKey ?? ''}` : undefined;
      // keep relative order among requests of the same key
      if (key !== undefined && blockedKeys.has(key)) continue;
      const at = this.eligibleAt(req, now);
      if (at > now) {
        next = Math.min(next, at);
        if (key !== undefined) blockedKeys.add(key);
        // rule 1 blocks everything behind it: stop here to keep FIFO for plain messages
        if (this.messageTimes.length >= this.limits.maxMessagesPerSecond) break;
        continue;
      }
      this.queue.splice(this.queue.indexOf(item), 1);
      this.record(req, now);
      this.counters.sent++;
      this.counters.max_wait_ms = Math.max(this.counters.max_wait_ms, now - item.submittedAt);
      try {
        req.send();
      } catch (error) {
        this.onSendError(error);
      }
    }
    if (this.queue.length === 0) {
      this.cancelTimer();
      return;
    }
    if (next === Infinity) next = now + 1;
    this.armTimer(next, now);
  }

  private armTimer(at: number, now: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.cancelTimer();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - now));
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}

/** Earliest time a new event fits into a sliding window that allows `max` events per `windowMs`. */
function windowFree(sortedTimes: readonly number[], max: number, windowMs: number, now: number): number {
  if (sortedTimes.length < max) return now;
  return sortedTimes[sortedTimes.length - max] + windowMs;
}

function trim(sortedTimes: number[], olderThanOrAt: number): void {
  let n = 0;
  while (n < sortedTimes.length && sortedTimes[n] <= olderThanOrAt) n++;
  if (n > 0) sortedTimes.splice(0, n);
}
