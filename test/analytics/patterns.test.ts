import { expect } from 'chai';
import { detectPatterns, latestPatternSignal } from '../../src/analytics/patterns.ts';

/** [open, high, low, close] → a candle at minute i. */
type C = [number, number, number, number];
const candles = (cs: C[]) => cs.map(([open, high, low, close], i) => ({ time: i * 60_000, open, high, low, close }));
const DOWN: C[] = [[20, 20.5, 19, 19.5], [19.5, 19.8, 18.4, 18.6], [18.6, 18.8, 17.4, 17.5], [17.5, 17.7, 16.3, 16.5]];
const UP: C[] = [[10, 11, 9.8, 10.8], [10.8, 12, 10.6, 11.8], [11.8, 13, 11.6, 12.9], [12.9, 14, 12.8, 13.9]];

describe('analytics/patterns: detectPatterns on the last candle', () => {
  const cases: { name: string; given: C[]; want: { pattern: string; direction: string; strength: number }[] }[] = [
    { name: 'bullish engulfing: green body covers the red one before', given: [[10, 10.2, 8.9, 9], [8.8, 11.2, 8.7, 11]], want: [{ pattern: 'bullish_engulfing', direction: 'bullish', strength: 0.5455 }] },
    { name: 'bearish engulfing', given: [[9, 10.1, 8.9, 10], [10.5, 10.6, 8.4, 8.5]], want: [{ pattern: 'bearish_engulfing', direction: 'bearish', strength: 0.5 }] },
    { name: 'not engulfing: same-size body', given: [[10, 10.2, 8.9, 9], [9, 10.2, 8.9, 10]], want: [] },
    { name: 'not engulfing: same colour', given: [[9, 10.2, 8.9, 10], [8.8, 11.2, 8.7, 11]], want: [] },
    { name: 'not engulfing: body does not reach the previous open', given: [[10, 10.2, 8.9, 9], [8.8, 10, 8.7, 9.9]], want: [] },
    { name: 'doji: body 5% of the range', given: [[10, 11, 9, 10.1]], want: [{ pattern: 'doji', direction: 'neutral', strength: 0.75 }] },
    { name: 'doji at the 10% limit', given: [[10, 11, 9, 10.2]], want: [{ pattern: 'doji', direction: 'neutral', strength: 0.5 }] },
    { name: 'no doji past 10%', given: [[10, 11, 9, 10.21]], want: [] },
    { name: 'flat candle (range 0): nothing', given: [[10, 10, 10, 10]], want: [] },
    { name: 'hammer after a decline', given: [...DOWN, [16, 16.25, 14.5, 16.2]], want: [{ pattern: 'hammer', direction: 'bullish', strength: 0.8571 }] },
    { name: 'hammer shape without a decline: nothing', given: [...UP, [16, 16.25, 14.5, 16.2]], want: [] },
    { name: 'hammer shape without enough history: nothing', given: [...DOWN.slice(1), [16, 16.25, 14.5, 16.2]], want: [] },
    { name: 'hammer with upper wick > body: nothing', given: [...DOWN, [16, 16.7, 14.5, 16.3]], want: [] },
    { name: 'shooting-star shape after a decline: nothing', given: [...DOWN, [16, 17.5, 15.95, 16.2]], want: [] },
    { name: 'shooting star after an advance (red body)', given: [...UP, [14.2, 15.6, 13.95, 14]], want: [{ pattern: 'shooting_star', direction: 'bearish', strength: 0.8485 }] },
    { name: 'dragonfly doji after a decline: doji and hammer', given: [...DOWN, [16, 16, 15, 16]], want: [{ pattern: 'doji', direction: 'neutral', strength: 1 }, { pattern: 'hammer', direction: 'bullish', strength: 1 }] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const bars = candles(c.given);
      const got = detectPatterns(bars).map(({ pattern, direction, strength }) => ({ pattern, direction, strength }));
      expect(got).to.deep.equal(c.want);
      for (const d of detectPatterns(bars)) expect(d.time).to.equal(bars.at(-1)!.time);
    });
  }

  it('index selects an earlier candle; out of range gives nothing', () => {
    const bars = candles([[10, 10.2, 8.9, 9], [8.8, 11.2, 8.7, 11], [11, 11.1, 10.9, 11.05]]);
    expect(detectPatterns(bars, 1).map((d) => d.pattern)).to.deep.equal(['bullish_engulfing']);
    expect(detectPatterns(bars, 5)).to.deep.equal([]);
    expect(detectPatterns([])).to.deep.equal([]);
  });
});

describe('analytics/patterns: latestPatternSignal', () => {
  const plain: C = [10, 10.5, 9.5, 10.4]; // body 0.4 of range 1: no pattern
  const cases: { name: string; given: C[]; lookback?: number; want: number }[] = [
    { name: 'no pattern', given: [plain, plain, plain], want: 0 },
    { name: 'bullish engulfing then plain candles', given: [[10, 10.2, 8.9, 9], [8.8, 11.2, 8.7, 11], plain, plain], want: 0.5455 },
    { name: 'too old for the lookback', given: [[10, 10.2, 8.9, 9], [8.8, 11.2, 8.7, 11], plain, plain], lookback: 2, want: 0 },
    { name: 'bearish engulfing', given: [[9, 10.1, 8.9, 10], [10.5, 10.6, 8.4, 8.5]], want: -0.5 },
    { name: 'a later doji hides an earlier engulfing (latest pattern wins)', given: [[10, 10.2, 8.9, 9], [8.8, 11.2, 8.7, 11], [10, 11, 9, 10.1]], want: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(latestPatternSignal(candles(c.given), c.lookback)).to.equal(c.want);
    });
  }
});
