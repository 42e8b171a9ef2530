/**
 * Many topics: `connections` clients, each subscribed to `perConnection` of `symbols × 5` bars topics picked with
 * Zipf-like popularity (bench/common.ts zipfAssign), Tickwire (real app, real bars.subscribe) against Socket.IO rooms
 * (one room per topic, io.to(topic).emit). Both servers hold their connections for the whole run (minimal
 * raw-socket clients, separate processes per setup); measurement windows alternate T S T S ... and each round is
 * reported as a ratio. The publisher floods the topics round-robin (every topic at the same rate), `perTurn`
 * publications per event-loop turn (dense: every topic once per turn; sparse: a tenth of them), pausing while any
 * socket has more than 256 KiB unsent; delivered counts what
 * clients received, owed what the subscribers of each publication add up to. Also: server RSS per connection and the
 * broker's history afterwards. Bounded: every step has a timeout and the run a deadline.
 *
 * Part of `npm run bench`; alone: `npx tsx bench/many-topics.ts [--quick] [--per-turn=N --rounds=N] [--connections=N]
 * [--window=ms] [--profile]`.
 * Results: bench/results/topics-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { codeVersion, fmt, manyTopics, median, nowMs, sleep, zipfAssign } from './common.ts';
import { killAll, printProfile, spawn, split, waitCount, type Proc } from './procs.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface ManyTopicsOptions {
  quick: boolean;
  /** Absolute nowMs() by which the run must be done (rounds that do not fit are skipped). */
  deadline: number;
  connections?: number;
  perConnection?: number;
  /** Symbols; topics = symbols × 5 resolutions. */
  symbols?: number;
  /** Publishing patterns: publications per event-loop turn (round-robin over the topics), and rounds of each. */
  patterns?: { perTurn: number; rounds: number }[];
  windowMs?: number;
  clientProcsPerSetup?: number;
  /** Only Tickwire, with a CPU profile of its server (printed at the end). */
  profile?: boolean;
}

type ManySetup = 'tickwire' | 'socket.io';

interface Window {
  setup: ManySetup;
  perTurn: number;
  round: number;
  delivered: number;
  owed: number;
  windowMs: number;
  deliveredPerSec: number;
  publishedPerSec: number;
  /** Over the whole flood (warm-up, window and drain): received / owed. 1 = every subscriber got every publication. */
  deliveryRatio: number;
  floodOwed: number;
  floodReceived: number;
  serverCpuUsPerMsg: number;
  serverCpuPct: number;
  clientCpuPct: number[];
  stalls: number;
  open: number;
  loadavg1: number;
  error?: string;
}

