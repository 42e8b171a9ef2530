/**
 * Reconnect jitter over real sockets (issue 11, "Done means"): many typed clients on several topics, each one's
 * network cut at random every 2–8 s and kept away 0.2–3 s (a TCP proxy per client refuses it meanwhile), while the
 * test publishes at a known rate. With recovery every client must get every `seq` of every topic it holds exactly
 * once and in order. Two controls in the same suite show the test can fail: with history shorter than the outages a
 * client is told `recovered: false` before any jump in `seq` (loss is never silent), and with recovery switched off
 * the same run loses updates.
 */
import { expect } from 'chai';
import { connect, type RecoveryEvent, type TickwireClient } from '../../src/client/node.ts';
import { tcpProxy, type TcpProxy } from '../client/proxy.ts';
import { fastSource, startServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

const TOPICS: readonly string[] = ['bars:AAPL:1', 'bars:MSFT:1', 'bars:GOOGL:1', 'bars:TSLA:1'];

/** A small seeded generator, so a failing run can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

interface Tracked {
  client: TickwireClient<'/api/v1/ws'>;
  proxy: TcpProxy;
  topics: string[];
  /** seqs applied per topic, in arrival order. */
  seqs: Map<string, number[]>;
  /** Per topic, the first seq the client is owed (asOf.offset + 1 of its first subscribe). */
  from: Map<string, number>;
  /** Per topic, recovery events and the index in `seqs` at which each arrived. */
  recoveries: { topic: string; recovered: boolean; at: number }[];
  cuts: number;
}

interface RunOptions {
  clients: number;
  seconds: number;
  rate: number;
  recover: boolean;
  seed: number;
  history?: { size: number; ttlMs: number };
}

async function run(opts: RunOptions): Promise<{ server: TestServer; tracked: Tracked[]; tops: Map<string, number> }> {
  const random = lcg(opts.seed);
  const server = await startServer(
    { websocket: { maxConnections: opts.clients * 2 + 10, rateLimitPerSec: 1000, rateBurst: 1000 }, ...(opts.history ? { history: { ...opts.history, backtestSize: 1000, backtestTtlMs: 60_000, recoveryLimit: 1000 } } : {}) },
    { source: fastSource({ tickIntervalMs: 60_000 }) },
  );
  const tracked: Tracked[] = [];
  for (let i = 0; i < opts.clients; i++) {
    const proxy = await tcpProxy(server.port);
    const client = connect(proxy.url, '/api/v1/ws', {
      recover: opts.recover,
      backoff: { initialMs: 50, maxMs: 250 },
      requestTimeoutMs: 30_000,
      heartbeatMs: 60_000,
    });
    const a = Math.floor(random() * TOPICS.length);
    const topics = [TOPICS[a]!, TOPICS[(a + 1 + Math.floor(random() * (TOPICS.length - 1))) % TOPICS.length]!];
    const t: Tracked = { client, proxy, topics, seqs: new Map(topics.map((x) => [x, []])), from: new Map(), recoveries: [], cuts: 0 };
    client.on('bars.update', (m) => {
      if (typeof m.seq === 'number') t.seqs.get(m.topic)?.push(m.seq);
    });
    client.onRecovery((e: RecoveryEvent) => t.recoveries.push({ topic: e.topic, recovered: e.recovered, at: t.seqs.get(e.topic)?.length ?? 0 }));
    client.onError(() => undefined);
    await client.ready();
    for (const topic of topics) {
      const reply = await client.subscribe(topic as `bars:${string}:1`);
      t.from.set(topic, (reply.payload.asOf?.offset ?? 0) + 1);
    }
    tracked.push(t);
  }

  // Publish at a known rate on every topic, for `seconds`; meanwhile cut each client at random.
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const schedule = (fn: () => void, ms: number) => {
    const h = setTimeout(() => {
      timers.delete(h);
      if (!stopped) fn();
    }, ms);
    timers.add(h);
  };
  for (const t of tracked) {
    const cutLater = () => schedule(() => {
      t.cuts++;
      t.proxy.hold();
      t.proxy.cut();
      schedule(() => {
        t.proxy.release();
        cutLater();
      }, 200 + random() * 2800);
    }, 2000 + random() * 6000);
    cutLater();
  }
  let n = 0;
  const interval = 1000 / opts.rate;
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (Date.now() - started >= opts.seconds * 1000) return resolve();
      for (const topic of TOPICS) {
        void server.app.hub.publish(topic, { type: 'bars.update', topic, payload: { time: ++n, open: 1, high: 1, low: 1, close: 1, volume: 1 } });
      }
      setTimeout(tick, interval);
    };
    tick();
  });
  stopped = true;
  for (const h of timers) clearTimeout(h);
  for (const t of tracked) t.proxy.release();
  // Keep publishing (bounded) until every client, reconnected, has seen a publication made after the cuts stopped:
  // then nobody is still away, and the final tops are what everyone is owed.
  const stopTops = new Map(TOPICS.map((topic) => [topic, server.app.hub.positionOf(topic)?.offset ?? 0]));
  const caughtUp = () => tracked.every((t) => t.topics.every((topic) => (t.seqs.get(topic)!.at(-1) ?? 0) > stopTops.get(topic)!));
  const until = Date.now() + 30_000;
  while (!caughtUp() && Date.now() < until) {
    for (const topic of TOPICS) void server.app.hub.publish(topic, { type: 'bars.update', topic, payload: { time: ++n, open: 1, high: 1, low: 1, close: 1, volume: 1 } });
    await new Promise((r) => setTimeout(r, interval));
  }
  const tops = new Map(TOPICS.map((topic) => [topic, server.app.hub.positionOf(topic)?.offset ?? 0]));
  await waitUntil(() => tracked.every((t) => t.topics.every((topic) => (t.seqs.get(topic)!.at(-1) ?? 0) >= tops.get(topic)!)), 'every client at the top of its topics', 30_000);
  return { server, tracked, tops };
}

