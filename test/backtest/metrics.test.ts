import { expect } from 'chai';
import { MetricsAccumulator } from '../../src/backtest/metrics.ts';

describe('MetricsAccumulator', () => {
  it('hand-checked equity and trade statistics', () => {
    // initial 100; equity 110, 99, 108.9 → returns +0.1, −0.1, +0.1
    // mean = 1/30; sample var = ((2/30)² + (4/30)² + (2/30)²) / 2 = 1/75; sd = 1/(5√3)
    // per-bar Sharpe = (1/30)·5√3 = √3/6; × √barsPerYear (4) = √3/3
    // drawdowns: 0, (110 − 99)/110 = 0.1, (110 − 108.9)/110 = 0.01 → max 0.1
    const m = new MetricsAccumulator(100, 4);
    expect(m.addBar(110, true)).to.equal(0);
    expect(m.addBar(99, true)).to.be.closeTo(0.1, 1e-12);
    expect(m.addBar(108.9, false)).to.be.closeTo(0.01, 1e-12);
    // trades +10, −4, +6, 0: 2 winners of 4; profit 16, loss 4; factor 4; average (16 − 4)/4 = 3
    for (const pnl of [10, -4, 6, 0]) m.addTrade(pnl);
    m.addFee(0.25);
    m.addFee(0.5);
    const s = m.snapshot();
    expect(s.sharpe_ratio).to.be.closeTo(Math.sqrt(3) / 3, 1e-12);
    expect(s.max_drawdown).to.be.closeTo(0.1, 1e-12);
    expect(s.total_return).to.be.closeTo(0.089, 1e-12);
    expect(s.net_profit).to.be.closeTo(8.9, 1e-12);
    expect(s).to.include({
      initial_equity: 100, final_equity: 108.9, num_trades: 4, win_rate: 0.5, profit_factor: 4,
      gross_profit: 16, gross_loss: 4, avg_trade_pnl: 3, total_fees: 0.75, bars: 3,
    });
    expect(s.exposure).to.be.closeTo(2 / 3, 1e-12);
  });

  const empty: { given: string; want: object }[] = [
    { given: 'no bars, no trades', want: { sharpe_ratio: 0, win_rate: 0, profit_factor: null, max_drawdown: 0, total_return: 0, exposure: 0, avg_trade_pnl: 0 } },
  ];
  for (const { given, want } of empty) {
    it(`degenerate case: ${given}`, () => {
      expect(new MetricsAccumulator(1000, 252).snapshot()).to.include(want);
    });
  }

  it('flat equity gives Sharpe 0; only winners gives profit_factor null', () => {
    const m = new MetricsAccumulator(50, 252);
    for (let i = 0; i < 5; i++) m.addBar(50, false);
    m.addTrade(1);
    const s = m.snapshot();
    expect(s.sharpe_ratio).to.equal(0);
    expect(s.profit_factor).to.equal(null);
    expect(s.win_rate).to.equal(1);
  });
});
