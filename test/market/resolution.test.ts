import { expect } from 'chai';
import { bucketIn, bucketStart, isResolution, resolutionMs, type MinuteResolution } from '../../src/market/resolution.ts';
import { ALWAYS_OPEN_SESSION, US_EQUITY_SESSION, tradingDayAt, type Session } from '../../src/market/session.ts';
import type { Resolution } from '../../src/market/source.ts';

const iso = (s: string): number => Date.parse(s);
const SYDNEY: Session = { timeZone: 'Australia/Sydney', open: '10:00', close: '16:00', days: [1, 2, 3, 4, 5] };

describe('resolution', () => {
  const lengths: { given: MinuteResolution; want: number }[] = [
    { given: '1', want: 60_000 },
    { given: '5', want: 300_000 },
    { given: '15', want: 900_000 },
    { given: '30', want: 1_800_000 },
    { given: '60', want: 3_600_000 },
  ];
  for (const { given, want } of lengths) {
    it(`resolutionMs(${given}) = ${want}`, () => expect(resolutionMs(given)).to.equal(want));
  }

  const names: { given: unknown; want: boolean }[] = [
    { given: '1', want: true },
    { given: 'D', want: true },
    { given: '2', want: false },
    { given: 60, want: false },
  ];
  for (const { given, want } of names) {
    it(`isResolution(${JSON.stringify(given)}) = ${want}`, () => expect(isResolution(given)).to.equal(want));
  }

  describe('bucketStart', () => {
    const cases: { session: Session; given: [string, Resolution]; want: string | undefined }[] = [
      // 24/7 (UTC day): session-open alignment = UTC epoch multiples
      { session: ALWAYS_OPEN_SESSION, given: ['2024-01-08T10:07:59.999Z', '1'], want: '2024-01-08T10:07:00.000Z' },
      { session: ALWAYS_OPEN_SESSION, given: ['2024-01-08T10:07:00.000Z', '5'], want: '2024-01-08T10:05:00.000Z' },
      { session: ALWAYS_OPEN_SESSION, given: ['2024-01-08T10:44:00.000Z', '15'], want: '2024-01-08T10:30:00.000Z' },
      { session: ALWAYS_OPEN_SESSION, given: ['2024-01-08T10:29:00.000Z', '30'], want: '2024-01-08T10:00:00.000Z' },
      { session: ALWAYS_OPEN_SESSION, given: ['2024-01-08T10:59:59.999Z', '60'], want: '2024-01-08T10:00:00.000Z' },
      { session: ALWAYS_OPEN_SESSION, given: ['2024-01-08T23:59:59.999Z', 'D'], want: '2024-01-08T00:00:00.000Z' },
      // US equities: 60-minute bars start at 09:30, 10:30, ... New York time
      { session: US_EQUITY_SESSION, given: ['2024-01-08T15:29:59.999Z', '60'], want: '2024-01-08T14:30:00.000Z' },
      { session: US_EQUITY_SESSION, given: ['2024-01-08T15:30:00.000Z', '60'], want: '2024-01-08T15:30:00.000Z' },
      { session: US_EQUITY_SESSION, given: ['2024-01-08T20:59:59.999Z', '60'], want: '2024-01-08T20:30:00.000Z' },
      { session: US_EQUITY_SESSION, given: ['2024-07-08T13:45:00.000Z', '30'], want: '2024-07-08T13:30:00.000Z' },
      { session: US_EQUITY_SESSION, given: ['2024-01-08T20:59:00.000Z', 'D'], want: '2024-01-08T00:00:00.000Z' },
      { session: US_EQUITY_SESSION, given: ['2024-01-08T21:00:00.000Z', '1'], want: undefined },
      { session: US_EQUITY_SESSION, given: ['2024-01-08T14:29:00.000Z', 'D'], want: undefined },
      // D by exchange session: Sydney's Tuesday session starts on Monday UTC
      { session: SYDNEY, given: ['2024-01-08T23:30:00.000Z', 'D'], want: '2024-01-09T00:00:00.000Z' },
      { session: SYDNEY, given: ['2024-01-08T23:30:00.000Z', '60'], want: '2024-01-08T23:00:00.000Z' },
    ];
    for (const { session, given, want } of cases) {
      it(`${session.timeZone} ${given[0]} ${given[1]} -> ${want}`, () => {
        const got = bucketStart(iso(given[0]), given[1], session);
        expect(got === undefined ? undefined : new Date(got).toISOString()).to.equal(want);
      });
    }
  });

  describe('bucketIn end', () => {
    const cases: { given: [string, Resolution]; want: string }[] = [
      { given: ['2024-01-08T20:45:00Z', '60'], want: '2024-01-08T21:00:00.000Z' }, // 15:30 bar cut by the 16:00 close
      { given: ['2024-01-08T19:45:00Z', '60'], want: '2024-01-08T20:30:00.000Z' },
      { given: ['2024-01-08T20:45:00Z', '15'], want: '2024-01-08T21:00:00.000Z' },
      { given: ['2024-01-08T15:00:00Z', 'D'], want: '2024-01-08T21:00:00.000Z' }, // daily bar ends at the close
    ];
    for (const { given, want } of cases) {
      it(`${given[0]} ${given[1]} ends ${want}`, () => {
        const t = iso(given[0]);
        const day = tradingDayAt(US_EQUITY_SESSION, t)!;
        expect(new Date(bucketIn(t, given[1], day).end).toISOString()).to.equal(want);
      });
    }
  });
});
