/**
 * Which hours a symbol trades in the simulated market (MARKET_CALENDAR and the backtest `calendar` option).
 *
 * - `always`: every symbol trades 24/7 on UTC days (the demo default: `npm start` shows moving prices at any hour).
 * - `exchange`: each symbol follows its exchange. Crypto pairs (`BTC-USD`, any `<COIN>-USD`/`-USDT`/`-USDC`/`-EUR`)
 *   still trade 24/7 on UTC days; every other symbol is a US equity on NYSE hours (09:30–16:00 New York) with the
 *   NYSE holidays and 13:00 early closes (calendar-nyse.ts).
 */
import { NYSE_CALENDAR, NYSE_SESSION } from './calendar-nyse.ts';
import { ALWAYS_OPEN_SESSION, type Session, type SessionCalendar } from './session.ts';

export type MarketCalendar = 'always' | 'exchange';
export const MARKET_CALENDARS: readonly MarketCalendar[] = Object.freeze(['always', 'exchange']);

const CRYPTO = /^[A-Z0-9]+-(USD|USDT|USDC|EUR)$/;

export function isCryptoSymbol(symbol: string): boolean {
  return CRYPTO.test(symbol);
}

/** The session `symbol` trades in under `calendar`. */
export function sessionFor(symbol: string, calendar: MarketCalendar): Session {
  if (calendar === 'always' || isCryptoSymbol(symbol)) return ALWAYS_OPEN_SESSION;
  return NYSE_SESSION;
}

/**
 * A session as plain data, for a worker thread (structured clone cannot carry a calendar's functions): the calendar
 * travels by name and is looked up again on the other side.
 */
export interface WireSession extends Omit<Session, 'calendar'> {
  readonly calendarName?: string;
}

const NAMED_CALENDARS: Readonly<Record<string, SessionCalendar>> = Object.freeze({ [NYSE_CALENDAR.name]: NYSE_CALENDAR });

export function sessionToWire(session: Session): WireSession {
  const { calendar, ...rest } = session;
  if (calendar && !Object.hasOwn(NAMED_CALENDARS, calendar.name)) throw new Error(`session calendar ${calendar.name} cannot be sent to a worker (not a named calendar)`);
  return calendar ? { ...rest, calendarName: calendar.name } : rest;
}

export function sessionFromWire(wire: WireSession): Session {
  const { calendarName, ...rest } = wire;
  if (calendarName === undefined) return rest;
  const calendar = NAMED_CALENDARS[calendarName];
  if (!calendar) throw new Error(`unknown session calendar ${calendarName}`);
  return { ...rest, calendar };
}
