import { expect } from 'chai';
import { labelGapFor, layoutMarkers, type MarkerEvent } from '../../src/dashboard/markers.ts';
import { marketLabel } from '../../src/dashboard/trust.ts';

const M = 60_000;
const times = Array.from({ length: 20 }, (_, i) => i * M);

describe('dashboard markers: never two on one bar side, labels spaced', () => {
  it('merges the events of one bar and side into one marker (trades win the text)', () => {
    const events: MarkerEvent[] = [
      { ts: 5 * M + 10, kind: 'signal', side: 'BUY', text: 'BUY' },
      { ts: 5 * M + 20, kind: 'trade', side: 'BUY', text: 'B 10' },
      { ts: 5 * M + 30, kind: 'signal', side: 'SELL', text: 'SELL' },
    ];
    const out = layoutMarkers(events, times, 1);
    expect(out).to.have.length(2);
    expect(out.find((m) => m.position === 'belowBar')).to.include({ text: 'B 10', shape: 'circle', time: 5 * 60 });
    expect(out.find((m) => m.position === 'aboveBar')).to.include({ text: 'SELL', shape: 'arrowDown' });
  });

  it('drops labels closer than the gap on the same side, keeps every marker', () => {
    const events: MarkerEvent[] = [0, 1, 2, 3, 8].map((i) => ({ ts: i * M, kind: 'signal', side: 'BUY', text: 'BUY' }));
    const out = layoutMarkers(events, times, 4);
    expect(out.map((m) => m.text)).to.deep.equal(['BUY', '', '', '', 'BUY']);
    expect(out.map((m) => m.time)).to.deep.equal([0, 60, 120, 180, 480]);
  });

  it('ignores events before the first bar; the gap follows the zoom', () => {
    expect(layoutMarkers([{ ts: -1, kind: 'trade', side: 'SELL', text: 'S 1' }], times)).to.deep.equal([]);
    expect(labelGapFor(600, 100)).to.equal(5); // 6 px per bar, 28 px a label
    expect(labelGapFor(600, 1000)).to.equal(47);
    expect(labelGapFor(1000, 10)).to.equal(1);
  });

  it('the market badge names the mode, calendar and speed', () => {
    expect(marketLabel({ mode: 'simulated', calendar: 'always', speed: 60 })).to.equal('SIMULATED · 24/7 · ×60');
    expect(marketLabel({ mode: 'simulated', calendar: 'exchange', speed: 1 })).to.equal('SIMULATED · NYSE hours');
    expect(marketLabel({ mode: 'ib_live', calendar: null, speed: null })).to.equal('IB LIVE');
    expect(marketLabel({ mode: 'ib_paper', calendar: null, speed: null })).to.equal('IB PAPER');
  });
});
