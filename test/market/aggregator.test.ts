import { expect } from 'chai';
import { BarAggregator, type AggregatorStats } from '../../src/market/aggregator.ts';
import { ALWAYS_OPEN_SESSION, US_EQUITY_SESSION, type Session } from '../../src/market/session.ts';
import type { Bar, Resolution } from '../../src/market/source.ts';

/** 'HH:MM:SS' on Monday 2024-01-08 UTC, or a full ISO instant. */
const at = (t: string): number => Date.parse(t.includes('T') ? t : `2024-01-08T${t}Z`);
const tick = (t: string, p: number, v = 1): Bar => ({ time: at(t), open: p, high: p, low: p, close: p, volume: v });
const bar5 = (t: string, o: number, h: number, l: number, c: number, v: number): Bar => ({ time: at(t), open: o, high: h, low: l, close: c, volume: v });

/** One listener event as text: 'HH:MM o/h/l/c vV' (+ ' closed'); daily bars show their date. */
function show(res: Resolution, b: Bar, closed: boolean): string {
  const iso = new Date(b.time).toISOString();
  const when = res === 'D' ? iso.slice(0, 10) : iso.slice(11, 16);
  return `${when} ${b.open}/${b.high}/${b.low}/${b.close} v${b.volume}${closed ? ' closed' : ''}`;
}

type Op = Bar | { closeUpTo: string };

interface Case {
  name: string;
  session?: Session;
  resolutions: Resolution[];
  given: Op[];
  want: Partial<Record<Resolution, string[]>> & { stats?: Partial<AggregatorStats> };
}

function run(c: Case): { events: Partial<Record<Resolution, string[]>>; stats: AggregatorStats } {
  const agg = new BarAggregator({ session: c.session ?? ALWAYS_OPEN_SESSION, resolutions: c.resolutions });
  const events: Partial<Record<Resolution, string[]>> = {};
  for (const res of c.resolutions) {
    events[res] = [];
    agg.onBar(res, (bar, closed) => events[res]!.push(show(res, bar, closed)));
  }
  for (const op of c.given) {
    if ('closeUpTo' in op) agg.closeUpTo(at(op.closeUpTo));
    else agg.add(op);
  }
  return { events, stats: agg.stats() };
}

