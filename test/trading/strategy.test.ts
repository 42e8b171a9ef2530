import { expect } from 'chai';
import type { Bar } from '../../src/market/source.ts';
import { createStrategies, STRATEGY_IDS } from '../../src/trading/strategies.ts';
import type { StrategySignal } from '../../src/trading/strategy.ts';
import { MaCrossoverStrategy } from '../../src/trading/strategy-ma-crossover.ts';
import { RsiStrategy } from '../../src/trading/strategy-rsi.ts';

const T0 = Date.UTC(2024, 0, 2, 14, 30);
function bars(closes: readonly number[]): Bar[] {
  return closes.map((close, i) => ({ time: T0 + i * 60_000, open: close, high: close, low: close, close, volume: 1 }));
}
/** Signal type per bar ('-' for null during warm-up). */
function types(out: (StrategySignal | null)[]): string[] {
  return out.map((s) => (s ? s.signal_type : '-'));
}

describe('strategy registry', () => {
  const cases: { given: { ids: string[]; params?: object }; want: { ok: boolean; code?: string; ids?: string[] } }[] = [
    { given: { ids: ['ma_crossover', 'rsi'] }, want: { ok: true, ids: ['ma_crossover', 'rsi'] } },
    { given: { ids: ['rsi'] }, want: { ok: true, ids: ['rsi'] } },
    { given: { ids: [] }, want: { ok: true, ids: [] } },
    { given: { ids: ['macd'] }, want: { ok: false, code: 'UNKNOWN_STRATEGY' } },
    { given: { ids: ['ma_crossover'], params: { ma_crossover: { fast: 30, slow: 10 } } }, want: { ok: false, code: 'INVALID_STRATEGY_PARAMS' } },
    { given: { ids: ['rsi'], params: { rsi: { oversold: 80, overbought: 70 } } }, want: { ok: false, code: 'INVALID_STRATEGY_PARAMS' } },
    { given: { ids: ['rsi'], params: { rsi: { period: 0 } } }, want: { ok: false, code: 'INVALID_STRATEGY_PARAMS' } },
  ];
  for (const { given, want } of cases) {
    it(`${JSON.stringify(given)} -> ${want.ok ? 'ok' : want.code}`, () => {
      const r = createStrategies(given.ids, given.params);
      expect(r.ok).to.equal(want.ok);
      if (r.ok) expect(r.strategies.map((s) => s.id)).to.deep.equal(want.ids);
      else expect(r.code).to.equal(want.code);
    });
  }

  it('lists the known ids and builds independent instances', () => {
    expect(STRATEGY_IDS).to.deep.equal(['ma_crossover', 'rsi']);
    const a = createStrategies(['rsi']);
    const b = createStrategies(['rsi']);
    if (!a.ok || !b.ok) throw new Error('expected ok');
    expect(a.strategies[0]).to.not.equal(b.strategies[0]);
  });

  it('passes params through', () => {
    const r = createStrategies(['ma_crossover'], { ma_crossover: { fast: 2, slow: 3, kind: 'ema' } });
    if (!r.ok) throw new Error(r.message);
    expect(r.strategies[0]!.name).to.equal('MA crossover (EMA 2/3)');
  });
});

