/**
 * Exchange session calendars: when a market trades, and which trading day an instant belongs to.
 *
 * A session is a daily window [open, close) in the exchange's time zone on some weekdays. Conversions
 * between local wall time and UTC use Intl.DateTimeFormat with the session's IANA time zone, so they are
 * DST-correct (Node 20 ships full ICU). Limits, by design for now:
 * - holidays and early closes come from an optional `calendar` (see calendar-nyse.ts); without one, every
 *   listed weekday trades full hours;
 * - a session lies within one local calendar day (open < close); overnight sessions (futures) are not
 *   supported. `close: '24:00'` means the end of the local day.
 *
 * Daily bars follow TradingView's convention: their `time` is 00:00 UTC of the trading day's local
 * calendar date (not the session open instant).
 */

/** Day of week as Date#getUTCDay numbers it: 0 = Sunday ... 6 = Saturday. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface Session {
  /** IANA time zone of the exchange, e.g. 'America/New_York'. */
  readonly timeZone: string;
  /** Local opening time 'HH:MM' (24 h). */
  readonly open: string;
  /** Local closing time 'HH:MM' (24 h), exclusive; '24:00' = end of the local day. */
  readonly close: string;
  /** Weekdays the session trades. */
  readonly days: readonly Weekday[];
  /** Exchange holidays and early closes; absent = none. */
  readonly calendar?: SessionCalendar;
}

/**
 * Exceptions to a session's weekly pattern, by local calendar date (day number = days since 1970-01-01).
 * Contract: pure functions of the day number (deterministic, no I/O), cheap enough to call per trading day.
 */
export interface SessionCalendar {
  /** A short name for status pages, e.g. 'NYSE'. */
  readonly name: string;
  /** True when the exchange does not trade at all on that local date. */
  isHoliday(dayNumber: number): boolean;
  /** The local closing time 'HH:MM' of an early-close day (e.g. '13:00'), undefined on a normal day. */
  earlyClose(dayNumber: number): string | undefined;
}

/** One trading day of a session. */
export interface TradingDay {
  /** Local calendar date in the session's time zone, 'YYYY-MM-DD'. */
  readonly date: string;
  /** 00:00 UTC of `date`: the `time` of this day's daily bar. */
  readonly time: number;
  /** First instant of trading (epoch ms, inclusive). */
  readonly start: number;
  /** End of trading (epoch ms, exclusive). */
  readonly end: number;
}

/** US equities regular trading hours: New York, 09:30–16:00, Monday–Friday (no holidays; see NYSE_SESSION). */
export const US_EQUITY_SESSION: Session = Object.freeze({
  timeZone: 'America/New_York',
  open: '09:30',
  close: '16:00',
  days: Object.freeze([1, 2, 3, 4, 5] as Weekday[]),
});

/** Trades around the clock, every day; trading days are UTC days (crypto; the simulated market). */
export const ALWAYS_OPEN_SESSION: Session = Object.freeze({
  timeZone: 'UTC',
  open: '00:00',
  close: '24:00',
  days: Object.freeze([0, 1, 2, 3, 4, 5, 6] as Weekday[]),
});

export const DAY_MS = 86_400_000;

export type SessionErrorCode = 'SESSION_BAD_TIME_ZONE' | 'SESSION_BAD_TIME' | 'SESSION_EMPTY' | 'SESSION_NO_DAYS';
export interface SessionError {
  code: SessionErrorCode;
  message: string;
}

/** Checks a session definition; returns the first problem found, or undefined when it is usable. */
export function validateSession(session: Session): SessionError | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: session.timeZone });
  } catch {
    return { code: 'SESSION_BAD_TIME_ZONE', message: `unknown time zone ${session.timeZone}` };
  }
  const open = parseHHMM(session.open);
  const close = parseHHMM(session.close);
  if (open === undefined || close === undefined) {
    return { code: 'SESSION_BAD_TIME', message: `open/close must be HH:MM, got ${session.open}-${session.close}` };
  }
  if (open >= close) return { code: 'SESSION_EMPTY', message: 'open must be before close on the same day' };
  if (session.days.length === 0) return { code: 'SESSION_NO_DAYS', message: 'a session needs at least one weekday' };
  return undefined;
}

