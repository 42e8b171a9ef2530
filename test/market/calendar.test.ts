import { expect } from 'chai';
import { NYSE_SESSION, nyseEarlyCloses, nyseHolidays } from '../../src/market/calendar-nyse.ts';
import { isCryptoSymbol, sessionFor } from '../../src/market/calendar.ts';
import { ALWAYS_OPEN_SESSION, isTradingTime, nextTradingDay, tradingDayOn } from '../../src/market/session.ts';

const DAY = 86_400_000;
const dn = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY;
const iso = (n: number) => new Date(n * DAY).toISOString().slice(0, 10);

describe('NYSE calendar', () => {
  // The exchange's published holiday lists.
  const published: { year: number; want: string[] }[] = [
    { year: 2024, want: ['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25'] },
    { year: 2025, want: ['2025-01-01', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25'] },
    { year: 2026, want: ['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'] },
    // New Year's Day 2022 was a Saturday: not observed; Christmas 2022 a Sunday: Monday 26th; Juneteenth a Sunday: 20th.
    { year: 2022, want: ['2022-01-17', '2022-02-21', '2022-04-15', '2022-05-30', '2022-06-20', '2022-07-04', '2022-09-05', '2022-11-24', '2022-12-26'] },
    // 2021: Juneteenth not yet a holiday; Independence Day a Sunday → Monday 5th; Christmas a Saturday → Friday 24th.
    { year: 2021, want: ['2021-01-01', '2021-01-18', '2021-02-15', '2021-04-02', '2021-05-31', '2021-07-05', '2021-09-06', '2021-11-25', '2021-12-24'] },
  ];
  for (const { year, want } of published) {
    it(`has the published ${year} holidays`, () => {
      expect(nyseHolidays(year).map(iso).sort()).to.deep.equal(want);
    });
  }

  it('has the published early closes (13:00 New York)', () => {
    expect(nyseEarlyCloses(2024).map(iso)).to.deep.equal(['2024-07-03', '2024-11-29', '2024-12-24']);
    expect(nyseEarlyCloses(2025).map(iso)).to.deep.equal(['2025-07-03', '2025-11-28', '2025-12-24']);
    const day = tradingDayOn(NYSE_SESSION, dn('2024-11-29'))!;
    expect(new Date(day.end).toISOString()).to.equal('2024-11-29T18:00:00.000Z'); // 13:00 EST
    expect(new Date(tradingDayOn(NYSE_SESSION, dn('2024-07-03'))!.end).toISOString()).to.equal('2024-07-03T17:00:00.000Z'); // 13:00 EDT
  });

  it('does not trade on holidays or weekends, and trades normal hours on other days', () => {
    expect(tradingDayOn(NYSE_SESSION, dn('2024-12-25'))).to.equal(undefined);
    expect(tradingDayOn(NYSE_SESSION, dn('2024-03-29'))).to.equal(undefined); // Good Friday
    expect(tradingDayOn(NYSE_SESSION, dn('2024-01-06'))).to.equal(undefined); // Saturday
    expect(isTradingTime(NYSE_SESSION, Date.parse('2025-01-01T15:00:00Z'))).to.equal(false);
    expect(isTradingTime(NYSE_SESSION, Date.parse('2025-01-02T15:00:00Z'))).to.equal(true);
    expect(isTradingTime(NYSE_SESSION, Date.parse('2025-01-02T21:00:00Z'))).to.equal(false); // after 16:00 EST
    // From the Thursday before Good Friday's weekend, the next trading day is the Monday after Easter.
    expect(nextTradingDay(NYSE_SESSION, Date.parse('2024-03-28T21:00:00Z')).date).to.equal('2024-04-01');
  });

  it('gives stocks the NYSE session under exchange, crypto 24/7 under either calendar', () => {
    expect(sessionFor('AAPL', 'exchange')).to.equal(NYSE_SESSION);
    expect(sessionFor('BRK.B', 'exchange')).to.equal(NYSE_SESSION);
    expect(sessionFor('BTC-USD', 'exchange')).to.equal(ALWAYS_OPEN_SESSION);
    expect(sessionFor('AAPL', 'always')).to.equal(ALWAYS_OPEN_SESSION);
    expect(isCryptoSymbol('ETH-USDT')).to.equal(true);
    expect(isCryptoSymbol('BRK.B')).to.equal(false);
  });
});
