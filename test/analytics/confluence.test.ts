import { expect } from 'chai';
import { confluence, confluenceOf } from '../../src/analytics/confluence.ts';
import { rsi, sma } from '../../src/analytics/indicators.ts';
import type { Bar } from '../../src/market/source.ts';

const closes = (cs: number[]): Bar[] => cs.map((c, i) => ({ time: i * 60_000, open: c, high: c, low: c, close: c, volume: 1 }));

describe('analytics/indicators', () => {
  it('sma of the last n closes; undefined when too few', () => {
    expect(sma(closes([1, 2, 3, 4]), 2)).to.equal(3.5);
    expect(sma(closes([1, 2, 3, 4]), 4)).to.equal(2.5);
    expect(sma(closes([1, 2]), 3)).to.equal(undefined);
    expect(sma(closes([1, 2]), 0)).to.equal(undefined);
  });
  it('rsi is the strategy\'s Wilder RSI: 100 on only gains, 0 on only losses, undefined in warm-up', () => {
    expect(rsi(closes([1, 2, 3, 4]), 3)).to.equal(100);
    expect(rsi(closes([4, 3, 2, 1]), 3)).to.equal(0);
    expect(rsi(closes([1, 2, 3]), 3)).to.equal(undefined);
    // gains 1, 1; loss 1 over period 3: avgGain 2/3, avgLoss 1/3 → RSI = 100 − 100 / 3
    expect(rsi(closes([1, 2, 3, 2]), 3)).to.be.closeTo(100 - 100 / 3, 1e-12);
  });
});

describe('analytics/confluence', () => {
  const cases: { name: string; given: Parameters<typeof confluence>[0]; want: ReturnType<typeof confluence> }[] = [
    { name: 'all neutral / warming up', given: { trend: 'range', pattern: 0 }, want: { score: 0, bias: 'neutral', components: { trend: 0, momentum: 0, moving_average: 0, pattern: 0 } } },
    { name: 'everything bullish: +100', given: { trend: 'up', rsi: 0, fastSma: 101, slowSma: 100, pattern: 1 }, want: { score: 100, bias: 'bullish', components: { trend: 1, momentum: 1, moving_average: 1, pattern: 1 } } },
    { name: 'everything bearish: −100', given: { trend: 'down', rsi: 100, fastSma: 99, slowSma: 100, pattern: -1 }, want: { score: -100, bias: 'bearish', components: { trend: -1, momentum: -1, moving_average: -1, pattern: -1 } } },
    // 0.3·1 + 0.25·(50−40)/50 + 0.25·(0.25%/0.5%) + 0.2·0 = 0.3 + 0.05 + 0.125 = 47.5
    { name: 'weights: uptrend, RSI 40, SMA gap 0.25%', given: { trend: 'up', rsi: 40, fastSma: 100.25, slowSma: 100, pattern: 0 }, want: { score: 47.5, bias: 'bullish', components: { trend: 1, momentum: 0.2, moving_average: 0.5, pattern: 0 } } },
    // 0.25·(50−70)/50 + 0.2·0.5 = −0.1 + 0.1 = 0
    { name: 'momentum maps RSI 70 to −0.4', given: { trend: 'range', rsi: 70, pattern: 0.5 }, want: { score: 0, bias: 'neutral', components: { trend: 0, momentum: -0.4, moving_average: 0, pattern: 0.5 } } },
    // 0.3·(−1) + 0.25·0.2 = −0.25 → bearish at −25
    { name: 'bias threshold ±20', given: { trend: 'down', rsi: 40, pattern: 0 }, want: { score: -25, bias: 'bearish', components: { trend: -1, momentum: 0.2, moving_average: 0, pattern: 0 } } },
    // 30 − 10 = 20: exactly at the threshold is bullish; 30 − 10.05 = 19.95 is neutral
    { name: 'exactly +20 is bullish', given: { trend: 'up', rsi: 70, pattern: 0 }, want: { score: 20, bias: 'bullish', components: { trend: 1, momentum: -0.4, moving_average: 0, pattern: 0 } } },
    { name: 'just under +20 is neutral', given: { trend: 'up', rsi: 70.1, pattern: 0 }, want: { score: 19.95, bias: 'neutral', components: { trend: 1, momentum: -0.402, moving_average: 0, pattern: 0 } } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = confluence(c.given);
      expect(got.components).to.deep.equal(c.want.components);
      expect(got.score).to.be.closeTo(c.want.score, 1e-9);
      expect(got.bias).to.equal(c.want.bias);
    });
  }

  it('confluenceOf: a steady rise reads moving_average +1 and momentum −1 (RSI 100)', () => {
    const bars = closes(Array.from({ length: 40 }, (_, i) => 100 + i));
    const c = confluenceOf(bars);
    expect(c.components.moving_average).to.equal(1);
    expect(c.components.momentum).to.equal(-1);
    expect(c.components.trend).to.equal(0); // no swings in a straight line
    expect(c.score).to.equal(0);
  });
});