async function cleanup(server: TestServer | undefined, tracked: Tracked[]): Promise<void> {
  for (const t of tracked) t.client.close();
  await Promise.all(tracked.map((t) => t.proxy.close()));
  await server?.stop();
}

describe('e2e: reconnect jitter with recovery', function () {
  this.timeout(180_000);

  it('200 clients on 4 topics, cut every 2–8 s for 0.2–3 s during 60 s: every seq of every topic exactly once, in order', async () => {
    const { server, tracked, tops } = await run({ clients: 200, seconds: 60, rate: 10, recover: true, seed: 11 });
    try {
      let delivered = 0;
      let expected = 0;
      for (const t of tracked) {
        for (const topic of t.topics) {
          const got = t.seqs.get(topic)!;
          const from = t.from.get(topic)!;
          const want = Array.from({ length: tops.get(topic)! - from + 1 }, (_, i) => from + i);
          expected += want.length;
          delivered += got.length;
          expect(got, `client ${t.client.url} ${topic}`).to.deep.equal(want);
        }
        expect(t.recoveries.every((r) => r.recovered), 'every resubscribe recovered').to.equal(true);
      }
      const cuts = tracked.reduce((a, t) => a + t.cuts, 0);
      expect(cuts, 'cuts made').to.be.greaterThan(1000);
      expect(delivered).to.equal(expected);
      console.log(`      jitter: ${tracked.length} clients, ${cuts} cuts, ${delivered} deliveries, 100.00% exactly once in order`);
    } finally {
      await cleanup(server, tracked);
    }
  });

  it('control: with history shorter than the outages, a client is told recovered: false before any jump in seq', async () => {
    const { server, tracked, tops } = await run({ clients: 20, seconds: 10, rate: 20, recover: true, seed: 5, history: { size: 5, ttlMs: 60_000 } });
    try {
      let jumps = 0;
      for (const t of tracked) {
        for (const topic of t.topics) {
          const got = t.seqs.get(topic)!;
          for (let i = 1; i < got.length; i++) {
            expect(got[i]!, 'in order, no duplicate').to.be.greaterThan(got[i - 1]!);
            if (got[i] === got[i - 1]! + 1) continue;
            jumps++;
            // The jump is announced: a recovered: false for this topic arrived after seq i-1 and before seq i.
            expect(t.recoveries.some((r) => r.topic === topic && !r.recovered && r.at === i), `${topic}: jump ${got[i - 1]} → ${got[i]} announced`).to.equal(true);
          }
        }
      }
      expect(jumps, 'outages longer than the history lose updates').to.be.greaterThan(0);
    } finally {
      await cleanup(server, tracked);
    }
  });

  it('control: with recovery switched off the same kind of run loses updates', async () => {
    const { server, tracked, tops } = await run({ clients: 20, seconds: 10, rate: 20, recover: false, seed: 7 });
    try {
      let missing = 0;
      for (const t of tracked) {
        for (const topic of t.topics) {
          const got = new Set(t.seqs.get(topic)!);
          for (let s = t.from.get(topic)!; s <= tops.get(topic)!; s++) if (!got.has(s)) missing++;
        }
      }
      expect(missing).to.be.greaterThan(0);
    } finally {
      await cleanup(server, tracked);
    }
  });
});
