/**
 * The MarketSource conformance suite: every implementation (simulated, IBKR over a fake TWS) runs it.
 * It only uses the MarketSource interface, so it says nothing about how a source gets its data.
 *
 * Usage, in a *.test.ts file:
 *   describeSourceConformance('SimulatedSource', async () => ({ source, advance, cleanup }));
 */
import { expect } from 'chai';
import { RESOLUTIONS, type Bar, type MarketSource, type Resolution } from '../../src/market/source.ts';
import { bucketStart } from '../../src/market/resolution.ts';
import type { Session } from '../../src/market/session.ts';

export interface SourceFixture {
  /** A started source. */
  source: MarketSource;
  /**
   * Makes the source produce at least one more bar update for every resolution of the fixture's symbol,
   * moving the source's time forward by at least 5 s (the suite expects 60 calls to start a new 1-minute bar).
   */
  advance: () => Promise<void>;
  /** Stops the source and releases whatever the fixture started (fake servers...). */
  cleanup: () => Promise<void>;
  /** The source's session: with it, intraday bar times are checked against the exact bucket starts. */
  session?: Session;
  /** Symbol the suite subscribes to; default the first of source.symbols(). */
  symbol?: string;
  /** Range of the history checks; every resolution must have bars in it. Default 2024-01-08 .. 2024-01-13 UTC. */
  historyRange?: { from: number; to: number };
}

type Update = { bar: Bar; closed: boolean };

const ADVANCES = 60;
const DAY_MS = 86_400_000;

