/**
 * Builds bars of every resolution for ONE symbol from small inputs: IB 5-second realtime bars, or ticks
 * (a tick is a bar with open = high = low = close and its traded volume). An input is placed by its `time`
 * (the start of a 5-s bar, or the instant of a tick).
 *
 * Listener contract (the MarketSource BarListener contract), per resolution:
 * - every change of the forming bar is emitted with `closed = false`; the same `time` as before means
 *   "replace the forming bar", a later `time` means a new bar started;
 * - every bar is emitted with `closed = true` exactly once, before the first update of the next bar of that
 *   resolution: either when an input of a later bucket arrives, or from `closeUpTo(now)` once its period has
 *   ended (a timer calls it so bars close when no trade arrives);
 * - bars are snapshots: the aggregator never mutates an object it has passed to a listener;
 * - listeners are called synchronously, in subscription order; a throwing listener never stops the others
 *   (its error goes to `onListenerError` and is counted in stats()).
 *
 * Rules:
 * - bucket boundaries follow resolution.ts (intraday aligned to the session open; a bucket that the session
 *   close cuts short ends at the close; 'D' = one trading day, time = 00:00 UTC of its date);
 * - inputs outside the session's trading hours are ignored and counted (`outside_session`);
 * - gaps invent nothing: no empty bars; the next bar starts at the bucket of the next input;
 * - open = the earliest input's open and close = the latest input's close, by input time (not arrival);
 *   high/low = extremes; volume = sum;
 * - a late input (its bucket is older than the resolution's current bucket, or that bucket is already
 *   closed) is dropped for that resolution and counted; it may still be merged into coarser resolutions
 *   whose bar is still forming.
 */
import type { Bar, BarListener, Resolution } from './source.ts';
import { RESOLUTIONS } from './source.ts';
import { bucketIn, type Bucket } from './resolution.ts';
import { DAY_MS, tradingDayAt, tradingDayOn, type Session, type TradingDay } from './session.ts';

export interface AggregatorOptions {
  session: Session;
  /** Resolutions to build; default all of RESOLUTIONS. */
  resolutions?: readonly Resolution[];
  /** Receives errors thrown by listeners (they are otherwise only counted). */
  onListenerError?: (error: unknown, resolution: Resolution) => void;
}

export interface AggregatorStats {
  /** Inputs merged into at least one resolution. */
  accepted: number;
  /** Inputs outside trading hours (ignored). */
  outside_session: number;
  /** Inputs with non-finite numbers, inconsistent OHLC or negative volume (ignored). */
  invalid: number;
  /** Inputs dropped as late by at least one resolution. */
  late_dropped: number;
  /** Per resolution: inputs that resolution dropped as late. */
  late_dropped_by_resolution: Record<Resolution, number>;
  listener_errors: number;
}

/** What add() did with an input: merged somewhere, dropped as late everywhere, or ignored. */
export type AddOutcome = 'accepted' | 'late' | 'outside_session' | 'invalid';

export type SeedErrorCode = 'SEED_UNKNOWN_RESOLUTION' | 'SEED_MISALIGNED' | 'SEED_STALE';
export type SeedResult = { ok: true } | { ok: false; code: SeedErrorCode; message: string };

interface Slot {
  bar: Bar;
  /** End of the bar's period (exclusive). */
  end: number;
  /** Times of the earliest and latest inputs merged (they own open and close). */
  first: number;
  last: number;
  closed: boolean;
}

export class BarAggregator {
  private readonly session: Session;
  private readonly resolutions: readonly Resolution[];
  private readonly onListenerError: ((error: unknown, resolution: Resolution) => void) | undefined;
  private readonly slots = new Map<Resolution, Slot>();
  private readonly listeners = new Map<Resolution, Set<BarListener>>();
  /** Cache of the trading day of the last input (avoids time-zone work per input). */
  private day: TradingDay | undefined;
  private readonly counters: AggregatorStats;

  constructor(options: AggregatorOptions) {
    this.session = options.session;
    this.resolutions = [...(options.resolutions ?? RESOLUTIONS)];
    this.onListenerError = options.onListenerError;
    const byRes = Object.fromEntries(RESOLUTIONS.map((r) => [r, 0])) as Record<Resolution, number>;
    this.counters = { accepted: 0, outside_session: 0, invalid: 0, late_dropped: 0, late_dropped_by_resolution: byRes, listener_errors: 0 };
  }

