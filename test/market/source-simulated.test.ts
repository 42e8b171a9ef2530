import { expect } from 'chai';
import { SimulatedSource, NODE_TIMERS, type IntervalTimers } from '../../src/market/source-simulated.ts';
import { ALWAYS_OPEN_SESSION, US_EQUITY_SESSION } from '../../src/market/session.ts';
import { RESOLUTIONS, type Bar, type Resolution } from '../../src/market/source.ts';
import { describeSourceConformance } from './source.conformance.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A clock the test moves by hand. */
function manualClock(start: number): { now: () => number; set: (t: number) => void; add: (ms: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v), add: (ms) => (t += ms) };
}

describeSourceConformance('SimulatedSource', async () => {
  const clock = manualClock(Date.UTC(2024, 0, 8, 20, 0, 0));
  const source = new SimulatedSource({ now: clock.now });
  await source.start();
  let calls = 0;
  return {
    source,
    session: ALWAYS_OPEN_SESSION,
    // Mostly 20-s steps (forming bars get replaced), every 12th a 2-h jump (coarse bars and days roll over).
    advance: async () => {
      clock.add(++calls % 12 === 0 ? 2 * HOUR : 20_000);
      source.step();
    },
    cleanup: () => source.stop(),
  };
});

describe('SimulatedSource', () => {
  const T0 = Date.UTC(2024, 0, 8, 10, 0, 0);

  function prices(source: SimulatedSource): number[] {
    return source.symbols().map((s) => source.quote(s)!.price);
  }

  describe('live ticks', () => {
    it('replays the same prices for the same seed and tick count, other prices for another seed', () => {
      const run = (seed: number): number[][] => {
        const clock = manualClock(T0);
        const source = new SimulatedSource({ seed, now: clock.now });
        const out: number[][] = [];
        for (let i = 0; i < 50; i++) {
          clock.add(1000);
          source.step();
          out.push(prices(source));
        }
        return out;
      };
      const a = run(7);
      expect(run(7)).to.deep.equal(a);
      expect(run(8)).to.not.deep.equal(a);
      expect(new Set(a.map((p) => p[0])).size, 'the price moves').to.be.greaterThan(1);
    });

    it("does not let one symbol's path depend on the other symbols", () => {
      const clock = manualClock(T0);
      const all = new SimulatedSource({ now: clock.now });
      const one = new SimulatedSource({ now: clock.now, symbols: ['TSLA'] });
      all.step(20);
      one.step(20);
      expect(one.quote('TSLA')).to.deep.equal(all.quote('TSLA'));
    });

    it('starts at the start price, uses it as previous_close until a daily bar closes, then that close', () => {
      const clock = manualClock(Date.UTC(2024, 0, 8, 23, 59, 0));
      const source = new SimulatedSource({ now: clock.now, symbols: ['X'], startPrices: { X: 50 } });
      source.step();
      const first = source.quote('X')!;
      expect(first.previous_close).to.equal(50);
      expect(Math.abs(first.price - 50)).to.be.below(1);
      const day1 = source.currentBar('X', 'D')!;
      clock.add(2 * MIN); // past 00:00 UTC: the 24/7 session's day ends
      source.step();
      expect(source.currentBar('X', 'D')!.time).to.equal(Date.UTC(2024, 0, 9));
      expect(source.quote('X')!.previous_close).to.equal(day1.close);
    });

    it('stamps ticks with now() and never goes back in time', () => {
      const clock = manualClock(T0);
      const source = new SimulatedSource({ now: clock.now, symbols: ['X'] });
      source.step();
      clock.add(-MIN);
      source.step();
      expect(source.quote('X')!.time).to.equal(T0);
    });

    it('does not tick while its session is closed, and closes the bars when it closes', () => {
      const clock = manualClock(Date.UTC(2024, 0, 6, 15, 0)); // Saturday
      const source = new SimulatedSource({ now: clock.now, symbols: ['X'], session: US_EQUITY_SESSION });
      source.step();
      expect(source.quote('X'), 'no trade on Saturday').to.equal(undefined);

      const closed: Resolution[] = [];
      for (const res of RESOLUTIONS) source.subscribeBars('X', res, (_bar, isClosed) => isClosed && closed.push(res));
      clock.set(Date.UTC(2024, 0, 8, 20, 59, 30)); // Monday 15:59:30 New York
      source.step();
      expect(closed).to.deep.equal([]);
      clock.set(Date.UTC(2024, 0, 8, 21, 0, 0)); // 16:00: the close
      source.step();
      expect(closed.sort()).to.deep.equal([...RESOLUTIONS].sort());
      expect(source.quote('X')!.time, 'no trade after the close').to.equal(Date.UTC(2024, 0, 8, 20, 59, 30));
      expect(source.currentBar('X', '60')!.time, '60-min bars align to 09:30').to.equal(Date.UTC(2024, 0, 8, 20, 30));
    });

    it('ignores unknown symbols', () => {
      const source = new SimulatedSource();
      let calls = 0;
      source.subscribeBars('NOPE', '1', () => calls++)();
      source.step(3);
      expect(calls).to.equal(0);
      expect(source.currentBar('NOPE', '1')).to.equal(undefined);
      expect(source.quote('NOPE')).to.equal(undefined);
    });
  });

  describe('timer', () => {
    /** Real timers, counted: the test sees how many are live and whether they hold the process open. */
    function countingTimers(): IntervalTimers & { live: Set<unknown> } {
      const live = new Set<unknown>();
      return {
        live,
        setInterval: (fn, ms) => {
          const h = NODE_TIMERS.setInterval(fn, ms);
          live.add(h);
          return h;
        },
        clearInterval: (h) => {
          live.delete(h);
          NODE_TIMERS.clearInterval(h);
        },
      };
    }

    it('runs one unref\'d timer while started and none after stop (start/stop idempotent)', async () => {
      const timers = countingTimers();
      const source = new SimulatedSource({ timers, tickIntervalMs: 60_000 });
      await source.start();
      await source.start();
      expect(timers.live.size).to.equal(1);
      const [handle] = [...timers.live] as NodeJS.Timeout[];
      expect(handle!.hasRef(), 'does not hold the process open').to.equal(false);
      await source.stop();
      await source.stop();
      expect(timers.live.size).to.equal(0);
      await source.start();
      expect(timers.live.size, 'restarts').to.equal(1);
      await source.stop();
      expect(timers.live.size).to.equal(0);
    });

    it('delivers ticks from the timer', async () => {
      const source = new SimulatedSource({ tickIntervalMs: 5, symbols: ['X'] });
      const got: Bar[] = [];
      const arrived = new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`only ${got.length} updates within 3 s`)), 3000);
        source.subscribeBars('X', '1', (bar) => {
          got.push(bar);
          if (got.length === 3) {
            clearTimeout(guard);
            resolve();
          }
        });
      });
      await source.start();
      try {
        await arrived;
      } finally {
        await source.stop();
      }
      expect(source.quote('X')).to.not.equal(undefined);
    });
  });

  describe('history', () => {
    const source = new SimulatedSource();
    const from = Date.UTC(2024, 0, 1);
    const to = Date.UTC(2024, 0, 8);

    it('is deterministic per seed and independent of live ticks', async () => {
      const a = await source.history('AAPL', '5', from, to);
      const other = new SimulatedSource({ now: () => T0 });
      other.step(100);
      expect(await other.history('AAPL', '5', from, to)).to.deep.equal(a);
      expect(await new SimulatedSource({ seed: 1 }).history('AAPL', '5', from, to)).to.not.deep.equal(a);
    });

    it('answers a sub-range with the same bars as a wider request', async () => {
      const wide = await source.history('MSFT', '15', from, to);
      const f = Date.UTC(2024, 0, 3, 7, 10);
      const t = Date.UTC(2024, 0, 5, 13, 0);
      expect(await source.history('MSFT', '15', f, t)).to.deep.equal(wide.filter((b) => b.time >= f && b.time < t));
    });

    it('builds coarser resolutions as exact aggregates of the 1-minute path', async () => {
      const minutes = await source.history('TSLA', '1', from, to);
      for (const res of ['5', '60', 'D'] as const) {
        const coarse = await source.history('TSLA', res, from, to);
        const size = res === 'D' ? DAY : Number(res) * MIN;
        const groups = new Map<number, Bar[]>();
        for (const m of minutes) {
          const key = Math.floor(m.time / size) * size;
          groups.set(key, [...(groups.get(key) ?? []), m]);
        }
        expect(coarse.length, res).to.equal(groups.size);
        for (const bar of coarse) {
          const parts = groups.get(bar.time)!;
          expect(bar, `${res} ${bar.time}`).to.deep.equal({
            time: bar.time,
            open: parts[0]!.open,
            high: Math.max(...parts.map((p) => p.high)),
            low: Math.min(...parts.map((p) => p.low)),
            close: parts.at(-1)!.close,
            volume: parts.reduce((s, p) => s + p.volume, 0),
          });
        }
      }
    });

    it('follows the session: equity bars only in trading hours, daily bars on trading days', async () => {
      const eq = new SimulatedSource({ session: US_EQUITY_SESSION });
      const days = await eq.history('AAPL', 'D', from, to); // Mon 1 .. Sun 7 January 2024
      expect(days.map((b) => new Date(b.time).toISOString().slice(0, 10))).to.deep.equal([
        '2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05',
      ]);
      const hours = await eq.history('AAPL', '60', Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3));
      expect(hours.map((b) => new Date(b.time).toISOString().slice(11, 16))).to.deep.equal([
        '14:30', '15:30', '16:30', '17:30', '18:30', '19:30', '20:30',
      ]);
      expect(hours.at(-1)!.volume, 'the 15:30 bar is cut to 30 minutes').to.be.lessThan(hours[0]!.volume * 0.8);
    });

    it('stays in a band around the start price over decades', async () => {
      const days = await source.history('AAPL', 'D', Date.UTC(2000, 0, 1), Date.UTC(2010, 0, 1));
      expect(days.length).to.equal(3653);
      const closes = days.map((d) => d.close);
      expect(Math.min(...closes)).to.be.greaterThan(190 / 4);
      expect(Math.max(...closes)).to.be.lessThan(190 * 4);
    });

    it('generates one year of 1-minute bars (speed: bench/history.ts)', async () => {
      const bars = await source.history('BTC-USD', '1', Date.UTC(2023, 0, 1), Date.UTC(2024, 0, 1));
      expect(bars.length).to.equal(365 * 1440);
    });

    it('returns [] for an unknown symbol or an empty range', async () => {
      expect(await source.history('NOPE', '1', from, to)).to.deep.equal([]);
      expect(await source.history('AAPL', '1', to, from)).to.deep.equal([]);
    });
  });
});