export function describeSourceConformance(label: string, make: () => Promise<SourceFixture>): void {
  describe(`MarketSource conformance: ${label}`, () => {
    let fx: SourceFixture;
    let symbol: string;

    beforeEach(async () => {
      fx = await make();
      symbol = fx.symbol ?? fx.source.symbols()[0]!;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    /** Subscribes every resolution, advances `n` times, returns the updates per resolution. */
    async function record(n: number): Promise<Map<Resolution, Update[]>> {
      const updates = new Map<Resolution, Update[]>(RESOLUTIONS.map((r) => [r, []]));
      const offs = RESOLUTIONS.map((res) =>
        fx.source.subscribeBars(symbol, res, (bar, closed) => updates.get(res)!.push({ bar: { ...bar }, closed })),
      );
      for (let i = 0; i < n; i++) await fx.advance();
      offs.forEach((off) => off());
      return updates;
    }

    /** Why a bar's time is not a bucket start of `res` (empty when it is). */
    function alignmentProblems(bar: Bar, res: Resolution): string[] {
      if (res === 'D') return bar.time % DAY_MS === 0 ? [] : ['daily bar time is not 00:00 UTC'];
      if (bar.time % 60_000 !== 0) return ['time is not a whole minute'];
      if (fx.session && bucketStart(bar.time, res, fx.session) !== bar.time) return ['time is not a bucket start of the session'];
      return [];
    }

    /** Collects problems of a bar list (cheaper and clearer than one assertion per bar). */
    function barProblems(bars: readonly Bar[], res: Resolution, label: string): string[] {
      const out: string[] = [];
      bars.forEach((bar, i) => {
        for (const p of [...consistencyProblems(bar), ...alignmentProblems(bar, res)]) {
          out.push(`${label} ${i} ${new Date(bar.time).toISOString()}: ${p}`);
        }
      });
      return out.slice(0, 10);
    }

    it('lists its symbols and answers hasSymbol', () => {
      const symbols = fx.source.symbols();
      expect(symbols.length).to.be.greaterThan(0);
      expect(new Set(symbols).size, 'no duplicates').to.equal(symbols.length);
      for (const s of symbols) expect(fx.source.hasSymbol(s), s).to.equal(true);
      expect(fx.source.hasSymbol('NO-SUCH-SYMBOL-XYZ')).to.equal(false);
      expect(symbols).to.include(symbol);
    });

    it('bar updates follow the replace / new-bar convention for every resolution', async () => {
      const updates = await record(ADVANCES);
      for (const res of RESOLUTIONS) {
        const list = updates.get(res)!;
        expect(list.length, `${res}: updates`).to.be.greaterThan(0);
        const closedTimes = new Set<number>();
        expect(barProblems(list.map((u) => u.bar), res, `${res} update`)).to.deep.equal([]);
        list.forEach(({ bar, closed }, i) => {
          const where = `${res} update ${i} ${new Date(bar.time).toISOString()}`;
          if (closed) {
            expect(closedTimes.has(bar.time), `${where}: closed twice`).to.equal(false);
            closedTimes.add(bar.time);
          }
          if (i === 0) return;
          const prev = list[i - 1]!;
          expect(bar.time, `${where}: time never goes back`).to.be.at.least(prev.bar.time);
          if (prev.closed) expect(bar.time, `${where}: no update after close`).to.be.greaterThan(prev.bar.time);
          if (bar.time > prev.bar.time) expect(prev.closed, `${where}: previous bar closed before a new one`).to.equal(true);
        });
      }
      const minuteBars = new Set(updates.get('1')!.map((u) => u.bar.time));
      expect(minuteBars.size, `${ADVANCES} advances start a new 1-minute bar`).to.be.at.least(2);
    });

    it('currentBar equals the last update of each resolution', async () => {
      const updates = await record(ADVANCES / 2);
      for (const res of RESOLUTIONS) {
        const last = updates.get(res)!.at(-1);
        expect(last, res).to.not.equal(undefined);
        expect(fx.source.currentBar(symbol, res), res).to.deep.equal(last!.bar);
      }
    });

    it('quotes the symbol with a consistent change and change_pct', async () => {
      await record(3);
      const q = fx.source.quote(symbol);
      expect(q, 'quote after updates').to.not.equal(undefined);
      expect(q!.symbol).to.equal(symbol);
      expect(q!.price).to.be.greaterThan(0);
      expect(q!.previous_close).to.be.greaterThan(0);
      expect(Math.abs(q!.change - (q!.price - q!.previous_close)), 'change = price - previous_close').to.be.below(1e-6);
      const pct = (q!.change / q!.previous_close) * 100;
      expect(Math.abs(q!.change_pct - pct), 'change_pct = change / previous_close * 100').to.be.at.most(0.005 + 1e-9);
      expect(Math.abs(q!.change_pct * 100 - Math.round(q!.change_pct * 100)), 'change_pct has 2 decimals').to.be.below(1e-6);
      expect(Number.isFinite(q!.time)).to.equal(true);
      expect(q!.delayed).to.be.a('boolean');
    });

    it('stops calling a listener once it unsubscribes, and only that listener', async () => {
      const a: Bar[] = [];
      const b: Bar[] = [];
      const offA = fx.source.subscribeBars(symbol, '1', (bar) => a.push(bar));
      const offB = fx.source.subscribeBars(symbol, '1', (bar) => b.push(bar));
      await fx.advance();
      expect(a.length, 'A before unsubscribe').to.be.greaterThan(0);
      offA();
      const seenA = a.length;
      const seenB = b.length;
      for (let i = 0; i < 3; i++) await fx.advance();
      offB();
      expect(a.length, 'A after unsubscribe').to.equal(seenA);
      expect(b.length, 'B still subscribed').to.be.greaterThan(seenB);
    });

    it('returns ordered, aligned, consistent history within [from, to) for every resolution', async function () {
      // Over IB the requests go through the pacing queue (seconds of waiting by design), and on a loaded CI machine
      // the 12 requests can take longer than mocha's default timeout.
      this.timeout(60_000);
      const { from, to } = fx.historyRange ?? { from: Date.UTC(2024, 0, 8), to: Date.UTC(2024, 0, 13) };
      for (const res of RESOLUTIONS) {
        const bars = await fx.source.history(symbol, res, from, to);
        expect(bars.length, `${res}: bars in range`).to.be.greaterThan(0);
        expect(barProblems(bars, res, `${res} history`)).to.deep.equal([]);
        const outside = bars.filter((b) => b.time < from || b.time >= to).length;
        expect(outside, `${res}: bars outside [from, to)`).to.equal(0);
        const unordered = bars.filter((b, i) => i > 0 && b.time <= bars[i - 1]!.time).length;
        expect(unordered, `${res}: bars not strictly after their predecessor`).to.equal(0);
        const again = await fx.source.history(symbol, res, from, to);
        expect(JSON.stringify(again), `${res}: same answer twice`).to.equal(JSON.stringify(bars));
      }
      expect(await fx.source.history(symbol, '1', from, from), 'empty range').to.deep.equal([]);
    });

    it('stops idempotently', async () => {
      await fx.source.stop();
      await fx.source.stop();
    });
  });
}

function consistencyProblems(bar: Bar): string[] {
  const out: string[] = [];
  for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
    if (!Number.isFinite(bar[k])) out.push(`${k} is not finite`);
  }
  if (!(bar.low <= Math.min(bar.open, bar.close))) out.push('low above open or close');
  if (!(bar.high >= Math.max(bar.open, bar.close))) out.push('high below open or close');
  if (!(bar.volume >= 0)) out.push('negative volume');
  return out;
}
