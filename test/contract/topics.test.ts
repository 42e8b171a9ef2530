import { expect } from 'chai';
import {
  buildBarsTopic,
  parseBarsTopic,
  buildBacktestStreamPath,
  parseBacktestStreamPath,
  buildMarketDataStreamPath,
  parseMarketDataStreamPath,
} from '../../generated/topics.ts';

describe('contract: topic and path helpers', () => {
  const roundTrips = [
    { symbol: 'AAPL', resolution: '1' },
    { symbol: 'BRK.B', resolution: 'D' },
    { symbol: 'BTC-USD', resolution: '60' },
    { symbol: 'MSFT', resolution: '15' },
  ];
  for (const p of roundTrips) {
    it(`bars round-trips ${p.symbol}:${p.resolution}`, () => {
      const built = buildBarsTopic(p);
      expect(built).to.deep.equal({ ok: true, value: `bars:${p.symbol}:${p.resolution}` });
      if (!built.ok) return;
      expect(parseBarsTopic(built.value)).to.deep.equal({ ok: true, value: p });
    });
  }

  it('bars resolution defaults to "1"', () => {
    expect(buildBarsTopic({ symbol: 'AAPL' })).to.deep.equal({ ok: true, value: 'bars:AAPL:1' });
  });

  const bad = [
    { given: { symbol: 'aapl', resolution: '1' }, param: 'symbol' },
    { given: { symbol: 'AA PL', resolution: '1' }, param: 'symbol' },
    { given: { symbol: 'AAPL:X', resolution: '1' }, param: 'symbol' },
    { given: { symbol: '', resolution: '1' }, param: 'symbol' },
    { given: { symbol: 'AAPL', resolution: '2' }, param: 'resolution' },
    { given: { symbol: 'AAPL', resolution: 'd' }, param: 'resolution' },
  ];
  for (const b of bad) {
    it(`build rejects ${JSON.stringify(b.given)} naming ${b.param}`, () => {
      const got = buildBarsTopic(b.given);
      expect(got).to.include({ ok: false, param: b.param });
    });
  }

  for (const address of ['bars:AAPL', 'bars:AAPL:1:2', 'quotes:AAPL:1', 'bars::1', 'bars:aapl:1', 'bars:AAPL:7', 'xbars:AAPL:1']) {
    it(`parse rejects ${JSON.stringify(address)}`, () => {
      expect(parseBarsTopic(address).ok).to.equal(false);
    });
  }

  it('backtest path round-trips and rejects bad ids', () => {
    const built = buildBacktestStreamPath({ backtest_id: 'bt_1-a' });
    expect(built).to.deep.equal({ ok: true, value: '/api/ws/stream/backtest/bt_1-a' });
    expect(parseBacktestStreamPath('/api/ws/stream/backtest/bt_1-a')).to.deep.equal({ ok: true, value: { backtest_id: 'bt_1-a' } });
    expect(parseBacktestStreamPath('/api/ws/stream/backtest/bad%20id')).to.include({ ok: false, param: 'backtest_id' });
    expect(parseBacktestStreamPath('/api/ws/stream/backtest/')).to.include({ ok: false, param: 'address' });
    expect(parseBacktestStreamPath('/api/ws/stream/backtest/%E0%A4%A')).to.include({ ok: false, param: 'address' });
  });

  it('market-data path round-trips symbols with dots and dashes', () => {
    for (const symbol of ['BRK.B', 'BTC-USD']) {
      const built = buildMarketDataStreamPath({ symbol });
      expect(built.ok).to.equal(true);
      if (!built.ok) return;
      expect(parseMarketDataStreamPath(built.value)).to.deep.equal({ ok: true, value: { symbol } });
    }
    expect(parseMarketDataStreamPath('/api/ws/stream/market-data/btc')).to.include({ ok: false, param: 'symbol' });
  });
});