describe('MaCrossoverStrategy', () => {
  it('SMA 2/3: exact crossover bars and confidences on a hand-computed series', () => {
    // gap = SMA2 - SMA3; Δ = change of the gap; mean = EMA(α = 2/(3+1) = 1/2) of |Δ| over the bars BEFORE;
    // confidence = min(1, |Δ| / (2 × mean)).
    // i : close  SMA2   SMA3    gap    Δ      mean before  signal
    // 2 : 10     10     10      0      -      -            HOLD
    // 3 : 9      9.5    9.667   -1/6   -1/6   -            HOLD (mean := 1/6)
    // 4 : 8      8.5    9       -1/2   -1/3   1/6          HOLD (mean := 1/4)
    // 5 : 9      8.5    8.667   -1/6   +1/3   1/4          HOLD (mean := 7/24)
    // 6 : 11     10     9.333   +2/3   +5/6   7/24         BUY  conf = min(1, (5/6)/(7/12)) = 1   (mean := 9/16)
    // 7 : 12     11.5   10.667  +5/6   +1/6   9/16         HOLD (mean := 35/96)
    // 8 : 10     11     11      0      -5/6   35/96        HOLD (equal averages are not a cross; mean := 115/192)
    // 9 : 8      9      10      -1     -1     115/192      SELL conf = 1 / (2 × 115/192) = 96/115
    const s = new MaCrossoverStrategy({ fast: 2, slow: 3 });
    const out = bars([10, 10, 10, 9, 8, 9, 11, 12, 10, 8]).map((b) => s.onBar(b));
    expect(types(out)).to.deep.equal(['-', '-', 'HOLD', 'HOLD', 'HOLD', 'HOLD', 'BUY', 'HOLD', 'HOLD', 'SELL']);
    expect(out[6]!.confidence).to.equal(1);
    expect(out[6]!.price).to.equal(11);
    expect(out[6]!.time).to.equal(T0 + 6 * 60_000);
    expect(out[9]!.confidence).to.be.closeTo(96 / 115, 1e-12);
  });

  it('a larger fullConfidenceSwing lowers confidence proportionally', () => {
    // same series: the SELL at i=9 with multiple 4 instead of 2 is half as confident: 48/115
    const s = new MaCrossoverStrategy({ fast: 2, slow: 3, fullConfidenceSwing: 4 });
    const out = bars([10, 10, 10, 9, 8, 9, 11, 12, 10, 8]).map((b) => s.onBar(b));
    expect(out[9]!.confidence).to.be.closeTo(48 / 115, 1e-12);
    // and the BUY at i=6: (5/6) / (4 × 7/24) = 5/7
    expect(out[6]!.confidence).to.be.closeTo(5 / 7, 1e-12);
  });

  it('EMA 2/3 crosses where SMA does not', () => {
    // EMA2 alpha 2/3 seeded at i=1 with mean(10,10); EMA3 alpha 1/2 seeded at i=2 with mean(10,10,10)
    // i=3 close 7 : EMA2 = 10 + 2/3*(7-10) = 8      EMA3 = 10 + (7-10)/2 = 8.5     gap -1/2, Δ -1/2 (mean := 1/2)
    // i=4 close 13: EMA2 = 8 + 2/3*(13-8) = 11.333  EMA3 = 8.5 + (13-8.5)/2 = 10.75 gap 7/12 -> BUY
    //               Δ = 13/12; conf = (13/12) / (8 × 1/2) = 13/48 with fullConfidenceSwing 8
    // SMA at i=4: SMA2 = 10, SMA3 = 10 -> gap 0 -> HOLD
    const closes = [10, 10, 10, 7, 13];
    const ema = new MaCrossoverStrategy({ fast: 2, slow: 3, kind: 'ema', fullConfidenceSwing: 8 });
    const sma = new MaCrossoverStrategy({ fast: 2, slow: 3, kind: 'sma' });
    const e = bars(closes).map((b) => ema.onBar(b));
    expect(types(e)).to.deep.equal(['-', '-', 'HOLD', 'HOLD', 'BUY']);
    expect(e[4]!.confidence).to.be.closeTo(13 / 48, 1e-12);
    expect(types(bars(closes).map((b) => sma.onBar(b)))).to.deep.equal(['-', '-', 'HOLD', 'HOLD', 'HOLD']);
  });

  it('reset() forgets state', () => {
    const s = new MaCrossoverStrategy({ fast: 2, slow: 3 });
    const series = bars([10, 10, 10, 9, 8, 9, 11]);
    const first = types(series.map((b) => s.onBar(b)));
    s.reset();
    expect(types(series.map((b) => s.onBar(b)))).to.deep.equal(first);
  });
});

