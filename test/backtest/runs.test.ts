import { expect } from 'chai';
import { BACKTEST_ID_PATTERN, formatBacktestId, RunRegistry, type RunRequest } from '../../src/backtest/runs.ts';
import { validateBacktestId } from '../../generated/validators.js';
import { waitFor } from '../support/wait.ts';

const request: RunRequest = {
  name: 'r', symbol: 'AAPL', timeframes: ['1'], resolution: '1', start_date: '2024-01-02', end_date: '2024-01-02',
  from: Date.UTC(2024, 0, 2), to: Date.UTC(2024, 0, 3), strategy_ids: ['rsi'], initial_capital: 1000, fee_bps: 0, slippage_bps: 0, progress_interval: 100,
};

describe('backtest/runs', () => {
  const cases: { given: [number, string]; want: string }[] = [
    { given: [Date.UTC(2024, 1, 11, 14, 30, 22, 999), 'a1b2c3'], want: 'bt_20240211_143022_a1b2c3' },
    { given: [Date.UTC(2025, 0, 1, 0, 0, 0), '000000'], want: 'bt_20250101_000000_000000' },
  ];
  for (const { given, want } of cases) {
    it(`formatBacktestId(${given[0]}, ${given[1]}) = ${want}, a contract BacktestId`, () => {
      const id = formatBacktestId(...given);
      expect(id).to.equal(want);
      expect(id).to.match(BACKTEST_ID_PATTERN);
      expect(validateBacktestId(id)).to.equal(true);
    });
  }

  it('create() gives queued runs fresh ids, retrying on a collision', () => {
    const hex = ['aaaaaa', 'aaaaaa', 'bbbbbb'];
    const reg = new RunRegistry({ retentionMs: 1000, now: () => Date.UTC(2024, 0, 1), randomHex: () => hex.shift()! });
    const a = reg.create(request, true);
    const b = reg.create(request, false);
    expect(a.id).to.equal('bt_20240101_000000_aaaaaa');
    expect(b.id).to.equal('bt_20240101_000000_bbbbbb');
    expect(a.status).to.equal('queued');
    expect(reg.activeCount()).to.equal(2);
    b.status = 'completed';
    expect(reg.activeCount()).to.equal(1);
  });

  it('a finished run is dropped retentionMs after scheduleExpiry; clear() cancels the timers', async () => {
    const reg = new RunRegistry({ retentionMs: 30 });
    const a = reg.create(request, false);
    a.status = 'completed';
    reg.scheduleExpiry(a.id);
    expect(reg.get(a.id)).to.equal(a);
    await waitFor(() => reg.get(a.id) === undefined, 2000);
    const b = reg.create(request, false);
    reg.scheduleExpiry(b.id);
    reg.clear();
    expect(reg.all()).to.deep.equal([]);
  });
});
