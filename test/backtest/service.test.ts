import { expect } from 'chai';
import { BacktestService, CompositeStrategy, MAX_CANDLES, validateStartRequest, type ValidationDeps } from '../../src/backtest/service.ts';
import type { Bar } from '../../src/market/source.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';
import type { Strategy, StrategySignal } from '../../src/trading/strategy.ts';
import { checkMessage } from '../../generated/runtime.ts';
import { backtestStreamOutbound } from '../../generated/messages.ts';
import { waitFor } from '../support/wait.ts';

const NOW = Date.UTC(2025, 0, 1);
const deps: ValidationDeps = { hasSymbol: (s) => s === 'AAPL', symbols: () => ['AAPL'], now: () => NOW, defaultProgressInterval: 100 };
const base = { name: 'n', symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-02', strategy_ids: ['rsi'] };

describe('backtest/service: validateStartRequest', () => {
  const good: { name: string; given: Record<string, unknown>; want: Record<string, unknown> }[] = [
    { name: 'defaults; a date-only end is inclusive', given: {}, want: { resolution: '1', from: Date.UTC(2024, 0, 2), to: Date.UTC(2024, 0, 3), initial_capital: 100_000, fee_bps: 1, slippage_bps: 0, progress_interval: 100, calendar: 'exchange' } },
    { name: 'finest of ["4H","1H"] is 60', given: { timeframes: ['4H', '1H'] }, want: { resolution: '60', timeframes: ['4H', '1H'] } },
    { name: '1m alias', given: { timeframes: ['1D', '1m'] }, want: { resolution: '1' } },
    { name: '1D alias', given: { timeframes: ['1D'] }, want: { resolution: 'D' } },
    { name: 'ISO times are exact (end exclusive)', given: { start_date: '2024-01-02T09:30:00Z', end_date: '2024-01-02T16:00:00+01:00' }, want: { from: Date.UTC(2024, 0, 2, 9, 30), to: Date.UTC(2024, 0, 2, 15) } },
    { name: 'the end is clamped to now', given: { start_date: '2024-12-31', end_date: '2025-01-05' }, want: { to: NOW } },
    { name: 'options', given: { initial_capital: 5000, fee_bps: 2.5, slippage_bps: 1, progress_interval: 7 }, want: { initial_capital: 5000, fee_bps: 2.5, slippage_bps: 1, progress_interval: 7 } },
    { name: 'exactly 400 days of 1-minute candles', given: { start_date: '2023-01-01', end_date: '2024-02-04' }, want: { from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 1) + (MAX_CANDLES * 60_000) } },
  ];
  for (const c of good) {
    it(`accepts: ${c.name}`, () => {
      const r = validateStartRequest({ ...base, ...c.given }, deps);
      if (!r.ok) throw new Error(r.error.message);
      expect(r.request).to.include(Object.fromEntries(Object.entries(c.want).filter(([, v]) => !Array.isArray(v))));
      for (const [k, v] of Object.entries(c.want)) if (Array.isArray(v)) expect((r.request as any)[k]).to.deep.equal(v);
    });
  }

  const badCases: { given: unknown; field: string }[] = [
    { given: null, field: '' },
    { given: { ...base, timeframes: ['1', 5] }, field: 'timeframes[1]' },
    { given: { ...base, timeframes: ['1', '1', '1', '1', '1', '1', '1', '1', '1'] }, field: 'timeframes' },
    { given: { ...base, start_date: '2024-01-02T25:00:00Z' }, field: 'start_date' },
    { given: { ...base, start_date: '2024-01-02T10:00:00' }, field: 'start_date' },
    { given: { ...base, start_date: '2024-01-02T10:00:00Z', end_date: '2024-01-02T10:00:00Z' }, field: 'end_date' },
    { given: { ...base, timeframes: ['D'], start_date: '2010-01-01', end_date: '2024-01-01' }, field: 'end_date' },
    { given: { ...base, progress_interval: 0 }, field: 'progress_interval' },
    { given: { ...base, strategy_ids: [] }, field: 'strategy_ids' },
  ];
  for (const c of badCases) {
    it(`refuses ${JSON.stringify(c.given)?.slice(0, 90)} naming ${JSON.stringify(c.field)}`, () => {
      const r = validateStartRequest(c.given, deps);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error).to.include({ code: 'INVALID_BODY', field: c.field });
    });
  }
});

