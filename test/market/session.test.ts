import { expect } from 'chai';
import {
  ALWAYS_OPEN_SESSION,
  US_EQUITY_SESSION,
  isTradingTime,
  localDayNumber,
  nextTradingDay,
  parseHHMM,
  previousTradingDay,
  tradingDayAt,
  validateSession,
  zonedToUtc,
  type Session,
  type TradingDay,
} from '../../src/market/session.ts';

const iso = (s: string): number => Date.parse(s);
const show = (d: TradingDay | undefined): unknown =>
  d && { date: d.date, time: new Date(d.time).toISOString(), start: new Date(d.start).toISOString(), end: new Date(d.end).toISOString() };

/** Sydney 10:00-16:00: its trading day starts on the previous UTC date. */
const SYDNEY: Session = { timeZone: 'Australia/Sydney', open: '10:00', close: '16:00', days: [1, 2, 3, 4, 5] };

describe('session', () => {
  describe('tradingDayAt', () => {
    const cases: { name: string; session: Session; given: string; want: ReturnType<typeof show> }[] = [
      {
        name: 'US open instant (EST) belongs to that day',
        session: US_EQUITY_SESSION,
        given: '2024-01-08T14:30:00.000Z',
        want: { date: '2024-01-08', time: '2024-01-08T00:00:00.000Z', start: '2024-01-08T14:30:00.000Z', end: '2024-01-08T21:00:00.000Z' },
      },
      { name: 'US one ms before the open', session: US_EQUITY_SESSION, given: '2024-01-08T14:29:59.999Z', want: undefined },
      { name: 'US close is exclusive', session: US_EQUITY_SESSION, given: '2024-01-08T21:00:00.000Z', want: undefined },
      { name: 'US Saturday', session: US_EQUITY_SESSION, given: '2024-01-06T15:00:00.000Z', want: undefined },
      {
        name: 'US summer (EDT) opens at 13:30 UTC',
        session: US_EQUITY_SESSION,
        given: '2024-07-08T13:30:00.000Z',
        want: { date: '2024-07-08', time: '2024-07-08T00:00:00.000Z', start: '2024-07-08T13:30:00.000Z', end: '2024-07-08T20:00:00.000Z' },
      },
      {
        name: 'US Friday before spring-forward is still EST',
        session: US_EQUITY_SESSION,
        given: '2024-03-08T15:00:00.000Z',
        want: { date: '2024-03-08', time: '2024-03-08T00:00:00.000Z', start: '2024-03-08T14:30:00.000Z', end: '2024-03-08T21:00:00.000Z' },
      },
      {
        name: 'US Monday after spring-forward is EDT',
        session: US_EQUITY_SESSION,
        given: '2024-03-11T15:00:00.000Z',
        want: { date: '2024-03-11', time: '2024-03-11T00:00:00.000Z', start: '2024-03-11T13:30:00.000Z', end: '2024-03-11T20:00:00.000Z' },
      },
      {
        name: 'US Monday after fall-back is EST again',
        session: US_EQUITY_SESSION,
        given: '2024-11-04T15:00:00.000Z',
        want: { date: '2024-11-04', time: '2024-11-04T00:00:00.000Z', start: '2024-11-04T14:30:00.000Z', end: '2024-11-04T21:00:00.000Z' },
      },
      {
        name: 'Sydney: the local date, not the UTC date, names the day',
        session: SYDNEY,
        given: '2024-01-08T23:30:00.000Z',
        want: { date: '2024-01-09', time: '2024-01-09T00:00:00.000Z', start: '2024-01-08T23:00:00.000Z', end: '2024-01-09T05:00:00.000Z' },
      },
      {
        name: '24/7: the UTC day',
        session: ALWAYS_OPEN_SESSION,
        given: '2024-01-06T23:59:59.999Z',
        want: { date: '2024-01-06', time: '2024-01-06T00:00:00.000Z', start: '2024-01-06T00:00:00.000Z', end: '2024-01-07T00:00:00.000Z' },
      },
    ];
    for (const { name, session, given, want } of cases) {
      it(name, () => expect(show(tradingDayAt(session, iso(given)))).to.deep.equal(want));
    }
  });

  describe('isTradingTime', () => {
    const cases: { session: Session; given: string; want: boolean }[] = [
      { session: US_EQUITY_SESSION, given: '2024-01-09T16:00:00Z', want: true },
      { session: US_EQUITY_SESSION, given: '2024-01-09T22:00:00Z', want: false },
      { session: US_EQUITY_SESSION, given: '2024-01-07T16:00:00Z', want: false },
      { session: ALWAYS_OPEN_SESSION, given: '2024-01-07T16:00:00Z', want: true },
      { session: ALWAYS_OPEN_SESSION, given: '2024-01-07T00:00:00Z', want: true },
    ];
    for (const { session, given, want } of cases) {
      it(`${session.timeZone} ${given} -> ${want}`, () => expect(isTradingTime(session, iso(given))).to.equal(want));
    }
  });

  describe('nextTradingDay / previousTradingDay', () => {
    const next: { given: string; want: string }[] = [
      { given: '2024-01-08T15:00:00Z', want: '2024-01-08' }, // open: the current day
      { given: '2024-01-08T10:00:00Z', want: '2024-01-08' }, // before the open
      { given: '2024-01-12T21:00:00Z', want: '2024-01-15' }, // Friday at the close -> Monday
      { given: '2024-01-13T12:00:00Z', want: '2024-01-15' }, // Saturday
    ];
    for (const { given, want } of next) {
      it(`next after ${given} is ${want}`, () => expect(nextTradingDay(US_EQUITY_SESSION, iso(given)).date).to.equal(want));
    }
    const prev: { given: string; want: string }[] = [
      { given: '2024-01-15T15:00:00Z', want: '2024-01-12' }, // Monday -> Friday
      { given: '2024-01-09T15:00:00Z', want: '2024-01-08' },
    ];
    for (const { given, want } of prev) {
      it(`previous of ${given} is ${want}`, () => {
        const day = tradingDayAt(US_EQUITY_SESSION, iso(given))!;
        expect(previousTradingDay(US_EQUITY_SESSION, day).date).to.equal(want);
      });
    }
  });

  describe('zonedToUtc and localDayNumber (DST)', () => {
    const day = (s: string): number => Date.parse(s) / 86_400_000;
    const cases: { name: string; given: [string, string, number]; want: string }[] = [
      { name: 'NY winter', given: ['America/New_York', '2024-01-08', 570], want: '2024-01-08T14:30:00.000Z' },
      { name: 'NY summer', given: ['America/New_York', '2024-07-08', 570], want: '2024-07-08T13:30:00.000Z' },
      { name: 'NY spring-forward gap 02:30 -> 03:30 EDT', given: ['America/New_York', '2024-03-10', 150], want: '2024-03-10T07:30:00.000Z' },
      { name: 'NY fall-back 01:30 -> first occurrence (EDT)', given: ['America/New_York', '2024-11-03', 90], want: '2024-11-03T05:30:00.000Z' },
      { name: 'London gap 01:30 -> 02:30 BST', given: ['Europe/London', '2024-03-31', 90], want: '2024-03-31T01:30:00.000Z' },
      { name: 'Sydney (UTC+11 in January)', given: ['Australia/Sydney', '2024-01-09', 600], want: '2024-01-08T23:00:00.000Z' },
      { name: 'UTC 24:00 is the next midnight', given: ['UTC', '2024-01-09', 1440], want: '2024-01-10T00:00:00.000Z' },
    ];
    for (const { name, given, want } of cases) {
      it(name, () => expect(new Date(zonedToUtc(given[0], day(given[1]), given[2])).toISOString()).to.equal(want));
    }
    const local: { given: [string, string]; want: string }[] = [
      { given: ['America/New_York', '2024-01-09T04:59:59Z'], want: '2024-01-08' },
      { given: ['America/New_York', '2024-01-09T05:00:00Z'], want: '2024-01-09' },
      { given: ['Australia/Sydney', '2024-01-08T13:00:00Z'], want: '2024-01-09' },
    ];
    for (const { given, want } of local) {
      it(`local date of ${given[1]} in ${given[0]} is ${want}`, () => {
        const dn = localDayNumber(given[0], iso(given[1]));
        expect(new Date(dn * 86_400_000).toISOString().slice(0, 10)).to.equal(want);
      });
    }
  });

  describe('validateSession / parseHHMM', () => {
    const base = US_EQUITY_SESSION;
    const cases: { name: string; given: Session; want: string | undefined }[] = [
      { name: 'US equities', given: base, want: undefined },
      { name: '24/7', given: ALWAYS_OPEN_SESSION, want: undefined },
      { name: 'unknown zone', given: { ...base, timeZone: 'Mars/Olympus' }, want: 'SESSION_BAD_TIME_ZONE' },
      { name: 'H:MM', given: { ...base, open: '9:30' }, want: 'SESSION_BAD_TIME' },
      { name: '24:30', given: { ...base, close: '24:30' }, want: 'SESSION_BAD_TIME' },
      { name: 'overnight', given: { ...base, open: '18:00', close: '17:00' }, want: 'SESSION_EMPTY' },
      { name: 'no days', given: { ...base, days: [] }, want: 'SESSION_NO_DAYS' },
    ];
    for (const { name, given, want } of cases) {
      it(`${name} -> ${want ?? 'ok'}`, () => expect(validateSession(given)?.code).to.equal(want));
    }
    const times: { given: string; want: number | undefined }[] = [
      { given: '00:00', want: 0 },
      { given: '09:30', want: 570 },
      { given: '24:00', want: 1440 },
      { given: '12:60', want: undefined },
      { given: '930', want: undefined },
    ];
    for (const { given, want } of times) {
      it(`parseHHMM ${given} -> ${want}`, () => expect(parseHHMM(given)).to.equal(want));
    }
  });
});