  /** Listen to bars of one resolution; returns the function that removes this listener. */
  onBar(res: Resolution, listener: BarListener): () => void {
    let set = this.listeners.get(res);
    if (!set) this.listeners.set(res, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Feeds one 5-second bar or tick. Listeners are notified before add returns. */
  add(input: Bar): AddOutcome {
    if (!isValidInput(input)) {
      this.counters.invalid++;
      return 'invalid';
    }
    const day = this.tradingDay(input.time);
    if (!day) {
      this.counters.outside_session++;
      return 'outside_session';
    }
    let merged = false;
    let dropped = false;
    for (const res of this.resolutions) {
      const bucket = bucketIn(input.time, res, day);
      const slot = this.slots.get(res);
      if (!slot || bucket.time > slot.bar.time) {
        if (slot && !slot.closed) this.close(res, slot);
        this.open(res, bucket, input);
        merged = true;
      } else if (bucket.time === slot.bar.time && !slot.closed) {
        merge(slot, input);
        this.emit(res, slot.bar, false);
        merged = true;
      } else {
        this.counters.late_dropped_by_resolution[res]++;
        dropped = true;
      }
    }
    if (dropped) this.counters.late_dropped++;
    if (merged) this.counters.accepted++;
    return merged ? 'accepted' : 'late';
  }

  /** Closes (emits closed = true) every forming bar whose period has ended at `now` (end <= now). */
  closeUpTo(now: number): void {
    for (const res of this.resolutions) {
      const slot = this.slots.get(res);
      if (slot && !slot.closed && slot.end <= now) this.close(res, slot);
    }
  }

  /** The forming bar of `res`, or the last one when it has closed; undefined before any input. */
  current(res: Resolution): Bar | undefined {
    const slot = this.slots.get(res);
    return slot ? { ...slot.bar } : undefined;
  }

  /**
   * Backfills the forming bar of `res` from historical data (e.g. today's bar so far). The seed replaces
   * any forming bar of the same time, is emitted to listeners (closed = false), and later inputs merge
   * into it. The caller seeds with history that ends where live input begins: there is no deduplication.
   * A seed newer than the forming bar closes that bar first. Refused (as a value) when `res` is not built,
   * `bar.time` is not a bucket start within trading hours, or the bar is older than / same as a closed bar.
   */
  seed(res: Resolution, bar: Bar): SeedResult {
    if (!this.resolutions.includes(res)) {
      return { ok: false, code: 'SEED_UNKNOWN_RESOLUTION', message: `resolution ${res} is not built` };
    }
    const bucket = this.bucketAt(res, bar.time);
    if (!bucket || bucket.time !== bar.time) {
      return { ok: false, code: 'SEED_MISALIGNED', message: `bar time ${bar.time} is not a ${res} bucket start in trading hours` };
    }
    const slot = this.slots.get(res);
    if (slot && (bar.time < slot.bar.time || (bar.time === slot.bar.time && slot.closed))) {
      return { ok: false, code: 'SEED_STALE', message: `bar time ${bar.time} is older than the forming bar or already closed` };
    }
    if (slot && bar.time > slot.bar.time && !slot.closed) this.close(res, slot);
    const next: Slot = { bar: { ...bar }, end: bucket.end, first: bar.time, last: bar.time, closed: false };
    this.slots.set(res, next);
    this.emit(res, next.bar, false);
    return { ok: true };
  }

  stats(): AggregatorStats {
    return { ...this.counters, late_dropped_by_resolution: { ...this.counters.late_dropped_by_resolution } };
  }

  private tradingDay(t: number): TradingDay | undefined {
    const cached = this.day;
    if (cached && cached.start <= t && t < cached.end) return cached;
    const day = tradingDayAt(this.session, t);
    if (day) this.day = day;
    return day;
  }

  /** The bucket a bar time belongs to: for 'D' the time must be 00:00 UTC of a trading day. */
  private bucketAt(res: Resolution, time: number): Bucket | undefined {
    if (res === 'D') {
      const day = time % DAY_MS === 0 ? tradingDayOn(this.session, time / DAY_MS) : undefined;
      return day ? bucketIn(day.start, res, day) : undefined;
    }
    const day = this.tradingDay(time);
    return day ? bucketIn(time, res, day) : undefined;
  }

  private open(res: Resolution, bucket: Bucket, input: Bar): void {
    const slot: Slot = {
      bar: { time: bucket.time, open: input.open, high: input.high, low: input.low, close: input.close, volume: input.volume },
      end: bucket.end,
      first: input.time,
      last: input.time,
      closed: false,
    };
    this.slots.set(res, slot);
    this.emit(res, slot.bar, false);
  }

  private close(res: Resolution, slot: Slot): void {
    slot.closed = true;
    this.emit(res, slot.bar, true);
  }

  private emit(res: Resolution, bar: Bar, closed: boolean): void {
    const set = this.listeners.get(res);
    if (!set || set.size === 0) return;
    const snapshot = { ...bar };
    for (const listener of [...set]) {
      try {
        listener(snapshot, closed);
      } catch (error) {
        this.counters.listener_errors++;
        this.onListenerError?.(error, res);
      }
    }
  }
}

/** Mutates the slot's bar in place: emit() hands listeners snapshots, never this object. */
function merge(slot: Slot, input: Bar): void {
  const bar = slot.bar;
  bar.high = Math.max(bar.high, input.high);
  bar.low = Math.min(bar.low, input.low);
  bar.volume += input.volume;
  if (input.time < slot.first) {
    bar.open = input.open;
    slot.first = input.time;
  }
  if (input.time >= slot.last) {
    bar.close = input.close;
    slot.last = input.time;
  }
}

function isValidInput(b: Bar): boolean {
  return (
    Number.isFinite(b.time) &&
    Number.isFinite(b.open) &&
    Number.isFinite(b.high) &&
    Number.isFinite(b.low) &&
    Number.isFinite(b.close) &&
    Number.isFinite(b.volume) &&
    b.volume >= 0 &&
    b.low <= Math.min(b.open, b.close) &&
    b.high >= Math.max(b.open, b.close)
  );
}