/** Minutes after local midnight for 'HH:MM' (00:00–24:00), or undefined when malformed. */
export function parseHHMM(hhmm: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return undefined;
  return h * 60 + min;
}

/** The trading day on a local calendar date (day number = days since 1970-01-01), if the session trades then. */
export function tradingDayOn(session: Session, dayNumber: number): TradingDay | undefined {
  const time = dayNumber * DAY_MS;
  const weekday = new Date(time).getUTCDay() as Weekday;
  if (!session.days.includes(weekday)) return undefined;
  if (session.calendar?.isHoliday(dayNumber)) return undefined;
  const offset = offsetFunction(session.timeZone);
  const close = session.calendar?.earlyClose(dayNumber) ?? session.close;
  return {
    date: new Date(time).toISOString().slice(0, 10),
    time,
    start: wallToUtc(offset, dayNumber, parseHHMM(session.open) ?? 0),
    end: wallToUtc(offset, dayNumber, parseHHMM(close) ?? 1440),
  };
}

/** The trading day whose hours contain instant `t`, or undefined when the market is closed at `t`. */
export function tradingDayAt(session: Session, t: number): TradingDay | undefined {
  const day = tradingDayOn(session, localDayNumber(session.timeZone, t));
  return day && day.start <= t && t < day.end ? day : undefined;
}

/** Whether the market is open at instant `t`. */
export function isTradingTime(session: Session, t: number): boolean {
  return tradingDayAt(session, t) !== undefined;
}

/** The first trading day that has not ended at `t`: the current one when open, else the next to open. */
export function nextTradingDay(session: Session, t: number): TradingDay {
  const first = localDayNumber(session.timeZone, t);
  // A week plus the longest run of holidays next to a weekend (two days) is always enough.
  for (let d = first; d <= first + 12; d++) {
    const day = tradingDayOn(session, d);
    if (day && day.end > t) return day;
  }
  throw new Error('nextTradingDay: session has no trading days (validate it first)');
}

/** The last trading day before `day` (the previous session, whose close is "previous close"). */
export function previousTradingDay(session: Session, day: TradingDay): TradingDay {
  const dn = day.time / DAY_MS;
  for (let d = dn - 1; d >= dn - 12; d--) {
    const prev = tradingDayOn(session, d);
    if (prev) return prev;
  }
  throw new Error('previousTradingDay: session has no trading days (validate it first)');
}

/** Local calendar date of instant `t` in `timeZone`, as a day number (days since 1970-01-01). */
export function localDayNumber(timeZone: string, t: number): number {
  return Math.floor((t + utcOffsetMs(timeZone, t)) / DAY_MS);
}

/**
 * The instant at local wall time (`dayNumber`, `minutes` after midnight) in `timeZone`.
 * DST: a wall time skipped by a spring-forward is shifted forward by the gap (02:30 -> 03:30, like
 * Temporal's 'compatible'); an ambiguous fall-back wall time resolves to its first occurrence.
 */
export function zonedToUtc(timeZone: string, dayNumber: number, minutes: number): number {
  return wallToUtc(offsetFunction(timeZone), dayNumber, minutes);
}

/** Offset of local time from UTC at instant `t` (local = utc + offset), in ms. */
export function utcOffsetMs(timeZone: string, t: number): number {
  return offsetFunction(timeZone)(t);
}

type OffsetFn = (t: number) => number;

function wallToUtc(offset: OffsetFn, dayNumber: number, minutes: number): number {
  const wall = dayNumber * DAY_MS + minutes * 60_000;
  const guess = wall - offset(wall);
  const o2 = offset(guess);
  const o1 = offset(guess - 3 * 3_600_000);
  // A larger offset gives an earlier instant: try it first so ambiguous times take their first occurrence.
  for (const o of o1 >= o2 ? [o1, o2] : [o2, o1]) {
    if (offset(wall - o) === o) return wall - o;
  }
  return wall - Math.min(o1, o2); // in a spring-forward gap
}

/** Builds one formatter per call site (construction is the costly part) and returns an offset lookup. */
function offsetFunction(timeZone: string): OffsetFn {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return () => 0;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return (t) => {
    const f: Record<string, number> = {};
    for (const p of format.formatToParts(t)) f[p.type] = Number(p.value);
    const local = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
    return local - (t - (((t % 1000) + 1000) % 1000));
  };
}
