/**
 * Many nodes on one Redis (issue 12): a real redis-server (test/support/redis-server.ts), one producer and two edges,
 * each a separate `node --import tsx src/main.ts` process configured by its environment exactly as in production,
 * and typed clients (src/client/node.ts) in this process. Clients reach the edges through a routing proxy per client
 * that picks edge A or B at random for every new connection (a load balancer that also tries the other edge when the
 * one it picked refuses), so a reconnect may land on either edge.
 *
 * Every wait is on an event (a log line, /ready 200, a seq reaching a value) with a deadline; nothing sleeps a fixed
 * time. Processes are stopped by PID in the after hooks. The simulated market ticks every 100 ms
 * (MARKET_TICK_INTERVAL_MS), so each bars topic gets 10 publications a second from the producer.
 *
 * The delivery check, per client and topic: the seqs handed to the application, in arrival order, are exactly
 * from, from+1, ..., last (from = the first subscribe's asOf.offset + 1) and last reaches the topic's top read from
 * Redis after the disturbance ended. Where continuity may legitimately be lost (Redis restarted without its data),
 * every jump in seq must come right after a `recovered: false` for that topic: loss is announced, never silent.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createClient } from 'redis';
import { connect, type RecoveryEvent, type TickwireClient } from '../../src/client/node.ts';
import { startRedis, type RedisServer } from '../support/redis-server.ts';
import { repoRoot } from '../support/spec.ts';

const TOPICS = ['bars:AAPL:1', 'bars:MSFT:1', 'bars:GOOGL:1', 'bars:TSLA:1'] as const;
type Topic = (typeof TOPICS)[number];

/** Settings every node of these tests gets (on top of this process's environment). */
const NODE_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  MARKET_TICK_INTERVAL_MS: '100',
  WEBSOCKET_MAX_CONNECTIONS: '500',
  WEBSOCKET_RATE_LIMIT: '1000',
  WEBSOCKET_RATE_BURST: '1000',
};

/** A small seeded generator, so a failing run can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Polls `cond` every `everyMs` until it holds; fails after `timeoutMs`, saying what it waited for. */
async function poll(cond: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs: number, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** GET on a new TCP connection each time (fetch would reuse one, and so always reach the same cluster worker). */
function getFresh(url: string): Promise<any> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function getJson(url: string): Promise<{ status: number; json: any }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, json: await res.json().catch(() => undefined) };
  } catch {
    return { status: 0, json: undefined };
  }
}

// ------------------------------------------------------------------------------------------------ node processes

/** The output of a child process, with waits for a line matching a pattern (from a given offset on). */
class Output {
  text = '';
  private readonly waiters = new Set<() => void>();

