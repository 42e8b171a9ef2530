/**
 * Shared by the fan-out bench processes (bench/run.ts, bench/fanout-server.ts, bench/min-client.ts,
 * bench/fanout-client.ts): the published message, the clock, and the IPC request/reply helper.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const TOPIC = 'bars:AAPL:1';
export const ROOM = 'bars';
export const SETUPS = ['tickwire', 'naive-ws', 'batched-ws', 'batched-ws-seq', 'socket.io'] as const;
export type Setup = (typeof SETUPS)[number];

/** Wall-clock ms with µs resolution, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The published message: a contract-shaped `bars.update` (~200 bytes of JSON) whose `time` carries the publish
 * timestamp (epoch ms with a µs fraction) so receivers can compute publish-to-receive latency.
 */
export function barMessage(seq: number, ts: number, topic = TOPIC): object {
  return {
    type: 'bars.update',
    topic,
    payload: { time: ts, open: 187.25 + (seq % 97) / 100, high: 188.5 + (seq % 13) / 100, low: 186.75, close: 187.5 + (seq % 89) / 100, volume: 1_234_567 + seq },
  };
}

/** Reads the number following `"time":` inside buf[start, end); NaN when absent. No allocation. */
const TIME_KEY = Buffer.from('"time":');
export function readTime(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(TIME_KEY, start);
  if (at < 0 || at >= end) return NaN;
  let i = at + TIME_KEY.length;
  let int = 0;
  let c = buf[i]!;
  while (c >= 48 && c <= 57) {
    int = int * 10 + (c - 48);
    c = buf[++i]!;
  }
  if (c !== 46) return int;
  let frac = 0;
  let scale = 1;
  c = buf[++i]!;
  while (c >= 48 && c <= 57 && i < end) {
    frac = frac * 10 + (c - 48);
    scale *= 10;
    c = buf[++i]!;
  }
  return int + frac / scale;
}

/** Child side of the IPC protocol: each request carries `id`; the reply echoes it. Exits when the parent goes. */
export function serve(handler: (msg: any) => unknown | Promise<unknown>): void {
  process.on('message', async (msg: any) => {
    let reply: unknown;
    try {
      reply = await handler(msg);
    } catch (err) {
      reply = { error: (err as Error).stack ?? String(err) };
    }
    process.send?.({ id: msg.id, ...(reply as object) });
  });
  process.on('disconnect', () => process.exit(0));
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
}

export function fmt(x: number, d = 0): string {
  return Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—';
}

/** A small deterministic PRNG (mulberry32), so every run assigns the same topics. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The many-topic run's topics: `symbols` symbols × the resolutions 1, 5, 15, 30, 60 (valid `bars:` topics, so
 * Tickwire's real bars.subscribe handler serves them). Symbols are T000, T001, ...
 */
export function manyTopics(symbols: number): { symbols: string[]; topics: string[] } {
  const syms = Array.from({ length: symbols }, (_, i) => `T${String(i).padStart(3, '0')}`);
  const topics: string[] = [];
  for (const s of syms) for (const r of ['1', '5', '15', '30', '60']) topics.push(`bars:${s}:${r}`);
  return { symbols: syms, topics };
}

/**
 * Each of `connections` picks `perConnection` distinct topics with Zipf-like popularity (weight of the topic of rank
 * r is 1 / r^s; ranks are shuffled over the topics so popularity is not tied to a symbol). Deterministic.
 */
export function zipfAssign(topics: readonly string[], connections: number, perConnection: number, s = 1, seed = 7): { assignment: string[][]; subscribers: Map<string, number> } {
  const rand = prng(seed);
  const order = [...topics];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const weights = order.map((_, r) => 1 / (r + 1) ** s);
  const assignment: string[][] = [];
  const subscribers = new Map<string, number>(topics.map((t) => [t, 0]));
  const all = weights.reduce((a, w) => a + w, 0);
  for (let c = 0; c < connections; c++) {
    const picked = new Set<number>();
    let total = all;
    while (picked.size < Math.min(perConnection, order.length)) {
      // Weighted draw without replacement: the picked topics' weights are out of the total and skipped.
      let x = rand() * total;
      let r = 0;
      for (; r < weights.length - 1; r++) {
        if (picked.has(r)) continue;
        x -= weights[r]!;
        if (x <= 0) break;
      }
      while (picked.has(r)) r = (r + 1) % weights.length;
      picked.add(r);
      total -= weights[r]!;
    }
    const mine = [...picked].map((r) => order[r]!);
    for (const t of mine) subscribers.set(t, subscribers.get(t)! + 1);
    assignment.push(mine);
  }
  return { assignment, subscribers };
}

/**
 * Which code was measured: the git commit and whether src/ or generated/ had uncommitted edits (the benchmark runs
 * the working tree). Outside a git checkout (e.g. a `git archive` export), TICKWIRE_BENCH_COMMIT names the commit.
 */
export function codeVersion(): { commit: string | undefined; srcDirty: boolean | undefined } {
  const cwd = dirname(fileURLToPath(import.meta.url));
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'generated'], { cwd: join(cwd, '..'), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return { commit, srcDirty: dirty.length > 0 };
  } catch {
    return { commit: process.env.TICKWIRE_BENCH_COMMIT, srcDirty: process.env.TICKWIRE_BENCH_COMMIT ? false : undefined };
  }
}
