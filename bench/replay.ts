/**
 * Replay after reconnect: 1000 raw-socket clients (bench/replay-client.ts) subscribed to one bars topic of a real
 * Tickwire server (bench/fanout-server.ts tickwire) while it publishes at a known rate. The clients are cut off
 * (sockets destroyed, all at once or in waves), stay away `offlineMs` while publishing goes on, then reconnect and
 * resubscribe with `since: {epoch, offset}`. Timed per client from the subscribe's send to the reply and to the last
 * missed publication (the reply's `asOf.offset`); at the end every client must hold every offset from its first
 * subscribe to the topic's top exactly once, in order. Also: the broker's history (MemoryBroker.stats()) and the heap
 * a topic's full history takes. Bounded: every step has a timeout and the run a deadline.
 *
 * Part of `npm run bench`; alone: `npx tsx bench/replay.ts [--quick] [--rate=msg/s]`. Results: bench/results/replay-*.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { codeVersion, fmt, median, nowMs, percentile, sleep, TOPIC } from './common.ts';
import { killAll, spawn, split, waitCount } from './procs.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface ReplayOptions {
  quick: boolean;
  /** Absolute nowMs() by which the run must be done (scenarios that do not fit are skipped). */
  deadline: number;
  clients?: number;
  clientProcs?: number;
  ratePerSec?: number;
  offlineMs?: number;
}

interface Sample {
  connectToSendMs: number;
  replyMs: number;
  lastMs: number;
  connectToLastMs: number;
  missed: number;
  recovered: boolean;
  reason?: string;
  failed?: string;
}

/**
 * The kernel's count of connections dropped because a listen queue was full (Linux, system-wide; NaN elsewhere).
 * A client whose SYN or handshake ACK is dropped retries after 1 s, then 2 s, ...
 */
function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    // ListenDrops counts every SYN or handshake dropped at a listener, full accept queue (ListenOverflows) included.
    return Number(values[names.indexOf('ListenDrops')]);
  } catch {
    return NaN;
  }
}

interface Dist {
  p50: number;
  p99: number;
  max: number;
}

function dist(xs: number[]): Dist {
  const s = Float64Array.from(xs.filter((x) => Number.isFinite(x))).sort();
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1]! : NaN };
}

export interface ScenarioResult {
  scenario: 'all-at-once' | 'waves';
  round: number;
  clients: number;
  waves: number;
  recovered: number;
  /** Reasons of `recovered: false` answers (e.g. limit: more missed than the recovery limit), counted. */
  notRecovered: Record<string, number>;
  failed: string[];
  missedPerClient: { min: number; median: number; max: number };
  replayedFrames: number;
  /** From the subscribe's send: to the reply; to the last missed publication. From the TCP connect: to the last. */
  replyMs: Dist;
  lastMissedMs: Dist;
  connectToLastMs: Dist;
  serverCpuPct: number;
  /** Connections the kernel dropped from a full listen queue during the scenario (system-wide counter). */
  listenOverflows: number;
  loadavg1: number;
}

