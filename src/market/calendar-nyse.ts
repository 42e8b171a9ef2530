/**
 * The New York Stock Exchange calendar: full-day holidays and 13:00 early closes, computed from the exchange's
 * published rules (NYSE Rule 7.2), so it needs no yearly table:
 *
 * - Holidays: New Year's Day, Martin Luther King Jr. Day (third Monday of January, from 1998), Washington's
 *   Birthday (third Monday of February), Good Friday, Memorial Day (last Monday of May), Juneteenth (June 19,
 *   from 2022), Independence Day, Labor Day (first Monday of September), Thanksgiving (fourth Thursday of
 *   November), Christmas. A fixed-date holiday on a Saturday is observed on the Friday before, on a Sunday on
 *   the Monday after, except New Year's Day on a Saturday, which is not observed (Dec 31 trades).
 * - Early closes at 13:00 New York: July 3 when it is a Monday to Thursday, the day after Thanksgiving, and
 *   Christmas Eve when it is a Monday to Thursday.
 *
 * Not modelled: one-off closures (national days of mourning, weather, 9/11) and pre-1998 rules.
 */
import { US_EQUITY_SESSION, type Session, type SessionCalendar } from './session.ts';

const DAY_MS = 86_400_000;

function dayNumber(y: number, m: number, d: number): number {
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

function weekdayOf(dn: number): number {
  return new Date(dn * DAY_MS).getUTCDay();
}

/** The n-th (1-based) `weekday` of month `m`, or the last one when n = -1. */
function nthWeekday(y: number, m: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = dayNumber(y, m, 1);
    return first + ((weekday - weekdayOf(first) + 7) % 7) + (n - 1) * 7;
  }
  const last = dayNumber(y, m + 1, 1) - 1;
  return last - ((weekdayOf(last) - weekday + 7) % 7);
}

/** Easter Sunday (Gregorian; anonymous algorithm). */
function easter(y: number): number {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumber(y, month, day);
}

/** Saturday → Friday before, Sunday → Monday after. */
function observed(dn: number): number {
  const w = weekdayOf(dn);
  return w === 6 ? dn - 1 : w === 0 ? dn + 1 : dn;
}

/** The NYSE full-day holidays of year `y`, as day numbers. */
export function nyseHolidays(y: number): number[] {
  const out: number[] = [];
  const newYear = dayNumber(y, 1, 1);
  if (weekdayOf(newYear) !== 6) out.push(observed(newYear));
  if (y >= 1998) out.push(nthWeekday(y, 1, 1, 3));
  out.push(nthWeekday(y, 2, 1, 3));
  out.push(easter(y) - 2);
  out.push(nthWeekday(y, 5, 1, -1));
  if (y >= 2022) out.push(observed(dayNumber(y, 6, 19)));
  out.push(observed(dayNumber(y, 7, 4)));
  out.push(nthWeekday(y, 9, 1, 1));
  out.push(nthWeekday(y, 11, 4, 4));
  out.push(observed(dayNumber(y, 12, 25)));
  return out;
}

/** The NYSE 13:00 early-close days of year `y`, as day numbers. */
export function nyseEarlyCloses(y: number): number[] {
  const out: number[] = [];
  const july3 = dayNumber(y, 7, 3);
  if (weekdayOf(july3) >= 1 && weekdayOf(july3) <= 4) out.push(july3);
  out.push(nthWeekday(y, 11, 4, 4) + 1);
  const christmasEve = dayNumber(y, 12, 24);
  if (weekdayOf(christmasEve) >= 1 && weekdayOf(christmasEve) <= 4) out.push(christmasEve);
  return out;
}

function yearOf(dn: number): number {
  return new Date(dn * DAY_MS).getUTCFullYear();
}

export const NYSE_CALENDAR: SessionCalendar = Object.freeze({
  name: 'NYSE',
  isHoliday: (dn: number): boolean => nyseHolidays(yearOf(dn)).includes(dn),
  earlyClose: (dn: number): string | undefined => (nyseEarlyCloses(yearOf(dn)).includes(dn) ? '13:00' : undefined),
});

/** NYSE / Nasdaq regular hours with the exchange's holidays and early closes. */
export const NYSE_SESSION: Session = Object.freeze({ ...US_EQUITY_SESSION, calendar: NYSE_CALENDAR });