const cases: Case[] = [
  {
    name: 'a tick starts a bar, the same bucket replaces it, a later bucket closes it and opens the next',
    resolutions: ['1'],
    given: [tick('10:00:00', 10, 1), tick('10:00:30', 12, 2), tick('10:00:59', 9, 3), tick('10:01:00', 11, 1)],
    want: {
      '1': ['10:00 10/10/10/10 v1', '10:00 10/12/10/12 v3', '10:00 10/12/9/9 v6', '10:00 10/12/9/9 v6 closed', '10:01 11/11/11/11 v1'],
    },
  },
  {
    name: '5-s bars: high/low are the extremes, volume sums, buckets of every size',
    resolutions: ['1', '5'],
    given: [bar5('10:04:50', 10, 11, 9, 10.5, 100), bar5('10:04:55', 10.5, 12, 10, 11, 50), bar5('10:05:00', 11, 11, 8, 8, 10)],
    want: {
      '1': ['10:04 10/11/9/10.5 v100', '10:04 10/12/9/11 v150', '10:04 10/12/9/11 v150 closed', '10:05 11/11/8/8 v10'],
      '5': ['10:00 10/11/9/10.5 v100', '10:00 10/12/9/11 v150', '10:00 10/12/9/11 v150 closed', '10:05 11/11/8/8 v10'],
    },
  },
  {
    name: 'a gap invents no bars: the next bar starts at the bucket of the next trade',
    resolutions: ['1', '5'],
    given: [tick('10:00:10', 1), tick('10:07:20', 2)],
    want: {
      '1': ['10:00 1/1/1/1 v1', '10:00 1/1/1/1 v1 closed', '10:07 2/2/2/2 v1'],
      '5': ['10:00 1/1/1/1 v1', '10:00 1/1/1/1 v1 closed', '10:05 2/2/2/2 v1'],
    },
  },
  {
    name: 'US session: the 15:30 ET 60-min bar ends at the 16:00 close; later input is ignored',
    session: US_EQUITY_SESSION,
    resolutions: ['60', 'D'],
    given: [
      bar5('20:45:00', 5, 6, 4, 5, 10), // 15:45 ET
      bar5('20:59:55', 5, 7, 5, 6, 20), // 15:59:55 ET
      { closeUpTo: '20:59:59' },
      { closeUpTo: '21:00:00' }, // 16:00 ET
      tick('21:00:00', 9),
    ],
    want: {
      '60': ['20:30 5/6/4/5 v10', '20:30 5/7/4/6 v30', '20:30 5/7/4/6 v30 closed'],
      D: ['2024-01-08 5/6/4/5 v10', '2024-01-08 5/7/4/6 v30', '2024-01-08 5/7/4/6 v30 closed'],
      stats: { accepted: 2, outside_session: 1 },
    },
  },
  {
    name: 'US session: pre-market input is ignored, the first bar opens at 09:30 ET',
    session: US_EQUITY_SESSION,
    resolutions: ['1', '60'],
    given: [tick('14:29:55', 1), tick('14:30:00', 2)],
    want: { '1': ['14:30 2/2/2/2 v1'], '60': ['14:30 2/2/2/2 v1'], stats: { accepted: 1, outside_session: 1 } },
  },
  {
    name: 'late input: dropped by a resolution that moved on, merged into a coarser bar still forming',
    resolutions: ['1', '5'],
    given: [tick('10:01:10', 10), tick('10:00:50', 7)],
    want: {
      '1': ['10:01 10/10/10/10 v1'],
      '5': ['10:00 10/10/10/10 v1', '10:00 7/10/7/10 v2'], // the earlier input owns the open
      stats: { accepted: 2, late_dropped: 1, late_dropped_by_resolution: { '1': 1, '5': 0, '15': 0, '30': 0, '60': 0, D: 0 } },
    },
  },
  {
    name: 'late input for a bar already closed by closeUpTo is dropped',
    resolutions: ['1'],
    given: [tick('10:00:50', 3), { closeUpTo: '10:01:00' }, tick('10:00:55', 4)],
    want: { '1': ['10:00 3/3/3/3 v1', '10:00 3/3/3/3 v1 closed'], stats: { accepted: 1, late_dropped: 1 } },
  },
  {
    name: 'out-of-order input within the forming bar: open = earliest input, close = latest input',
    resolutions: ['1'],
    given: [tick('10:00:30', 5), tick('10:00:10', 4), tick('10:00:20', 6)],
    want: { '1': ['10:00 5/5/5/5 v1', '10:00 4/5/4/5 v2', '10:00 4/6/4/5 v3'] },
  },
  {
    name: 'a bar closes exactly once: closeUpTo twice, then a later bar',
    resolutions: ['1'],
    given: [tick('10:00:10', 1), { closeUpTo: '10:01:00' }, { closeUpTo: '10:02:00' }, tick('10:03:00', 2)],
    want: { '1': ['10:00 1/1/1/1 v1', '10:00 1/1/1/1 v1 closed', '10:03 2/2/2/2 v1'] },
  },
  {
    name: 'closeUpTo before the end of the period closes nothing',
    resolutions: ['5'],
    given: [tick('10:00:10', 1), { closeUpTo: '10:04:59' }],
    want: { '5': ['10:00 1/1/1/1 v1'] },
  },
  {
    name: 'daily bars of the 24/7 session roll at 00:00 UTC',
    resolutions: ['D', '60'],
    given: [tick('2024-01-08T23:59:59Z', 1), tick('2024-01-09T00:00:00Z', 2)],
    want: {
      D: ['2024-01-08 1/1/1/1 v1', '2024-01-08 1/1/1/1 v1 closed', '2024-01-09 2/2/2/2 v1'],
      '60': ['23:00 1/1/1/1 v1', '23:00 1/1/1/1 v1 closed', '00:00 2/2/2/2 v1'],
    },
  },
  {
    name: 'invalid input is ignored and counted',
    resolutions: ['1'],
    given: [bar5('10:00:00', 5, 4, 3, 5, 1), tick('10:00:05', Number.NaN), bar5('10:00:10', 1, 1, 1, 1, -1)],
    want: { '1': [], stats: { invalid: 3, accepted: 0 } },
  },
];