export async function replayRun(opts: ReplayOptions) {
  const CLIENTS = opts.clients ?? 1000;
  const PROCS = opts.clientProcs ?? 2;
  // 100 publications/s on one bars topic (a real one publishes about once a second): with the default recovery limit
  // (1000) a client can be away 10 s and recover; `--rate=200` halves that.
  const RATE = opts.ratePerSec ?? 100;
  const OFFLINE = opts.offlineMs ?? 2000;
  const WAVES = 4;
  const WAVE_GAP_MS = 500;
  const plan: ScenarioResult['scenario'][] = opts.quick ? ['all-at-once'] : ['all-at-once', 'waves', 'all-at-once', 'waves'];
  const t0 = nowMs();
  console.log(`\nreplay: ${CLIENTS} clients on ${TOPIC}, ${RATE} msg/s published, ${OFFLINE} ms offline; scenarios ${plan.join(', ')}`);

  const server = await spawn('fanout-server.ts', ['tickwire']);
  const clients = await Promise.all(Array.from({ length: PROCS }, () => spawn('replay-client.ts')));
  const per = split(CLIENTS, PROCS);
  const results: ScenarioResult[] = [];
  const skipped: string[] = [];
  let verify: any;
  let history: any;
  let probe: any;
  try {
    const opened = await Promise.all(clients.map((c, i) => c.rpc({ cmd: 'open', port: server.port, topic: TOPIC, count: per[i], concurrency: 100, timeoutMs: 20_000 }, 30_000)));
    const subscribed = await waitCount(server, 'subscribers', CLIENTS, 10_000);
    console.log(`${((nowMs() - t0) / 1000).toFixed(0).padStart(4)} s  replay: ${subscribed} subscribed in ${fmt(Math.max(...opened.map((o) => o.ms)))} ms${opened.some((o) => o.failed.length) ? `; failed: ${opened.flatMap((o) => o.failed).slice(0, 3).join(', ')}` : ''}`);
    await server.rpc({ cmd: 'rate', rate: RATE });
    await sleep(1000);
    let round = 0;
    for (const scenario of plan) {
      round++;
      const cost = OFFLINE + (scenario === 'waves' ? WAVES * WAVE_GAP_MS : 0) + 4000;
      if (nowMs() + cost > opts.deadline - 3000) {
        skipped.push(`${scenario} round ${round}`);
        continue;
      }
      const m0 = await server.rpc({ cmd: 'mark' });
      const overflows0 = listenOverflows();
      let samples: Sample[];
      if (scenario === 'all-at-once') {
        const replies = await Promise.all(clients.map((c, i) => c.rpc({ cmd: 'cycle', from: 0, to: per[i], offlineMs: OFFLINE, concurrency: per[i], timeoutMs: 15_000 }, 25_000)));
        samples = replies.flatMap((r) => r.samples);
      } else {
        // Wave w drops the w-th quarter of every client process's connections, WAVE_GAP_MS after the previous wave.
        const waves = await Promise.all(Array.from({ length: WAVES }, async (_, w) => {
          await sleep(w * WAVE_GAP_MS);
          return Promise.all(clients.map((c, i) => {
            const bounds = split(per[i]!, WAVES);
            const from = bounds.slice(0, w).reduce((a, b) => a + b, 0);
            return c.rpc({ cmd: 'cycle', from, to: from + bounds[w]!, offlineMs: OFFLINE, concurrency: bounds[w]!, timeoutMs: 15_000 }, 25_000);
          }));
        }));
        samples = waves.flat().flatMap((r) => r.samples);
      }
      const m1 = await server.rpc({ cmd: 'mark' });
      const missed = samples.map((s) => s.missed).filter((x) => Number.isFinite(x));
      const r: ScenarioResult = {
        scenario,
        round,
        clients: samples.length,
        waves: scenario === 'waves' ? WAVES : 1,
        recovered: samples.filter((s) => s.recovered && !s.failed).length,
        notRecovered: samples.filter((s) => !s.recovered && !s.failed).reduce((a, s) => ({ ...a, [s.reason ?? '?']: (a[s.reason ?? '?'] ?? 0) + 1 }), {} as Record<string, number>),
        failed: samples.filter((s) => s.failed).map((s) => s.failed!).slice(0, 10),
        missedPerClient: { min: Math.min(...missed), median: median(missed), max: Math.max(...missed) },
        replayedFrames: missed.reduce((a, b) => a + b, 0),
        replyMs: dist(samples.map((s) => s.replyMs)),
        lastMissedMs: dist(samples.map((s) => s.lastMs)),
        connectToLastMs: dist(samples.map((s) => s.connectToLastMs)),
        serverCpuPct: (100 * (m1.cpu.user + m1.cpu.system - m0.cpu.user - m0.cpu.system)) / ((m1.at - m0.at) * 1000),
        listenOverflows: listenOverflows() - overflows0,
        loadavg1: m1.loadavg[0],
      };
      results.push(r);
      console.log(`${((nowMs() - t0) / 1000).toFixed(0).padStart(4)} s  replay ${scenario} round ${round}: ${r.recovered}/${r.clients} recovered${Object.keys(r.notRecovered).length ? ` (not: ${JSON.stringify(r.notRecovered)})` : ''}, ~${fmt(r.missedPerClient.median)} missed each; last missed p50 ${fmt(r.lastMissedMs.p50, 1)} p99 ${fmt(r.lastMissedMs.p99, 1)} max ${fmt(r.lastMissedMs.max, 1)} ms (from connect p99 ${fmt(r.connectToLastMs.p99, 1)} ms; ${r.listenOverflows} listen-queue drops)${r.failed.length ? `  ! ${r.failed.slice(0, 3).join('; ')}` : ''}`);
      await sleep(500);
    }
    await server.rpc({ cmd: 'halt' });
    await sleep(500);
    const { position } = await server.rpc({ cmd: 'position', topic: TOPIC });
    const checks = await Promise.all(clients.map((c) => c.rpc({ cmd: 'verify', top: position.offset })));
    verify = {
      top: position.offset,
      connections: checks.reduce((a, c) => a + c.connections, 0),
      complete: checks.reduce((a, c) => a + c.complete, 0),
      resynced: checks.reduce((a, c) => a + c.resynced, 0),
      resyncs: checks.flatMap((c) => c.resyncs).slice(0, 5),
      received: checks.reduce((a, c) => a + c.received, 0),
      expected: checks.reduce((a, c) => a + c.expected, 0),
      gaps: checks.reduce((a, c) => a + c.gaps, 0),
      duplicates: checks.reduce((a, c) => a + c.duplicates, 0),
      errors: checks.flatMap((c) => c.errors).slice(0, 10),
    };
    history = (await server.rpc({ cmd: 'mark' })).history;
    probe = await server.rpc({ cmd: 'history-probe', topics: 100, perTopic: 1000 });
  } finally {
    await Promise.all(clients.map((c) => c.rpc({ cmd: 'close' }, 10_000).catch(() => undefined)));
    for (const p of [server, ...clients]) await p.exit();
  }

  const worst = (k: 'lastMissedMs' | 'replyMs', scenario: string) => median(results.filter((r) => r.scenario === scenario).map((r) => r[k].p99));
  const memory = {
    /** The app's broker after the run (the bench topic plus the app's own dashboard topics). */
    appBroker: history,
    /** A fresh broker, 100 bars topics × 1000 publications of the bench message. */
    probe,
    perTopic: probe && {
      publications: probe.stats.publications / probe.stats.topics,
      jsonBytes: probe.stats.bytes / probe.stats.topics,
      heapBytes: probe.heapBytes / probe.stats.topics,
    },
  };
  console.log(`\nReplay after reconnect (${CLIENTS} clients, ${RATE} msg/s, ${OFFLINE} ms offline; ms from the resubscribe's send)`);
  console.log('scenario      round  recovered  missed/client  replayed  reply p50/p99  last missed p50 / p99 / max  from connect p99  listen drops  server CPU%');
  for (const r of results) {
    console.log(`${r.scenario.padEnd(13)} ${String(r.round).padEnd(5)}  ${`${r.recovered}/${r.clients}`.padStart(9)}  ${fmt(r.missedPerClient.median).padStart(13)}  ${fmt(r.replayedFrames).padStart(8)}  ${`${fmt(r.replyMs.p50, 1)} / ${fmt(r.replyMs.p99, 1)}`.padStart(13)}  ${`${fmt(r.lastMissedMs.p50, 1)} / ${fmt(r.lastMissedMs.p99, 1)} / ${fmt(r.lastMissedMs.max, 1)}`.padStart(27)}  ${fmt(r.connectToLastMs.p99, 1).padStart(16)}  ${fmt(r.listenOverflows).padStart(12)}  ${fmt(r.serverCpuPct).padStart(11)}`);
  }
  if (verify) {
    console.log(`exactly once, in order: ${verify.complete}/${verify.connections} clients complete to offset ${verify.top}; ${verify.resynced} told recovered: false at least once (then restarted from asOf, as a client would with a snapshot${verify.resyncs.length ? `: ${verify.resyncs.slice(0, 2).join('; ')}` : ''}); ${fmt(verify.received)} of ${fmt(verify.expected)} publications received (${fmt((100 * verify.received) / verify.expected, 2)}%); ${verify.gaps} gaps, ${verify.duplicates} duplicates otherwise${verify.errors.length ? `; ${verify.errors.slice(0, 3).join('; ')}` : ''}`);
  }
  if (memory.perTopic) {
    console.log(`history per topic (MemoryBroker.stats() of 100 topics × 1000): ${fmt(memory.perTopic.publications)} publications, ${fmt(memory.perTopic.jsonBytes / 1024, 1)} KiB of JSON (stats().bytes), ${fmt(memory.perTopic.heapBytes / 1024, 1)} KiB of heap`);
  }
  if (skipped.length) console.log(`replay skipped (did not fit the budget): ${skipped.join(', ')}`);

  const delivered = verify && verify.complete === verify.connections && verify.connections === CLIENTS;
  const targets = {
    'replay: p99 ≤ 200 ms from the resubscribe to the last missed publication (all at once)': { value: worst('lastMissedMs', 'all-at-once'), met: worst('lastMissedMs', 'all-at-once') <= 200 },
    'replay: p99 ≤ 200 ms (waves)': { value: worst('lastMissedMs', 'waves'), met: plan.includes('waves') ? worst('lastMissedMs', 'waves') <= 200 : undefined },
    'replay: 100% delivered exactly once, in order (share of clients complete)': { value: verify ? verify.complete / verify.connections : NaN, met: Boolean(delivered && results.every((r) => r.recovered === r.clients)) },
    'replay: no gap or duplicate on any recovered path': { value: verify ? verify.gaps + verify.duplicates : NaN, met: Boolean(verify && verify.gaps === 0 && verify.duplicates === 0 && verify.errors.length === 0) },
  };
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `replay-${new Date().toISOString().replace(/[:.]/g, '-')}${RATE !== 100 ? `-${RATE}` : ''}${opts.quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    code: codeVersion(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg: loadavg() },
    config: { clients: CLIENTS, clientProcs: PROCS, ratePerSec: RATE, offlineMs: OFFLINE, waves: WAVES, waveGapMs: WAVE_GAP_MS, topic: TOPIC, plan },
    durationS: Math.round((nowMs() - t0) / 1000),
    targets,
    scenarios: results,
    exactlyOnce: verify,
    memory,
    skipped,
  }, null, 2) + '\n');
  console.log(`wrote ${file.replace(process.cwd() + '/', '')}`);
  return { file, targets };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const hard = setTimeout(() => {
    console.error('replay: hard stop after 120 s');
    killAll();
    process.exit(1);
  }, 120_000);
  hard.unref();
  try {
    const rate = process.argv.find((a) => a.startsWith('--rate='))?.slice(7);
    await replayRun({ quick: process.argv.includes('--quick'), deadline: nowMs() + 100_000, ratePerSec: rate ? Number(rate) : undefined });
  } finally {
    killAll();
    clearTimeout(hard);
  }
}
