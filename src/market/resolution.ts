/**
 * Period math for bar resolutions: how long a bar lasts and which bucket an instant falls into.
 *
 * Alignment rule (chosen on purpose): intraday buckets are aligned to the session open, not to UTC epoch
 * multiples. For US equities (09:30 New York) 60-minute bars start at 09:30, 10:30, ... 15:30, as charting
 * platforms show them, and the last one is cut short by the 16:00 close. For a session opening at 00:00 UTC
 * (ALWAYS_OPEN_SESSION: crypto, the simulated market) every minute resolution divides a day, so the buckets
 * coincide with UTC epoch multiples. Daily ('D') buckets are trading days: time = 00:00 UTC of the session's
 * local date, period = that day's session hours.
 */
import { RESOLUTIONS, type Resolution } from './source.ts';
import { tradingDayAt, type Session, type TradingDay } from './session.ts';

export type MinuteResolution = Exclude<Resolution, 'D'>;

/** The period an instant falls into: bar `time`, and `end` (exclusive) when the bar's period is over. */
export interface Bucket {
  readonly time: number;
  readonly end: number;
}

export function isResolution(value: unknown): value is Resolution {
  return typeof value === 'string' && (RESOLUTIONS as readonly string[]).includes(value);
}

export function isMinuteResolution(res: Resolution): res is MinuteResolution {
  return res !== 'D';
}

/** Nominal length of a minute resolution in ms ('60' = 3_600_000). A bar may be shorter at the session close. */
export function resolutionMs(res: MinuteResolution): number {
  return Number(res) * 60_000;
}

/**
 * The bucket of instant `t` within trading day `day` (the caller guarantees day.start <= t < day.end).
 * Intraday: start = day.start + k * period, end = min(start + period, day.end). Daily: [day.time, day.end).
 */
export function bucketIn(t: number, res: Resolution, day: TradingDay): Bucket {
  if (res === 'D') return { time: day.time, end: day.end };
  const ms = resolutionMs(res);
  const time = day.start + Math.floor((t - day.start) / ms) * ms;
  return { time, end: Math.min(time + ms, day.end) };
}

/** Start of the bucket of instant `t`, or undefined when `t` is outside the session's trading hours. */
export function bucketStart(t: number, res: Resolution, session: Session): number | undefined {
  const day = tradingDayAt(session, t);
  return day ? bucketIn(t, res, day).time : undefined;
}