describe('RsiStrategy (Wilder)', () => {
  // period 3; closes 10 11 12 11 10 9 10 12 11; changes +1 +1 -1 -1 -1 +1 +2 -1
  // i=3: avgG = 2/3, avgL = 1/3                           RSI = 100 - 100/3          = 200/3   (66.67)
  // i=4: avgG = (2/3*2+0)/3 = 4/9,   avgL = (1/3*2+1)/3 = 5/9     RSI = 100 - 100/1.8 = 400/9   (44.44)
  // i=5: avgG = 8/27,  avgL = 19/27                       RSI = 100 - 1900/27        = 800/27  (29.63)
  // i=6: avgG = 43/81, avgL = 38/81                       RSI = 100 - 3800/81        = 4300/81 (53.09) BUY
  // i=7: avgG = 248/243, avgL = 76/243                    RSI = 100 - 7600/324       = 6200/81 (76.54)
  // i=8: avgG = 496/729, avgL = 395/729                   RSI = 100 - 39500/891      = 49600/891 (55.67) SELL
  const closes = [10, 11, 12, 11, 10, 9, 10, 12, 11];
  const wantRsi = [undefined, undefined, undefined, 200 / 3, 400 / 9, 800 / 27, 4300 / 81, 6200 / 81, 49600 / 891];

  it('computes exact RSI values and signals on the crossings', () => {
    const s = new RsiStrategy({ period: 3, oversold: 30, overbought: 70 });
    const out: (StrategySignal | null)[] = [];
    const rsi: (number | undefined)[] = [];
    for (const b of bars(closes)) {
      out.push(s.onBar(b));
      rsi.push(s.rsi);
    }
    rsi.forEach((v, i) => {
      if (wantRsi[i] === undefined) expect(v, `rsi[${i}]`).to.equal(undefined);
      else expect(v, `rsi[${i}]`).to.be.closeTo(wantRsi[i]!, 1e-9);
    });
    expect(types(out)).to.deep.equal(['-', '-', '-', 'HOLD', 'HOLD', 'HOLD', 'BUY', 'HOLD', 'SELL']);
    // BUY: lowest RSI of the dip 800/27; 0.5 + 0.5 * (30 - 800/27) / 30 = 0.5 + 1/162
    expect(out[6]!.confidence).to.be.closeTo(0.5 + 1 / 162, 1e-12);
    // SELL: highest RSI of the spike 6200/81; 0.5 + 0.5 * (6200/81 - 70) / 30 = 0.5 + 53/486
    expect(out[8]!.confidence).to.be.closeTo(0.5 + 53 / 486, 1e-12);
    expect(out[8]!.price).to.equal(11);
  });

  const edge: { given: number[]; want: number }[] = [
    { given: [5, 5, 5, 5], want: 50 }, // no movement at all
    { given: [1, 2, 3, 4], want: 100 }, // no losses
    { given: [4, 3, 2, 1], want: 0 }, // no gains
  ];
  for (const { given, want } of edge) {
    it(`RSI of ${given.join(',')} (period 3) is ${want}`, () => {
      const s = new RsiStrategy({ period: 3 });
      for (const b of bars(given)) s.onBar(b);
      expect(s.rsi).to.equal(want);
    });
  }

  it('reset() forgets state', () => {
    const s = new RsiStrategy({ period: 3 });
    const first = types(bars(closes).map((b) => s.onBar(b)));
    s.reset();
    expect(s.rsi).to.equal(undefined);
    expect(types(bars(closes).map((b) => s.onBar(b)))).to.deep.equal(first);
  });
});

describe('strategy throughput', () => {
  // The contract says O(1) per bar: a year of 1-minute bars (525,600) must take well under a second.
  // Speed is measured by bench/backtest.ts, not asserted here (no timed tests).
  const n = 525_600;
  const series: Bar[] = [];
  let x = 100;
  let seed = 42;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    x *= 1 + (seed / 2147483648 - 0.5) * 0.002;
    series.push({ time: T0 + i * 60_000, open: x, high: x, low: x, close: x, volume: 1 });
  }
  for (const make of [() => new MaCrossoverStrategy({ fast: 50, slow: 200 }), () => new RsiStrategy()]) {
    const s = make();
    it(`${s.name} runs a year of 1-minute bars (${n}) and signals`, () => {
      let signals = 0;
      for (const b of series) if (s.onBar(b)?.signal_type !== 'HOLD') signals++;
      expect(signals).to.be.greaterThan(0);
    });
  }
});