describe('BarAggregator', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { events, stats } = run(c);
      const { stats: wantStats, ...wantEvents } = c.want;
      expect(events).to.deep.equal(wantEvents);
      if (wantStats) expect(stats).to.deep.include(wantStats);
    });
  }

  it('builds every resolution by default and reports add outcomes', () => {
    const agg = new BarAggregator({ session: US_EQUITY_SESSION });
    expect(agg.add(tick('15:00:00', 1))).to.equal('accepted');
    expect(agg.add(tick('15:01:00', 1))).to.equal('accepted');
    expect(agg.add(tick('15:00:30', 1)), 'merged into 5..D').to.equal('accepted');
    expect(agg.add(tick('14:45:00', 1)), 'older than every forming bucket except D').to.equal('accepted');
    expect(agg.add(tick('2024-01-05T15:00:00Z', 1)), 'previous day: late everywhere').to.equal('late');
    expect(agg.add(tick('13:00:00', 1))).to.equal('outside_session');
    expect(agg.add(tick('15:02:00', Infinity))).to.equal('invalid');
    for (const res of ['1', '5', '15', '30', '60', 'D'] as const) expect(agg.current(res), res).to.not.equal(undefined);
  });

  it('current() is the forming bar, then the last bar once closed; its result is a copy', () => {
    const agg = new BarAggregator({ session: ALWAYS_OPEN_SESSION, resolutions: ['1'] });
    expect(agg.current('1')).to.equal(undefined);
    agg.add(tick('10:00:10', 3, 2));
    agg.current('1')!.close = 99;
    expect(agg.current('1')).to.deep.equal({ time: at('10:00:00'), open: 3, high: 3, low: 3, close: 3, volume: 2 });
    agg.closeUpTo(at('10:05:00'));
    expect(agg.current('1')!.time).to.equal(at('10:00:00'));
  });

  it('hands listeners snapshots it never mutates afterwards', () => {
    const agg = new BarAggregator({ session: ALWAYS_OPEN_SESSION, resolutions: ['1'] });
    const seen: Bar[] = [];
    agg.onBar('1', (bar) => seen.push(bar));
    agg.add(tick('10:00:10', 3));
    agg.add(tick('10:00:20', 4));
    expect(seen[0]).to.deep.equal({ time: at('10:00:00'), open: 3, high: 3, low: 3, close: 3, volume: 1 });
    expect(seen[1]!.close).to.equal(4);
  });

  it('keeps notifying the other listeners when one throws, and reports the error', () => {
    const errors: unknown[] = [];
    const agg = new BarAggregator({ session: ALWAYS_OPEN_SESSION, resolutions: ['1'], onListenerError: (e) => errors.push(e) });
    const got: number[] = [];
    agg.onBar('1', () => {
      throw new Error('boom');
    });
    agg.onBar('1', (bar) => got.push(bar.close));
    agg.add(tick('10:00:10', 3));
    expect(got).to.deep.equal([3]);
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['boom']);
    expect(agg.stats().listener_errors).to.equal(1);
  });

  it('stops notifying a listener once it unsubscribes', () => {
    const agg = new BarAggregator({ session: ALWAYS_OPEN_SESSION, resolutions: ['1'] });
    let calls = 0;
    const off = agg.onBar('1', () => calls++);
    agg.add(tick('10:00:10', 3));
    off();
    agg.add(tick('10:00:20', 3));
    expect(calls).to.equal(1);
  });

  describe('seed', () => {
    const seeded: Bar = { time: at('10:00:00'), open: 10, high: 12, low: 9, close: 11, volume: 500 };

    it('backfills the forming bar, notifies it, and later input merges into it', () => {
      const agg = new BarAggregator({ session: ALWAYS_OPEN_SESSION, resolutions: ['5'] });
      const events: string[] = [];
      agg.onBar('5', (b, closed) => events.push(show('5', b, closed)));
      expect(agg.seed('5', seeded)).to.deep.equal({ ok: true });
      agg.add(tick('10:03:00', 13, 5));
      agg.add(tick('10:05:00', 14, 1));
      expect(events).to.deep.equal([
        '10:00 10/12/9/11 v500',
        '10:00 10/13/9/13 v505',
        '10:00 10/13/9/13 v505 closed',
        '10:05 14/14/14/14 v1',
      ]);
    });

    it('refuses, with a code, what it cannot place', () => {
      const agg = new BarAggregator({ session: US_EQUITY_SESSION, resolutions: ['5', 'D'] });
      const codes = (res: Resolution, bar: Bar): string | undefined => {
        const r = agg.seed(res, bar);
        return r.ok ? undefined : r.code;
      };
      const us = { ...seeded, time: at('15:00:00') };
      expect(codes('1', us), 'not built').to.equal('SEED_UNKNOWN_RESOLUTION');
      expect(codes('5', { ...us, time: at('15:01:00') }), 'not a bucket start').to.equal('SEED_MISALIGNED');
      expect(codes('5', { ...us, time: at('13:00:00') }), 'before the open').to.equal('SEED_MISALIGNED');
      expect(codes('D', { ...us, time: at('15:00:00') }), 'daily time is 00:00 UTC').to.equal('SEED_MISALIGNED');
      expect(codes('D', { ...us, time: at('2024-01-06T00:00:00Z') }), 'Saturday').to.equal('SEED_MISALIGNED');
      expect(codes('D', { ...us, time: at('2024-01-08T00:00:00Z') })).to.equal(undefined);
      expect(codes('5', us)).to.equal(undefined);
      expect(codes('5', { ...us, time: at('14:55:00') }), 'older than the forming bar').to.equal('SEED_STALE');
      agg.closeUpTo(at('15:05:00'));
      expect(codes('5', us), 'already closed').to.equal('SEED_STALE');
    });

    it('a newer seed closes the forming bar first', () => {
      const agg = new BarAggregator({ session: ALWAYS_OPEN_SESSION, resolutions: ['1'] });
      const events: string[] = [];
      agg.onBar('1', (b, closed) => events.push(show('1', b, closed)));
      agg.add(tick('10:00:10', 1));
      agg.seed('1', { ...seeded, time: at('10:02:00') });
      expect(events).to.deep.equal(['10:00 1/1/1/1 v1', '10:00 1/1/1/1 v1 closed', '10:02 10/12/9/11 v500']);
    });
  });
});
