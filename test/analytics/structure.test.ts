import { expect } from 'chai';
import { findSwings, marketStructure, structureChanged, trendOf } from '../../src/analytics/structure.ts';

/** [high, low] per candle at minute i. */
const candles = (hl: [number, number][]) => hl.map(([high, low], i) => ({ time: i * 60_000, high, low }));
const t = (i: number) => i * 60_000;

describe('analytics/structure', () => {
  const swingCases: { name: string; given: [number, number][]; want: { highs: [number, number][]; lows: [number, number][] } }[] = [
    {
      name: 'one swing high and one swing low, N = 2 either side',
      given: [[10, 9], [11, 10], [13, 12], [12, 11], [11, 8], [12, 10], [13, 11]],
      want: { highs: [[2, 13]], lows: [[4, 8]] },
    },
    {
      name: 'a peak in the last 2 candles is not confirmed yet',
      given: [[10, 9], [11, 10], [12, 11], [13, 12], [14, 13], [15, 14]],
      want: { highs: [], lows: [] },
    },
    {
      name: 'equal highs are not swings (strictly above)',
      given: [[10, 5], [11, 5.5], [13, 6], [13, 6.5], [11, 7], [10, 7.5]],
      want: { highs: [], lows: [] },
    },
    { name: 'fewer than 5 candles', given: [[10, 9], [12, 8], [10, 9]], want: { highs: [], lows: [] } },
  ];
  for (const c of swingCases) {
    it(`findSwings: ${c.name}`, () => {
      const { highs, lows } = findSwings(candles(c.given));
      expect(highs).to.deep.equal(c.want.highs.map(([i, price]) => ({ time: t(i), price })));
      expect(lows).to.deep.equal(c.want.lows.map(([i, price]) => ({ time: t(i), price })));
    });
  }

  const sp = (...prices: number[]) => prices.map((price, i) => ({ time: t(i), price }));
  const trendCases: { given: [number[], number[]]; want: string }[] = [
    { given: [[10, 12], [8, 9]], want: 'up' },
    { given: [[12, 10], [9, 8]], want: 'down' },
    { given: [[10, 12], [9, 8]], want: 'range' }, // higher high, lower low
    { given: [[12, 10], [8, 9]], want: 'range' },
    { given: [[10, 10], [8, 9]], want: 'range' }, // equal highs
    { given: [[12], [8, 9]], want: 'range' }, // one swing high only
    { given: [[20, 10, 12], [1, 8, 9]], want: 'up' }, // only the last two count
  ];
  for (const c of trendCases) {
    it(`trendOf(highs ${c.given[0]}, lows ${c.given[1]}) = ${c.want}`, () => {
      expect(trendOf(sp(...c.given[0]), sp(...c.given[1]))).to.equal(c.want);
    });
  }

  it('marketStructure: an up-staircase is an uptrend; keeps the latest swings, newest last', () => {
    // zig-zag with rising peaks and troughs: peaks at 2, 6, 10; troughs at 4, 8
    const hl: [number, number][] = [[10, 9], [11, 10], [14, 13], [12, 11], [11, 9.5], [13, 11], [16, 15], [14, 12], [13, 11], [15, 13], [18, 17], [16, 15], [15, 14]];
    const s = marketStructure(candles(hl));
    expect(s.trend).to.equal('up');
    expect(s.swing_highs).to.deep.equal([{ time: t(2), price: 14 }, { time: t(6), price: 16 }, { time: t(10), price: 18 }]);
    expect(s.swing_lows).to.deep.equal([{ time: t(4), price: 9.5 }, { time: t(8), price: 11 }]);
    const mirrored = marketStructure(candles(hl.map(([h, l]) => [100 - l, 100 - h])));
    expect(mirrored.trend).to.equal('down');
    expect(marketStructure(candles(hl), { keep: 1 }).swing_highs).to.deep.equal([{ time: t(10), price: 18 }]);
  });

  it('structureChanged compares trend and every kept swing', () => {
    const a = { trend: 'up' as const, swing_highs: sp(1, 2), swing_lows: sp(0.5) };
    expect(structureChanged(undefined, a)).to.equal(true);
    expect(structureChanged(a, { ...a, swing_highs: sp(1, 2) })).to.equal(false);
    expect(structureChanged(a, { ...a, trend: 'range' })).to.equal(true);
    expect(structureChanged(a, { ...a, swing_lows: sp(0.6) })).to.equal(true);
    expect(structureChanged(a, { ...a, swing_highs: sp(1, 2, 3) })).to.equal(true);
  });
});
