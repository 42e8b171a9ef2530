/**
 * Which hours a symbol trades in the simulated market (MARKET_CALENDAR and the backtest `calendar` option).
 *
 * - `always`: every symbol trades 24/7 on UTC days (the demo default: `npm start` shows moving prices at any hour).
 * - `exchange`: each symbol follows its exchange. Crypto pairs (`BTC-USD`, any `<COIN>-USD`/`-USDT`/`-USDC`/`-EUR`)
 *   still trade 24/7 on UTC days; every other symbol is a US equity on NYSE hours (09:30–16:00 New York) with the
 *   NYSE holidays and 13:00 early closes (calendar-nyse.ts).
 */
import { NYSE_SESSION } from './calendar-nyse.ts';
import { ALWAYS_OPEN_SESSION, type Session } from './session.ts';

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
