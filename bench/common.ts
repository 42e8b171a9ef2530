/**
 * Shared by the fan-out bench processes (bench/run.ts, bench/fanout-server.ts, bench/min-client.ts,
 * bench/fanout-client.ts): the published message, the clock, and the IPC request/reply helper.
 */
import { performance } from 'node:perf_hooks';

export const TOPIC = 'bars:AAPL:1';
export const ROOM = 'bars';
export const SETUPS = ['tickwire', 'naive-ws', 'batched-ws', 'socket.io'] as const;
export type Setup = (typeof SETUPS)[number];

/** Wall-clock ms with µs resolution, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The published message: a contract-shaped `bars.update` (~200 bytes of JSON) whose `time` carries the publish
 * timestamp (epoch ms with a µs fraction) so receivers can compute publish-to-receive latency.
 */
export function barMessage(seq: number, ts: number): object {
  return {
    type: 'bars.update',
    topic: TOPIC,
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