  attach(child: ChildProcess): void {
    const add = (d: Buffer) => {
      this.text += d.toString();
      for (const w of [...this.waiters]) w();
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
  }

  /** Resolves with the first match of `re` in the output after `from` (default: all of it). */
  wait(re: RegExp, timeoutMs: number, from = 0, exited?: Promise<unknown>): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const check = () => {
        const m = this.text.slice(from).match(re);
        if (m) {
          done();
          resolve(m);
        }
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`no ${re} in the output within ${timeoutMs} ms; it ends: ${this.text.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.add(check);
      void exited?.then(() => {
        if (!this.waiters.has(check)) return;
        done();
        reject(new Error(`the process exited before printing ${re}; its output: ${this.text.slice(-2000)}`));
      });
      check();
    });
  }
}

interface NodeProcess {
  name: string;
  role: 'producer' | 'edge';
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  out: Output;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGTERM, SIGKILL after 8 s; resolves on exit. */
  stop(): Promise<void>;
}

/** Starts `node --import tsx src/main.ts` with this role; resolves once it printed its "listening on" line. */
async function startNode(name: string, role: 'producer' | 'edge', redisUrl: string, port = 0): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, ...NODE_ENV, TICKWIRE_ROLE: role, REDIS_URL: redisUrl, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = new Output();
  out.attach(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (!alive()) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(force);
  };
  try {
    const m = await out.wait(new RegExp(`tickwire ${role} \\S+: listening on http://127\\.0\\.0\\.1:(\\d+)`), 30_000, 0, exited);
    const bound = Number(m[1]);
    return { name, role, child, pid: child.pid!, port: bound, url: `http://127.0.0.1:${bound}`, out, exited, alive, stop };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

interface Cluster {
  redis: RedisServer;
  producer: NodeProcess;
  a: NodeProcess;
  b: NodeProcess;
  nodes(): NodeProcess[];
}

/** redis-server, then a producer and two edges (in parallel); resolves when both edges answer /ready 200. */
async function startCluster(persistence: boolean): Promise<Cluster> {
  const redis = await startRedis({ persistence });
  const started = await Promise.allSettled([startNode('producer', 'producer', redis.url), startNode('edge A', 'edge', redis.url), startNode('edge B', 'edge', redis.url)]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    await redis.stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const [producer, a, b] = started.map((s) => (s as PromiseFulfilledResult<NodeProcess>).value) as [NodeProcess, NodeProcess, NodeProcess];
  const c: Cluster = { redis, producer, a, b, nodes: () => [c.producer, c.a, c.b] };
  for (const edge of [a, b]) await poll(async () => (await getJson(`${edge.url}/ready`)).status === 200, `${edge.name} /ready 200`, 20_000);
  return c;
}

async function stopCluster(c: Cluster | undefined): Promise<void> {
  if (!c) return;
  await Promise.all(c.nodes().map((n) => n.stop()));
  await c.redis.stop();
}

/** Epoch and top of a topic's stream, read from Redis (the broker's key layout, prefix `tw`). */
async function topOf(redisUrl: string, topic: string): Promise<{ epoch: string | null; top: number }> {
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [epoch, top] = await client.hmGet(`tw:{${topic}}:meta`, ['epoch', 'top']);
    return { epoch: epoch ?? null, top: Number(top ?? 0) };
  } finally {
    if (client.isOpen) await client.close().catch(() => client.destroy());
  }
}

// ------------------------------------------------------------------------------------------------ routing proxy

/**
 * A load balancer for one client: every new connection goes to a target picked at random among `targets()` (the
 * other targets are tried in turn when it refuses). `cut()` drops the current connections, `hold()` refuses new ones
 * until `release()`.
 */
interface RoutingProxy {
  url: string;
  /** Connections routed so far, per target port. */
  routed: Map<number, number>;
  /** The target port of the connection open now (undefined when none). */
  current(): number | undefined;
  cut(): void;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

async function routingProxy(targets: () => number[], random: () => number): Promise<RoutingProxy> {
  const pairs = new Set<{ down: net.Socket; up: net.Socket; port: number }>();
  const routed = new Map<number, number>();
  let holding = false;
  const server = net.createServer((down) => {
    if (holding) return void down.destroy();
    down.pause();
    down.on('error', () => undefined);
    const order = [...targets()].sort(() => random() - 0.5);
    const attempt = (i: number): void => {
      if (i >= order.length || down.destroyed) return void down.destroy();
      const port = order[i]!;
      const up = net.connect(port, '127.0.0.1');
      let connected = false;
      up.once('error', () => {
        if (!connected) attempt(i + 1);
      });
      up.once('connect', () => {
        connected = true;
        if (down.destroyed) return void up.destroy();
        const pair = { down, up, port };
        pairs.add(pair);
        routed.set(port, (routed.get(port) ?? 0) + 1);
        const end = () => {
          pairs.delete(pair);
          down.destroy();
          up.destroy();
        };
        up.on('error', end);
        up.on('close', end);
        down.on('close', end);
        down.pipe(up);
        up.pipe(down);
      });
    };
    attempt(0);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    for (const p of [...pairs]) {
      p.down.destroy();
      p.up.destroy();
    }
    pairs.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    routed,
    current: () => [...pairs][0]?.port,
    cut,
    hold: () => (holding = true),
    release: () => (holding = false),
    close: () => {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ------------------------------------------------------------------------------------------------ tracked clients

interface Tracked {
  client: TickwireClient<'/api/v1/ws'>;
  proxy: RoutingProxy;
  topics: Topic[];
  /** seqs handed to the application per topic, in arrival order. */
  seqs: Map<string, number[]>;
  /** Per topic, the first seq the client is owed (its first subscribe's asOf.offset + 1). */
  from: Map<string, number>;
  /** Recovery events, with the number of seqs of that topic seen before each. */
  recoveries: (RecoveryEvent & { at: number })[];
  errors: string[];
  /** Close codes seen (1006: the network or the proxy; 4xxx: the server). */
  closes: number[];
  cuts: number;
}

const lastSeq = (t: Tracked, topic: string) => t.seqs.get(topic)!.at(-1) ?? 0;

async function openClients(n: number, edges: () => number[], random: () => number, topicsFor: (i: number) => Topic[]): Promise<Tracked[]> {
  const tracked: Tracked[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const proxy = await routingProxy(edges, random);
      const client = connect(proxy.url, '/api/v1/ws', { backoff: { initialMs: 50, maxMs: 250 }, requestTimeoutMs: 30_000, heartbeatMs: 60_000 });
      const topics = topicsFor(i);
      const t: Tracked = { client, proxy, topics, seqs: new Map(topics.map((x) => [x, []])), from: new Map(), recoveries: [], errors: [], closes: [], cuts: 0 };
      tracked.push(t);
      client.on('bars.update', (m) => {
        if (typeof m.seq === 'number') t.seqs.get(m.topic)?.push(m.seq);
      });
      client.onRecovery((e) => t.recoveries.push({ ...e, at: t.seqs.get(e.topic)?.length ?? 0 }));
      client.onError((err) => t.errors.push(err.message));
      client.onClose((info) => t.closes.push(info.code));
      await client.ready();
      for (const topic of topics) {
        const reply = await client.subscribe(topic);
        t.from.set(topic, (reply.payload.asOf?.offset ?? 0) + 1);
      }
    }
  } catch (err) {
    await closeClients(tracked);
    throw err;
  }
  return tracked;
}

async function closeClients(tracked: Tracked[]): Promise<void> {
  for (const t of tracked) t.client.close();
  await Promise.all(tracked.map((t) => t.proxy.close()));
}

type TopicStates = Map<string, { epoch: string | null; top: number }>;

async function readStates(redisUrl: string): Promise<TopicStates> {
  return new Map(await Promise.all(TOPICS.map(async (topic) => [topic, await topOf(redisUrl, topic)] as const)));
}

const topsOf = (states: TopicStates) => new Map([...states].map(([k, v]) => [k, v.top]));

/**
 * Every client follows every topic it holds in the epoch of `states` (read from Redis) and has seen a seq past its
 * top (less `slack`): it is live, past what was published when `states` was read.
 */
async function waitLive(tracked: Tracked[], states: TopicStates, timeoutMs: number, what: string, slack = 0): Promise<void> {
  const live = (t: Tracked, topic: string) => {
    const want = states.get(topic)!;
    return t.client.positions()[topic]?.epoch === want.epoch && lastSeq(t, topic) > want.top - slack;
  };
  const behind = () => tracked.filter((t) => t.topics.some((topic) => !live(t, topic)));
  await poll(() => behind().length === 0, () => {
    const b = behind();
    const show = (t: Tracked) => `client ${tracked.indexOf(t)}: ${t.topics.map((x) => `${x} at ${t.client.positions()[x]?.epoch}/${lastSeq(t, x)} (want ${states.get(x)!.epoch}/>${states.get(x)!.top - slack})`).join(', ')}; state ${t.client.state}; closes ${t.closes.join(',') || 'none'}; errors: ${t.errors.slice(-2).join('; ') || 'none'}`;
    return `${what}: ${b.length} of ${tracked.length} client(s) behind:\n        ${b.slice(0, 6).map(show).join('\n        ')}`;
  }, timeoutMs);
}

/** Exactly once, in order: the seqs of each topic are from, from+1, ... and reach the final top. */
function expectEveryUpdateOnce(tracked: Tracked[], tops: Map<string, number>): number {
  let delivered = 0;
  for (const [i, t] of tracked.entries()) {
    for (const topic of t.topics) {
      const got = t.seqs.get(topic)!;
      const from = t.from.get(topic)!;
      const broken = got.findIndex((s, k) => s !== from + k);
      expect(broken, `client ${i} ${topic}: seq ${got[broken]} at index ${broken} (from ${from}; around: ${got.slice(Math.max(0, broken - 3), broken + 3).join(',')})`).to.equal(-1);
      expect(got.at(-1), `client ${i} ${topic} reaches the top`).to.be.at.least(tops.get(topic)!);
      delivered += got.length;
    }
    const lost = t.recoveries.filter((r) => !r.recovered);
    expect(lost.map((r) => `${r.topic}: ${r.reason}`), `client ${i}: every resubscribe recovered`).to.deep.equal([]);
  }
  return delivered;
}

/** Never a silent gap: every jump in a topic's seqs comes right after a `recovered: false` for that topic. */
function expectNoSilentGap(tracked: Tracked[]): number {
  let announced = 0;
  for (const [i, t] of tracked.entries()) {
    for (const topic of t.topics) {
      const got = t.seqs.get(topic)!;
      for (let k = 1; k < got.length; k++) {
        if (got[k] === got[k - 1]! + 1) continue;
        const told = t.recoveries.some((r) => r.topic === topic && !r.recovered && r.at === k);
        expect(told, `client ${i} ${topic}: jump ${got[k - 1]} → ${got[k]} at index ${k} without a recovered: false before it`).to.equal(true);
        announced++;
      }
    }
  }
  return announced;
}

const pick2 = (random: () => number) => (): Topic[] => {
  const a = Math.floor(random() * TOPICS.length);
  return [TOPICS[a]!, TOPICS[(a + 1 + Math.floor(random() * (TOPICS.length - 1))) % TOPICS.length]!];
};

/**
 * Redis goes away mid-run (SIGKILL) and comes back on the same port. It stays down at least until every node has
 * noticed (logged `broker: connection lost`) and the producer has had a publish refused; with `long`, also until every
 * node has failed a directory beat (a second or two, as a real restart takes). Clients in `cutDuringOutage` are cut
 * while it is down and reconnect to an edge in the middle of the outage. Every node must stay up, /ready must come
 * back, and delivery must resume on every client: each follows each of its topics in the epoch Redis now has, past
 * the top it had once publishing resumed.
 */
async function redisOutage(c: Cluster, tracked: Tracked[], options: { long?: boolean; cutDuringOutage?: Tracked[] } = {}): Promise<{ before: TopicStates; after: TopicStates; outageMs: number }> {
  const cutDuringOutage = options.cutDuringOutage ?? [];
  const before = await readStates(c.redis.url);
  await waitLive(tracked, before, 15_000, 'updates before the outage');
  if (options.long) {
    // A node logs "cannot reach the directory" once per outage: one still failing from an earlier outage (its next
    // 2-s beat not yet run on a loaded machine) would not log it again. Wait until each has beaten again.
    await Promise.all(c.nodes().map((n) => {
      const failedAt = n.out.text.lastIndexOf('cannot reach the directory');
      return failedAt > n.out.text.lastIndexOf('directory reachable again') ? n.out.wait(/directory reachable again/, 15_000, failedAt) : undefined;
    }));
  }
  const logFrom = new Map(c.nodes().map((n) => [n, n.out.text.length]));
  const down = Date.now();
  await c.redis.kill('SIGKILL');
  await Promise.all(c.nodes().map((n) => n.out.wait(/broker: connection lost/, 10_000, logFrom.get(n))));
  await c.producer.out.wait(/publish on \S+ refused/, 10_000, logFrom.get(c.producer));
  if (options.long) await Promise.all(c.nodes().map((n) => n.out.wait(/cluster: cannot reach the directory/, 10_000, logFrom.get(n))));
  for (const t of cutDuringOutage) {
    t.cuts++;
    t.proxy.cut();
  }
  // The documented rule while Redis is down: nodes are not ready (/ready 503) and refuse upgrades (HTTP 503), so a
  // client cut now keeps retrying with backoff and comes back (and resumes with `since`) once Redis is.
  if (cutDuringOutage.length) {
    await poll(() => cutDuringOutage.every((t) => t.client.state !== 'open'), 'the cut clients retrying during the outage', 10_000);
    for (const edge of [c.a, c.b]) expect((await getJson(`${edge.url}/ready`)).status, `${edge.name} /ready during the outage`).to.equal(503);
  }
  await c.redis.restart();
  const outageMs = Date.now() - down;
  for (const n of c.nodes()) expect(n.alive(), `${n.name} still running`).to.equal(true);
  for (const edge of [c.a, c.b]) await poll(async () => (await getJson(`${edge.url}/ready`)).status === 200, `${edge.name} /ready 200 after the restart`, 15_000);
  // Publishing resumed on every topic (without persistence: in a new epoch, from offset 1).
  let after: TopicStates = new Map();
  await poll(async () => {
    after = await readStates(c.redis.url);
    return TOPICS.every((t) => after.get(t)!.epoch !== null && after.get(t)!.top > (after.get(t)!.epoch === before.get(t)!.epoch ? before.get(t)!.top : 0));
  }, () => `publications after the restart; tops ${JSON.stringify([...after])}`, 20_000);
  await waitLive(tracked, after, 25_000, 'delivery after the restart');
  for (const n of c.nodes()) expect(n.alive(), `${n.name} still running`).to.equal(true);
  return { before, after, outageMs };
}

// ------------------------------------------------------------------------------------------------ the tests

describe('e2e: cluster (1 producer + 2 edges on Redis, separate processes)', function () {
  this.timeout(90_000);

  describe('on a Redis with persistence (appendonly, fsync always)', () => {
    let c: Cluster | undefined;
    const open: Tracked[][] = [];

    before(async function () {
      this.timeout(60_000);
      c = await startCluster(true);
    });
    afterEach(async () => {
      for (const list of open.splice(0)) await closeClients(list);
    });
    after(async function () {
      this.timeout(30_000);
      await stopCluster(c);
    });

    it('/websocket/status on an edge lists the producer and both edges', async () => {
      const { a, b, producer } = c!;
      let status: any;
      await poll(async () => {
        status = (await getJson(`${a.url}/websocket/status`)).json;
        return status?.cluster?.length === 3;
      }, () => `3 nodes in the cluster list; have ${JSON.stringify(status?.cluster)}`, 10_000);
      expect(status.node).to.include({ role: 'edge', ready: true, broker: 'redis' });
      const byPid = new Map<number, any>(status.cluster.map((n: any) => [n.pid, n]));
      expect(byPid.get(producer.pid)).to.include({ role: 'producer', http: producer.url });
      expect(byPid.get(a.pid)).to.include({ role: 'edge', id: status.node.id, http: a.url });
      expect(byPid.get(b.pid)).to.include({ role: 'edge', http: b.url });
      expect(status.market_source).to.equal('simulated');
    });

    it('a client on edge A and one on edge B receive the same updates with the same seq', async () => {
      const { a, b } = c!;
      const seen = [new Map<number, string>(), new Map<number, string>()];
      const clients = [a, b].map((edge, i) => {
        const client = connect(edge.url, '/api/v1/ws', { heartbeatMs: 60_000 });
        client.on('bars.update', (m) => {
          if (typeof m.seq === 'number') seen[i]!.set(m.seq, JSON.stringify(m));
        });
        return client;
      });
      try {
        await Promise.all(clients.map(async (client) => {
          await client.ready();
          await client.subscribe('bars:AAPL:1');
        }));
        const first = () => Math.max(...seen.map((m) => Math.min(...m.keys())));
        await poll(() => seen.every((m) => m.size > 0) && seen.every((m) => m.has(first() + 20)), 'both clients 20 updates past a common seq', 10_000);
        const from = first();
        for (let seq = from; seq <= from + 20; seq++) {
          expect(seen[0]!.get(seq), `seq ${seq} on A`).to.be.a('string');
          expect(seen[1]!.get(seq), `seq ${seq} on B is the same message as on A`).to.equal(seen[0]!.get(seq));
        }
        expect(JSON.parse(seen[0]!.get(from)!)).to.include({ type: 'bars.update', topic: 'bars:AAPL:1', seq: from });
      } finally {
        for (const client of clients) client.close();
      }
    });

    it('a backtest started through edge A (POST /api/backtesting/start) is followed from edge B to complete', async () => {
      const { a, b } = c!;
      const res = await fetch(`${a.url}/api/backtesting/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'cluster', symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-09', strategy_ids: ['rsi'] }),
      });
      expect(res.status).to.equal(202);
      const started = (await res.json()) as { backtest_id: string; streaming: boolean };
      expect(started.streaming).to.equal(true);
      const client = connect(b.url, '/api/ws/stream/backtest/{backtest_id}', { params: { backtest_id: started.backtest_id } });
      const types: string[] = [];
      let complete: any;
      client.onAny((m) => types.push(m.type));
      client.on('complete', (m) => (complete = m));
      try {
        await client.ready();
        await poll(() => complete !== undefined, () => `complete on edge B; have ${types.join(',')}`, 20_000);
      } finally {
        client.close();
      }
      expect(types[0]).to.equal('connected');
      expect(types).to.include('progress');
      expect(complete.data).to.include({ backtest_id: started.backtest_id, status: 'completed' });
      // The run as edge B answers it over REST (forwarded to the producer) is the one that was streamed.
      const run = await getJson(`${b.url}/api/backtesting/${started.backtest_id}`);
      expect(run.status).to.equal(200);
      expect(run.json).to.include({ backtest_id: started.backtest_id, status: 'completed' });
      expect(run.json.result.metrics).to.deep.equal(complete.data.metrics);
    });

    it('POST /api/backtesting/start through edge A answers a stream_url on edge A (not the producer’s private address)', async () => {
      const { a } = c!;
      const res = await fetch(`${a.url}/api/backtesting/start?stream=false`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'url', symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-02', strategy_ids: ['rsi'] }),
      });
      expect(res.status).to.equal(202);
      const body = (await res.json()) as { backtest_id: string; stream_url: string };
      expect(body.stream_url).to.equal(`ws://127.0.0.1:${a.port}/api/ws/stream/backtest/${body.backtest_id}`);
    });

    it('reconnect jitter across edges: 60 clients, 30 s, each cut every 2–8 s for 0.2–3 s and sent to a random edge: every seq exactly once, in order', async function () {
      this.timeout(100_000);
      const { a, b, redis } = c!;
      const random = lcg(12);
      const tracked = await openClients(60, () => [a.port, b.port], random, pick2(random));
      open.push(tracked);
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
      const started = Date.now();
      await poll(() => Date.now() - started >= 30_000, '30 s of jitter', 31_000, 250);
      stopped = true;
      for (const h of timers) clearTimeout(h);
      for (const t of tracked) t.proxy.release();
      // Everyone back and live past what was published while the cuts went on, then past the top after that.
      await waitLive(tracked, await readStates(redis.url), 30_000, 'every client back after the cuts');
      const final = await readStates(redis.url);
      await waitLive(tracked, final, 15_000, 'every client at the final top', 1);
      const delivered = expectEveryUpdateOnce(tracked, topsOf(final));
      const cuts = tracked.reduce((n, t) => n + t.cuts, 0);
      const onA = tracked.reduce((n, t) => n + (t.proxy.routed.get(a.port) ?? 0), 0);
      const onB = tracked.reduce((n, t) => n + (t.proxy.routed.get(b.port) ?? 0), 0);
      expect(cuts, 'cuts made').to.be.greaterThan(150);
      expect(onA, 'connections to edge A').to.be.greaterThan(50);
      expect(onB, 'connections to edge B').to.be.greaterThan(50);
      console.log(`      jitter across edges: ${tracked.length} clients, ${cuts} cuts, ${onA}/${onB} connections to A/B, ${delivered} deliveries, 100.00% exactly once in order`);
    });

    it('redis-server killed, down until every node has noticed and failed a directory beat, restarted (with persistence): no node exits, delivery resumes, every client gets every update exactly once', async function () {
      this.timeout(60_000);
      const { a, b } = c!;
      const random = lcg(21);
      const tracked = await openClients(12, () => [a.port, b.port], random, pick2(random));
      open.push(tracked);
      const { before, after, outageMs } = await redisOutage(c!, tracked, { long: true });
      for (const topic of TOPICS) expect(after.get(topic)!.epoch, `${topic} keeps its epoch`).to.equal(before.get(topic)!.epoch);
      const delivered = expectEveryUpdateOnce(tracked, topsOf(after));
      console.log(`      redis restart with persistence: outage ${outageMs} ms, ${delivered} deliveries, 0 lost, 0 duplicates`);
    });

    it('redis-server restarted (with persistence) while clients reconnect: upgrades are refused meanwhile, and those clients resume after it with every update exactly once', async function () {
      this.timeout(60_000);
      const { a, b } = c!;
      const random = lcg(22);
      const tracked = await openClients(8, () => [a.port, b.port], random, pick2(random));
      open.push(tracked);
      const { after, outageMs } = await redisOutage(c!, tracked, { cutDuringOutage: tracked.slice(0, 4) });
      const delivered = expectEveryUpdateOnce(tracked, topsOf(after));
      console.log(`      redis restart with persistence, 4 clients reconnecting during it: outage ${outageMs} ms, ${delivered} deliveries, 0 lost`);
    });

    it('kill -9 of one edge: its clients reconnect to the other edge and recover with 0 loss', async function () {
      this.timeout(60_000);
      const { a, b, redis } = c!;
      const random = lcg(33);
      const dead = new Set<number>();
      const tracked = await openClients(20, () => [a.port, b.port].filter((p) => !dead.has(p)), random, pick2(random));
      open.push(tracked);
      await waitLive(tracked, await readStates(redis.url), 15_000, 'updates before the kill');
      const onA = tracked.filter((t) => t.proxy.current() === a.port);
      expect(onA.length, 'clients on edge A').to.be.greaterThan(0);
      dead.add(a.port);
      a.child.kill('SIGKILL');
      const exit = await a.exited;
      expect(exit.signal).to.equal('SIGKILL');
      const atKill = await readStates(redis.url);
      // Two more seconds of updates (20 per topic) after the kill, on edge B.
      await waitLive(tracked, new Map([...atKill].map(([k, v]) => [k, { ...v, top: v.top + 20 }])), 20_000, 'every client live again after the kill');
      const final = await readStates(redis.url);
      await waitLive(tracked, final, 10_000, 'every client at the final top', 1);
      for (const t of tracked) expect(t.proxy.current(), 'every client is on edge B now').to.equal(b.port);
      for (const t of onA) expect(t.recoveries.filter((r) => r.cause === 'reconnect').length, 'a client of edge A resubscribed after its reconnect').to.be.at.least(t.topics.length);
      const delivered = expectEveryUpdateOnce(tracked, topsOf(final));
      expect(c!.producer.alive() && b.alive(), 'the producer and edge B still run').to.equal(true);
      console.log(`      kill -9 edge A: ${onA.length}/${tracked.length} clients moved to edge B, ${delivered} deliveries, 0 lost`);
    });
  });

  describe('on a Redis without persistence', () => {
    let c: Cluster | undefined;
    const open: Tracked[][] = [];

    before(async function () {
      this.timeout(60_000);
      c = await startCluster(false);
    });
    afterEach(async () => {
      for (const list of open.splice(0)) await closeClients(list);
    });
    after(async function () {
      this.timeout(30_000);
      await stopCluster(c);
    });

    /** The data is gone: every topic has a new epoch, and every client was told so for each of its topics. */
    const expectToldOfNewEpoch = (tracked: Tracked[], before: TopicStates, after: TopicStates) => {
      const announced = expectNoSilentGap(tracked);
      for (const topic of TOPICS) expect(after.get(topic)!.epoch, `${topic} has a new epoch`).to.not.equal(before.get(topic)!.epoch);
      for (const [i, t] of tracked.entries()) {
        for (const topic of t.topics) {
          expect(t.recoveries.some((r) => r.topic === topic && !r.recovered && r.reason === 'epoch'), `client ${i} told ${topic} lost continuity (epoch)`).to.equal(true);
        }
      }
      return announced;
    };

    it('redis-server killed and restarted empty at once: no node exits, delivery resumes, each client is told recovered: false (new epoch), never a silent gap', async function () {
      this.timeout(60_000);
      const { a, b } = c!;
      const random = lcg(44);
      const tracked = await openClients(12, () => [a.port, b.port], random, pick2(random));
      open.push(tracked);
      const { before, after, outageMs } = await redisOutage(c!, tracked);
      const announced = expectToldOfNewEpoch(tracked, before, after);
      console.log(`      redis restart without persistence: outage ${outageMs} ms, ${announced} jump(s) in seq, every one announced by recovered: false`);
    });

    it('redis-server killed, down until every node has failed a directory beat, restarted empty: delivery resumes on every client, each told recovered: false, never a silent gap', async function () {
      this.timeout(60_000);
      const { a, b } = c!;
      const random = lcg(46);
      const tracked = await openClients(12, () => [a.port, b.port], random, pick2(random));
      open.push(tracked);
      const { before, after, outageMs } = await redisOutage(c!, tracked, { long: true });
      const announced = expectToldOfNewEpoch(tracked, before, after);
      console.log(`      redis down ${outageMs} ms without persistence: ${announced} jump(s) in seq, every one announced by recovered: false`);
    });

    it('redis-server restarted empty while clients reconnect: upgrades are refused meanwhile, and those clients resume after it, told recovered: false, never a silent gap', async function () {
      this.timeout(60_000);
      const { a, b } = c!;
      const random = lcg(45);
      const tracked = await openClients(8, () => [a.port, b.port], random, pick2(random));
      open.push(tracked);
      const { before, after, outageMs } = await redisOutage(c!, tracked, { cutDuringOutage: tracked.slice(0, 4) });
      const announced = expectToldOfNewEpoch(tracked, before, after);
      console.log(`      redis restart without persistence, 4 clients reconnecting during it: outage ${outageMs} ms, ${announced} jump(s), all announced`);
    });
  });

  describe('npm run start:cluster (scripts/cluster.ts)', () => {
    const procs: { child: ChildProcess; out: Output; exited: Promise<unknown> }[] = [];
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const run = (env: Record<string, string>) => {
      const { REDIS_URL: _drop, ...inherited } = process.env;
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'cluster.ts')], { cwd: repoRoot, env: { ...inherited, ...NODE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = new Output();
      out.attach(child);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      procs.push({ child, out, exited });
      return { child, out, exited };
    };
    let redisPid: number | undefined;

    after(async () => {
      for (const p of procs) {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        await p.exited;
      }
      if (redisPid && alive(redisPid)) process.kill(redisPid, 'SIGKILL');
    });

    it('without redis-server installed (and no REDIS_URL) exits 2 naming the package to install', async () => {
      const { out, exited } = run({ PATH: '/nonexistent' });
      expect(((await exited) as { code: number }).code).to.equal(2);
      expect(out.text).to.contain('apt-get install -y redis-server');
    });

    it('starts redis-server, a producer and 2 edge workers sharing one port; restarts a killed worker; SIGTERM stops everything, redis last', async function () {
      this.timeout(60_000);
      const { child, out, exited } = run({ PORT: '0', TICKWIRE_WORKERS: '2' });
      redisPid = Number((await out.wait(/started redis-server \(pid (\d+)\)/, 15_000, 0, exited))[1]);
      const port = Number((await out.wait(/listening: 2 edge worker\(s\) on http:\/\/127\.0\.0\.1:(\d+)/, 30_000, 0, exited))[1]);
      const url = `http://127.0.0.1:${port}`;
      let status: any;
      const roles = () => (status?.cluster ?? []).map((n: any) => n.role).sort().join(',');
      await poll(async () => {
        status = (await getJson(`${url}/websocket/status`)).json;
        return roles() === 'edge,edge,producer';
      }, () => `a producer and 2 edges in the cluster list; have ${roles()}`, 20_000);
      await poll(async () => (await getJson(`${url}/ready`)).status === 200, '/ready 200', 10_000);
      const edgePids: number[] = status.cluster.filter((n: any) => n.role === 'edge').map((n: any) => n.pid);
      // Both edges serve the one port: new connections go to each in turn.
      const answered = new Set<string>();
      await poll(async () => {
        answered.add((await getFresh(`${url}/websocket/status`))?.node?.id);
        return answered.size >= 2;
      }, 'both edges answering on the shared port', 10_000);
      const client = connect(url, '/api/v1/ws', { heartbeatMs: 60_000 });
      let updates = 0;
      client.on('bars.update', () => updates++);
      try {
        await client.ready();
        await client.subscribe('bars:AAPL:1');
        await poll(() => updates >= 3, 'bars updates through the shared port', 10_000);
      } finally {
        client.close();
      }

      const victim = edgePids[0]!;
      const from = out.text.length;
      process.kill(victim, 'SIGKILL');
      await out.wait(new RegExp(`edge \\d \\(pid ${victim}\\) exited \\(signal SIGKILL\\); restarting in`), 10_000, from);
      await poll(async () => {
        status = (await getJson(`${url}/websocket/status`)).json;
        return (status?.cluster ?? []).some((n: any) => n.role === 'edge' && !edgePids.includes(n.pid) && alive(n.pid));
      }, 'a new edge worker in the cluster list', 20_000);
      const pids: number[] = [...status.cluster.filter((n: any) => n.pid !== victim).map((n: any) => n.pid)];

      child.kill('SIGTERM');
      const { code } = (await exited) as { code: number | null };
      expect(code, out.text.slice(-1500)).to.equal(0);
      const log = out.text.slice(from);
      const lastWorker = Math.max(...[...log.matchAll(/tickwire cluster: (?:producer|edge \d) \(pid \d+\) stopped \(code 0\)/g)].map((m) => m.index!));
      expect(lastWorker, 'workers stopped cleanly').to.be.greaterThan(0);
      expect(log.indexOf('stopped (redis-server last)'), 'redis stopped after the workers').to.be.greaterThan(lastWorker);
      for (const pid of [...pids, redisPid]) expect(alive(pid), `pid ${pid} is gone`).to.equal(false);
    });
  });
});