function scripted(id: string, script: Record<number, 'BUY' | 'SELL'>, warmup = 0): Strategy {
  let i = 0;
  return {
    id,
    name: id,
    onBar(bar: Bar): StrategySignal | null {
      const n = i++;
      if (n < warmup) return null;
      return { signal_type: script[n] ?? 'HOLD', confidence: 1, price: bar.close, reason: `${id} bar ${n}`, time: bar.time };
    },
    reset() {
      i = 0;
    },
  };
}

describe('backtest/service: CompositeStrategy', () => {
  const bar = (t: number): Bar => ({ time: t, open: 1, high: 1, low: 1, close: 1, volume: 1 });
  it('BUY/SELL from any part, conflicts cancel, null while all warm up; the reason names the part', () => {
    const c = new CompositeStrategy([scripted('a', { 1: 'BUY', 3: 'SELL', 4: 'BUY' }, 1), scripted('b', { 2: 'SELL', 4: 'SELL' }, 2)]);
    expect(c.id).to.equal('a+b');
    const got = [0, 1, 2, 3, 4].map((t) => c.onBar(bar(t)));
    expect(got[0]).to.equal(null);
    expect(got.slice(1).map((s) => s!.signal_type)).to.deep.equal(['BUY', 'SELL', 'SELL', 'HOLD']);
    expect(got[1]!.reason).to.equal('a: a bar 1');
    expect(got[2]!.reason).to.equal('b: b bar 2');
    c.reset();
    expect(c.onBar(bar(9))).to.equal(null);
  });
});