export async function manyTopicsRun(opts: ManyTopicsOptions) {
  const N = opts.connections ?? 10_000;
  const PER = opts.perConnection ?? 5;
  const { topics } = manyTopics(opts.symbols ?? 100);
  // Dense: every topic once per turn (a saturated source: when the server is busy, more updates arrive per turn).
  // Sparse: a tenth of the topics per turn, so a connection gets about one message per turn or less.
  const PATTERNS = opts.patterns ?? (opts.quick ? [{ perTurn: topics.length, rounds: 1 }] : [{ perTurn: topics.length, rounds: 2 }, { perTurn: topics.length / 10, rounds: 2 }]);
  const DENSE = PATTERNS[0]!.perTurn;
  // Long enough that a Socket.IO turn of 500 publications (~0.5-1 s of blocking emits) is a small part of a window.
  const WINDOW = opts.windowMs ?? (opts.quick ? 1500 : 2500);
  const PROCS = opts.clientProcsPerSetup ?? 2;
  const WARMUP = 400;
  const DRAIN = 500;
  const t0 = nowMs();
  const since = () => ((nowMs() - t0) / 1000).toFixed(0).padStart(4);
  const { assignment, subscribers } = zipfAssign(topics, N, PER);
  const counts = [...subscribers.values()].sort((a, b) => b - a);
  const popularity = { top: counts.slice(0, 5), median: counts[Math.floor(counts.length / 2)], least: counts[counts.length - 1] };
  console.log(`\nmany topics: ${N} connections × ${PER} of ${topics.length} topics (subscribers per topic: top ${popularity.top.join(', ')}; median ${popularity.median}; least ${popularity.least}), ${PATTERNS.map((p) => p.perTurn).join(' / ')} publications per turn round-robin`);

  const setups: ManySetup[] = opts.profile ? ['tickwire'] : ['tickwire', 'socket.io'];
  const profDir = join(tmpdir(), `tickwire-bench-profile-${process.pid}`);
  const servers = new Map<ManySetup, Proc>();
  const clients = new Map<ManySetup, Proc[]>();
  const opened = new Map<ManySetup, { ms: number; failed: number; subscriptions: number; rssPerConnKiB: number; heapPerConnKiB: number }>();
  const windows: Window[] = [];
  const skipped: string[] = [];
  let history: any;
  try {
    for (const s of setups) {
      servers.set(s, await spawn('fanout-server.ts', s === 'tickwire' ? ['tickwire', `--symbols=${opts.symbols ?? 100}`] : [s]));
      clients.set(s, await Promise.all(Array.from({ length: PROCS }, () => spawn('min-client.ts'))));
    }
    for (const s of setups) {
      const server = servers.get(s)!;
      await server.rpc({ cmd: 'set-topics', topics });
      await server.rpc({ cmd: 'gc' });
      const before = await server.rpc({ cmd: 'mark' });
      const per = split(N, PROCS);
      let from = 0;
      const replies = await Promise.all(clients.get(s)!.map((c, i) => {
        const mine = assignment.slice(from, (from += per[i]!));
        return c.rpc({
          cmd: 'open', port: server.port, path: s === 'tickwire' ? '/api/v1/ws' : '/socket.io/?EIO=4&transport=websocket',
          proto: s, count: per[i], topics: mine, probeEvery: 0, concurrency: 250, timeoutMs: 40_000,
        }, 45_000);
      }));
      const subs = await waitCount(server, 'subscriptions', N * PER, 20_000);
      await server.rpc({ cmd: 'gc' });
      await sleep(200);
      const after = await server.rpc({ cmd: 'mark' });
      const o = {
        ms: Math.max(...replies.map((r) => r.ms)),
        failed: replies.reduce((a, r) => a + r.failed, 0),
        subscriptions: subs,
        rssPerConnKiB: (after.rss - before.rss) / N / 1024,
        heapPerConnKiB: (after.heapUsed + after.external - before.heapUsed - before.external) / N / 1024,
      };
      opened.set(s, o);
      console.log(`${since()} s  many topics: ${s}: ${N - o.failed} connected, ${subs} of ${N * PER} subscriptions in ${fmt(o.ms)} ms, server RSS ${fmt(o.rssPerConnKiB, 1)} KiB/conn`);
      if (subs !== N * PER) throw new Error(`${s}: only ${subs} of ${N * PER} subscriptions`);
    }

    // The profile covers the floods (warm-up, window and drain), not the set-up above.
    if (opts.profile) await servers.get('tickwire')!.rpc({ cmd: 'profile-start' });
    const maxRounds = Math.max(...PATTERNS.map((p) => p.rounds));
    for (let round = 1; round <= maxRounds; round++) for (const { perTurn, rounds } of PATTERNS) {
      if (round > rounds) continue;
      for (const s of setups) {
        if (nowMs() + WINDOW + WARMUP + 3000 > opts.deadline) {
          skipped.push(`${s} ${perTurn}/turn round ${round}`);
          continue;
        }
        const server = servers.get(s)!;
        const cs = clients.get(s)!;
        // Completeness over the whole flood: every client message counted from before its first publication to
        // after the last one drained, against what the subscribers of each publication add up to.
        const before = await Promise.all([server.rpc({ cmd: 'mark' }), ...cs.map((c) => c.rpc({ cmd: 'total' }))]);
        await server.rpc({ cmd: 'flood-topics', perTurn });
        await sleep(WARMUP);
        const [s0] = await Promise.all([server.rpc({ cmd: 'mark' }), ...cs.map((c) => c.rpc({ cmd: 'start' }))]);
        await sleep(WINDOW);
        const [s1, ...stops] = await Promise.all([server.rpc({ cmd: 'mark' }), ...cs.map((c) => c.rpc({ cmd: 'stop' }))]);
        const halted = await server.rpc({ cmd: 'halt' });
        await sleep(DRAIN);
        const after = await Promise.all(cs.map((c) => c.rpc({ cmd: 'total' })));
        const floodOwed = halted.owed - before[0].owed;
        const floodReceived = after.reduce((a, x) => a + x.total, 0) - before.slice(1).reduce((a, x) => a + x.total, 0);
        const delivered = stops.reduce((a, x) => a + x.received, 0);
        const ms = stops.reduce((a, x) => a + x.ms, 0) / stops.length;
        const serverUs = s1.cpu.user + s1.cpu.system - s0.cpu.user - s0.cpu.system;
        const open = stops.reduce((a, x) => a + x.open, 0);
        const w: Window = {
          setup: s,
          perTurn,
          round,
          delivered,
          owed: s1.owed - s0.owed,
          windowMs: ms,
          deliveredPerSec: delivered / (ms / 1000),
          publishedPerSec: (s1.published - s0.published) / ((s1.at - s0.at) / 1000),
          deliveryRatio: floodOwed ? floodReceived / floodOwed : 0,
          floodOwed,
          floodReceived,
          serverCpuUsPerMsg: delivered ? serverUs / delivered : NaN,
          serverCpuPct: (100 * serverUs) / ((s1.at - s0.at) * 1000),
          clientCpuPct: stops.map((x) => (100 * x.cpuUs) / (x.ms * 1000)),
          stalls: s1.stalls - s0.stalls,
          open,
          loadavg1: s1.loadavg[0],
          ...(open !== N ? { error: `${N - open} connections closed` } : {}),
        };
        windows.push(w);
        console.log(`${since()} s  many topics ${s} ${perTurn}/turn round ${round}: ${fmt(w.deliveredPerSec)} msg/s delivered (${fmt(100 * w.deliveryRatio, 2)}% of the flood's owed deliveries arrived), ${fmt(w.publishedPerSec)} published/s, ${fmt(w.serverCpuUsPerMsg, 3)} µs/msg, client CPU ${w.clientCpuPct.map((c) => fmt(c)).join('/')}%${w.error ? `  ! ${w.error}` : ''}`);
      }
    }
    if (opts.profile) await servers.get('tickwire')!.rpc({ cmd: 'profile-stop', dir: profDir });
    history = (await servers.get('tickwire')!.rpc({ cmd: 'mark' })).history;
  } finally {
    for (const cs of clients.values()) await Promise.all(cs.map((c) => c.rpc({ cmd: 'close' }, 15_000).catch(() => undefined)));
    for (const p of [...servers.values(), ...[...clients.values()].flat()]) await p.exit();
  }
  if (opts.profile) printProfile(profDir, servers.get('tickwire')!.child.pid!);

  const ok = (s: ManySetup, perTurn: number) => windows.filter((w) => w.setup === s && w.perTurn === perTurn && (!w.error || w.delivered));
  const ratiosOf = (perTurn: number) => windows.filter((w) => w.setup === 'tickwire' && w.perTurn === perTurn).map((w) => {
    const other = windows.find((o) => o.setup === 'socket.io' && o.perTurn === perTurn && o.round === w.round);
    return other ? w.deliveredPerSec / other.deliveredPerSec : NaN;
  });
  const rows = PATTERNS.flatMap(({ perTurn }) => setups.map((s) => ({
    setup: s,
    perTurn,
    rounds: ok(s, perTurn).length,
    deliveredPerSec: median(ok(s, perTurn).map((w) => w.deliveredPerSec)),
    publishedPerSec: median(ok(s, perTurn).map((w) => w.publishedPerSec)),
    /** The worst round. */
    deliveryPct: Math.min(...ok(s, perTurn).map((w) => 100 * w.deliveryRatio)),
    serverCpuUsPerMsg: median(ok(s, perTurn).map((w) => w.serverCpuUsPerMsg)),
    serverCpuPct: median(ok(s, perTurn).map((w) => w.serverCpuPct)),
    clientCpuPctMax: median(ok(s, perTurn).map((w) => Math.max(...w.clientCpuPct))),
    ratioToSocketIo: s === 'tickwire' ? median(ratiosOf(perTurn)) : 1,
    ratioPerRound: s === 'tickwire' ? ratiosOf(perTurn) : [],
    ...opened.get(s),
  })));
  const ratio = median(ratiosOf(DENSE));
  console.log(`\nMany topics (${N} connections × ${PER} of ${topics.length} topics, Zipf-like; medians over rounds; ratios per round, then median)`);
  console.log('pubs/turn  setup       delivered msg/s  ×socket.io  published/s  flood delivered % (worst)  server µs/msg  server CPU%  client CPU% (max proc)  RSS KiB/conn');
  for (const r of rows) {
    console.log(`${String(r.perTurn).padEnd(9)}  ${r.setup.padEnd(10)}  ${fmt(r.deliveredPerSec).padStart(15)}  ${fmt(r.ratioToSocketIo, 1).padStart(10)}  ${fmt(r.publishedPerSec).padStart(11)}  ${fmt(r.deliveryPct, 2).padStart(25)}  ${fmt(r.serverCpuUsPerMsg, 3).padStart(13)}  ${fmt(r.serverCpuPct).padStart(11)}  ${fmt(r.clientCpuPctMax).padStart(22)}  ${fmt(r.rssPerConnKiB ?? NaN, 1).padStart(12)}`);
  }
  if (history) console.log(`Tickwire's broker afterwards: ${history.topics} topics, ${fmt(history.publications)} publications kept, ${fmt(history.bytes / 2 ** 20, 1)} MiB of JSON (${fmt(history.publications / history.topics)} publications, ${fmt(history.bytes / history.topics / 1024, 1)} KiB per topic)`);
  if (skipped.length) console.log(`many topics skipped (did not fit the budget): ${skipped.join(', ')}`);

  const targets: Record<string, { value: number; met: boolean | undefined }> = {
    [`many topics: Tickwire ≥ 5× Socket.IO rooms (${DENSE} publications per turn)`]: { value: ratio, met: ratio >= 5 },
  };
  for (const { perTurn } of PATTERNS.slice(1)) {
    const r = median(ratiosOf(perTurn));
    targets[`many topics: Tickwire ≥ 5× Socket.IO rooms (${perTurn} publications per turn)`] = { value: r, met: r >= 5 };
  }
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `topics-${new Date().toISOString().replace(/[:.]/g, '-')}${opts.quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    code: codeVersion(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg: loadavg() },
    config: { connections: N, perConnection: PER, topics: topics.length, zipfExponent: 1, patterns: PATTERNS, windowMs: WINDOW, warmupMs: WARMUP, clientProcsPerSetup: PROCS },
    popularity,
    durationS: Math.round((nowMs() - t0) / 1000),
    targets,
    rows,
    history,
    windows,
    skipped,
  }, null, 2) + '\n');
  console.log(`wrote ${file.replace(process.cwd() + '/', '')}`);
  return { file, targets };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const num = (k: string) => {
    const v = process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
    return v === undefined ? undefined : Number(v);
  };
  const hard = setTimeout(() => {
    console.error('many topics: hard stop after 150 s');
    killAll();
    process.exit(1);
  }, 150_000);
  hard.unref();
  try {
    const perTurn = num('per-turn');
    await manyTopicsRun({
      quick: process.argv.includes('--quick'), deadline: nowMs() + 130_000, connections: num('connections'),
      patterns: perTurn ? [{ perTurn, rounds: num('rounds') ?? 1 }] : undefined,
      windowMs: num('window'), profile: process.argv.includes('--profile') });
  } finally {
    killAll();
    clearTimeout(hard);
  }
}