describe('backtest/service: runs', function () {
  this.timeout(10_000);
  interface Published { topic: string; msg: any }
  const make = (options: { history?: (s: string, r: string, f: number, t: number) => Promise<Bar[]>; startGraceMs?: number; retentionMs?: number; maxConcurrent?: number } = {}) => {
    const sim = new SimulatedSource();
    const published: Published[] = [];
    const errors: unknown[] = [];
    const service = new BacktestService({
      source: { hasSymbol: (s) => sim.hasSymbol(s), symbols: () => sim.symbols(), history: options.history ?? ((s, r, f, t) => sim.history(s, r as '1', f, t)) },
      hub: { publish: async (topic, msg) => void published.push({ topic, msg }) },
      maxConcurrent: options.maxConcurrent ?? 4,
      retentionMs: options.retentionMs ?? 60_000,
      progressInterval: 100,
      startGraceMs: options.startGraceMs,
    });
    service.start({ update: () => undefined, error: (e) => void errors.push(e) });
    return { service, published, errors };
  };
  const body = { name: 'svc', symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-02', strategy_ids: ['ma_crossover', 'rsi'] };

  it('publishes every event once on backtest:<id>, each valid, ending with complete', async () => {
    const { service, published, errors } = make();
    const out = service.startRun(body, { streaming: false });
    if (!out.ok) throw new Error(out.error.message);
    await waitFor(() => out.run.status === 'completed');
    expect(new Set(published.map((p) => p.topic))).to.deep.equal(new Set([`backtest:${out.run.id}`]));
    for (const p of published) expect(checkMessage(backtestStreamOutbound, p.msg), JSON.stringify(p.msg)).to.equal(null);
    const types = published.map((p) => p.msg.type);
    expect(types.at(-1)).to.equal('complete');
    expect(types.filter((t) => t === 'progress').length).to.equal(15);
    expect(types.filter((t) => t === 'trade').length).to.equal(out.run.trades!.length);
    for (const p of published.filter((x) => x.msg.type === 'trade')) expect(p.msg.data.strategy_id).to.equal('ma_crossover+rsi');
    expect(out.run.latestMetrics!.data).to.deep.equal(published.at(-1)!.msg.data.metrics);
    expect(errors).to.deep.equal([]);
    await service.stop();
  });

  it('a failing history load ends the run with error BACKTEST_FAILED (status failed)', async () => {
    const { service, published } = make({ history: async () => { throw new Error('upstream down'); } });
    const out = service.startRun(body, { streaming: false });
    if (!out.ok) throw new Error(out.error.message);
    await waitFor(() => out.run.status === 'failed');
    expect(published.map((p) => p.msg.type)).to.deep.equal(['error']);
    expect(published[0]!.msg.data.code).to.equal('BACKTEST_FAILED');
    expect(published[0]!.msg.data.message).to.contain('upstream down');
    expect(out.run.terminal).to.equal(published[0]!.msg);
    expect(out.run.error!.code).to.equal('SOURCE_ERROR');
    await service.stop();
  });

  it('no bars in range → failed NO_DATA', async () => {
    const { service } = make({ history: async () => [] });
    const out = service.startRun(body, { streaming: false });
    if (!out.ok) throw new Error(out.error.message);
    await waitFor(() => out.run.status === 'failed');
    expect(out.run.error!.code).to.equal('NO_DATA');
    await service.stop();
  });

  it('a streaming run waits for a client, or starts after the grace period', async () => {
    const { service } = make({ startGraceMs: 60_000 });
    const a = service.startRun(body, { streaming: true });
    if (!a.ok) throw new Error('start');
    await new Promise((r) => setImmediate(r));
    expect(a.run.status).to.equal('queued');
    service.clientJoined(a.run.id);
    expect(a.run.status).to.equal('running');
    await waitFor(() => a.run.status === 'completed');
    await service.stop();

    const quick = make({ startGraceMs: 10 });
    const b = quick.service.startRun(body, { streaming: true });
    if (!b.ok) throw new Error('start');
    await waitFor(() => b.run.status === 'completed');
    await quick.service.stop();
  });

  it('429 past maxConcurrent queued/running runs', async () => {
    const { service } = make({ maxConcurrent: 1, startGraceMs: 60_000 });
    expect(service.startRun(body, { streaming: true }).ok).to.equal(true);
    const second = service.startRun(body, { streaming: true });
    expect(second.ok).to.equal(false);
    if (!second.ok) {
      expect(second.status).to.equal(429);
      expect(second.error.code).to.equal('TOO_MANY_BACKTESTS');
    }
    await service.stop();
  });

  it('stop() cancels queued and running runs, telling their clients, and then refuses new ones', async () => {
    let release: (bars: Bar[]) => void = () => undefined;
    const { service, published } = make({ startGraceMs: 60_000, history: () => new Promise<Bar[]>((r) => { release = r; }) });
    const queued = service.startRun(body, { streaming: true });
    const running = service.startRun(body, { streaming: false });
    if (!queued.ok || !running.ok) throw new Error('start');
    await waitFor(() => running.run.status === 'running');
    const stopping = service.stop();
    release([{ time: 1, open: 1, high: 1, low: 1, close: 1, volume: 1 }]);
    await stopping;
    expect(queued.run.status).to.equal('cancelled');
    expect(running.run.status).to.equal('cancelled');
    expect(published.map((p) => [p.topic, p.msg.type, p.msg.data.code])).to.have.deep.members([
      [`backtest:${queued.run.id}`, 'error', 'BACKTEST_FAILED'],
      [`backtest:${running.run.id}`, 'error', 'BACKTEST_FAILED'],
    ]);
    const after = service.startRun(body, { streaming: false });
    expect(after.ok).to.equal(false);
    if (!after.ok) expect(after.status).to.equal(503);
  });

  it('a run that throws unexpectedly ends failed; if recording that throws too, it goes to ctx.error, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sim = new SimulatedSource();
      const errors: unknown[] = [];
      const service = new BacktestService({
        // a source bug: history resolves to no array at all, so the run throws after loading
        source: { hasSymbol: (s) => sim.hasSymbol(s), symbols: () => sim.symbols(), history: async () => null as unknown as Bar[] },
        hub: { publish: async () => undefined },
        maxConcurrent: 4,
        retentionMs: 60_000,
        progressInterval: 100,
        log: () => {
          throw new Error('log broke');
        },
      });
      service.start({ update: () => undefined, error: (e) => void errors.push(e) });
      const out = service.startRun(body, { streaming: false });
      if (!out.ok) throw new Error(out.error.message);
      await waitFor(() => errors.length > 0 || unhandled.length > 0);
      await new Promise((r) => setImmediate(r));
      expect(unhandled.map((e) => (e as Error).message), 'unhandled rejections').to.deep.equal([]);
      expect(errors.map((e) => (e as Error).message)).to.deep.equal(['log broke']);
      expect(out.run.status).to.equal('failed');
      expect(out.run.error!.code).to.equal('INTERNAL_ERROR');
      await service.stop();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a finished run is forgotten after retentionMs', async () => {
    const { service } = make({ retentionMs: 30 });
    const out = service.startRun(body, { streaming: false });
    if (!out.ok) throw new Error('start');
    await waitFor(() => out.run.status === 'completed');
    expect(service.get(out.run.id)).to.equal(out.run);
    await waitFor(() => service.get(out.run.id) === undefined, 2000);
    await service.stop();
  });
});
