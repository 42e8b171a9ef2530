/**
 * One fan-out server setup in its own process (forked by bench/run.ts; argv[2] = setup; then optionally a flush
 * variant, or `--symbols=N` to serve the many-topic run's symbols), listening on 127.0.0.1:0, with a publish driver
 * in the same process. Driven over IPC:
 *   count → subscribers of the topic, connections, and subscriptions over the many-topic run's topics (set-topics);
 *   flood → publish 16 messages per event-loop turn on the topic (pausing while any socket has more than
 *   BACKLOG_LIMIT bytes unsent, so no setup overruns its clients); flood-topics → the same over the many-topic run's
 *   topics, round-robin, `perTurn` per turn, counting the deliveries owed; rate → publish `rate` msg/s on the topic;
 *   fill → publish `count` messages on a topic at once (history); position → a topic's {epoch, offset} (Tickwire);
 *   history-probe → heap and MemoryBroker.stats() of a fresh broker filled with `perTopic` publications on each of
 *   `topics` topics; mark → CPU usage, messages published, deliveries owed, RSS/heap, the broker's stats(), the
 *   load average, the longest event-loop delay since the previous mark; halt → stop publishing; gc → full GC.
 * Every publish run also stops by itself after MAX_PUBLISH_MS, and the process exits when run.ts goes away.
 *
 * Setups (all send the same ~200-byte JSON bar to every subscriber of one topic):
 *   tickwire    the real app (buildApp, in-memory broker with the default history: 1000 publications / 5 min per
 *               topic): clients send bars.subscribe over /api/v1/ws; the driver calls hub.publish.
 *   naive-ws    ws server, JSON.stringify once per publish, ws.send per client (ws's README broadcast).
 *   batched-ws  frame once; up to 16 frames published in one turn are concatenated once and the same buffer is
 *               written to every client: one socket write per client per batch (the practical limit).
 *   batched-ws-seq  the same, each message carrying `"seq":<n>` as Tickwire's frames do (its position): the
 *               practical limit for frames of Tickwire's size, so the cost of the position's bytes shows apart
 *               from the cost of Tickwire's code.
 *   tickwire --raw  a diagnostic: the real app's sockets written like batched-ws-seq (see rawInApp).
 *   socket.io   socket.io 4 server, websocket transport only, clients in one room, io.to(room).emit; in the many-topic
 *               run each client emits "subscribe" with its topics and joins one room per topic.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { pino } from 'pino';
import { buildApp, type App, type AppOptions } from '../src/app.ts';
import { createPinoLogger } from '../src/observability/logger.ts';
import { defaultConfig, type Config } from '../src/config.ts';
import { SimulatedSource } from '../src/market/source-simulated.ts';
import { MemoryBroker } from '../src/pubsub/broker-memory.ts';
import { textFrame, type TopicBatch } from '../src/pubsub/frame.ts';
import { historyPolicy } from '../src/pubsub/history-policy.ts';
import { withSeq as withSeqField } from '../src/pubsub/hub.ts';
import { FlushScheduler, OutboundQueue } from '../src/server/outbound.ts';
import { barMessage, manyTopics, nowMs, ROOM, serve, TOPIC, type Setup } from './common.ts';

const BATCH = 16;
const BACKLOG_LIMIT = 256 * 1024;
const MAX_PUBLISH_MS = 30_000;

interface Impl {
  port: number;
  subscribers(): number;
  /** Open WebSocket connections (subscribed or not). */
  connections(): number;
  publish(message: object): void;
  /** Publishes on any topic (the many-topic run). */
  publishTo(topic: string, message: object): void;
  /** Subscribers of `topic` (room members for Socket.IO). */
  subscribersOf(topic: string): number;
  /** Largest number of bytes not yet accepted by the kernel on any one subscriber socket. */
  backlog(): number;
  /** Called when a publish run starts (the connections are in place). */
  prepare?(): void;
  /** Tickwire: its flush scheduler's running totals (messages, bytes, socket writes): messages per write. */
  outbound?(): { messages: number; bytes: number; writes: number };
  /** Tickwire: the in-memory broker (history stats, positions). */
  broker?: MemoryBroker;
}

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return (server.address() as AddressInfo).port;
}

async function tickwire(symbols: number): Promise<Impl> {
  const base = defaultConfig();
  const config: Config = {
    ...base,
    port: 0,
    host: '127.0.0.1',
    websocket: { ...base.websocket, maxConnections: 20_000 },
  };
  // A source that never ticks during the bench: only the driver publishes on the topic.
  const source = new SimulatedSource({ tickIntervalMs: 3_600_000, ...(symbols ? { symbols: ['AAPL', ...manyTopics(symbols).symbols] } : {}) });
  // The app's own broker, as buildApp would make it (history on, default bounds), kept here for stats() and positions.
  const broker = new MemoryBroker({ historyPolicy: historyPolicy(config.history) });
  // `--observability=off`: no metrics counted, no logs (the baseline); `on`: metrics counted and scraped every second
  // (harsher than a usual 15 s scrape), JSON logs at info through pino's asynchronous destination (to /dev/null).
  const observability = process.argv.find((a) => a.startsWith('--observability='))?.slice(16);
  const options: AppOptions = observability === 'off'
    ? { source, broker, log: () => undefined, metricsEnabled: false }
    : observability === 'on'
      ? { source, broker, logger: createPinoLogger({ level: 'info', format: 'json', redact: (t) => t, destination: pino.destination({ dest: '/dev/null', sync: false }) }) }
      : { source, broker, log: () => undefined };
  const app = buildApp(config, options);
  // The listen backlog is the app's (node's default 511): the bench measures the real server.
  const { port } = await app.start();
  if (observability === 'on') setInterval(() => void app.metrics.scrape(), 1000).unref();
  const connections = (app.gateway as unknown as { connections: Set<object> }).connections;
  let sockets: Socket[] = [];
  if (process.argv.includes('--raw')) return rawInApp(app, port, connections, broker);
  return {
    port,
    subscribers: () => app.hub.subscriberCount(TOPIC),
    connections: () => app.gateway.connectionCount,
    publish: (m) => void app.hub.publish(TOPIC, m),
    outbound: () => app.gateway.stats().outbound,
    publishTo: (t, m) => void app.hub.publish(t, m),
    subscribersOf: (t) => app.hub.subscriberCount(t),
    // The same check as the other setups make: the sockets' unsent bytes. (Tickwire's own queues are empty whenever
    // the driver looks: they flush in the immediate queued before the driver's next step.) The socket list is taken
    // when a publish run starts; walking every Connection and queue on every step instead cost Tickwire ~10% of its
    // throughput at N = 1000 in the driver alone.
    prepare() {
      sockets = [...connections].map((c) => (c as unknown as { ws: { _socket: Socket } }).ws._socket);
    },
    backlog() {
      let max = 0;
      for (const s of sockets) if (s.writableLength > max) max = s.writableLength;
      return max;
    },
    broker,
  };
}

/**
 * `tickwire --raw` (a diagnostic for `--paired`): the real app and its subscribed connections, but the driver writes
 * the frames straight to the app's sockets the way batched-ws does (16 frames carrying `seq`, one concatenation, one
 * write per socket), bypassing the hub and the outbound queues. Against batched-ws-seq it shows what the app's
 * process costs around the fan-out; against `tickwire` what the hub and the queues cost.
 */
function rawInApp(app: App, port: number, connections: Set<object>, broker: MemoryBroker): Impl {
  let batch: Buffer[] = [];
  let seq = 0;
  let sockets: Socket[] = [];
  return {
    port,
    subscribers: () => app.hub.subscriberCount(TOPIC),
    connections: () => app.gateway.connectionCount,
    prepare() {
      sockets = [...connections].map((c) => (c as unknown as { ws: { _socket: Socket } }).ws._socket);
    },
    publish(m) {
      batch.push(textFrame(withSeqField(JSON.stringify(m), ++seq)).bytes);
      if (batch.length < BATCH) return;
      const buf = Buffer.concat(batch);
      batch = [];
      for (const s of sockets) s.write(buf);
    },
    publishTo: () => {
      throw new Error('tickwire --raw has one topic');
    },
    subscribersOf: (t) => app.hub.subscriberCount(t),
    backlog() {
      let max = 0;
      for (const s of sockets) if (s.writableLength > max) max = s.writableLength;
      return max;
    },
    broker,
  };
}

async function naiveWs(): Promise<Impl> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const port = await listen(http);
  return {
    port,
    subscribers: () => wss.clients.size,
    connections: () => wss.clients.size,
    publish(m) {
      const data = JSON.stringify(m);
      for (const ws of wss.clients) ws.send(data);
    },
    publishTo: () => {
      throw new Error('naive-ws has one topic');
    },
    subscribersOf: (t) => (t === TOPIC ? wss.clients.size : 0),
    backlog() {
      let max = 0;
      for (const ws of wss.clients) if (ws.bufferedAmount > max) max = ws.bufferedAmount;
      return max;
    },
  };
}

const junk: unknown[] = [];
async function batchedWs(withSeq = false): Promise<Impl> {
  if (process.argv.includes('--bigheap')) for (let i = 0; i < 1_000_000; i++) junk.push({ a: i, b: `s${i}`, c: [i, i + 1] });
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false });
  const sockets = new Set<Socket>();
  wss.on('connection', (ws: WebSocket) => {
    const socket = (ws as unknown as { _socket: Socket })._socket;
    sockets.add(socket);
    ws.on('close', () => sockets.delete(socket));
  });
  const port = await listen(http);
  let batch: Buffer[] = [];
  let scheduled = false;
  let seq = 0;
  const flush = () => {
    scheduled = false;
    if (!batch.length) return;
    const buf = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
    batch = [];
    for (const s of sockets) s.write(buf);
  };
  return {
    port,
    subscribers: () => sockets.size,
    connections: () => sockets.size,
    publishTo: () => {
      throw new Error('batched-ws has one topic');
    },
    subscribersOf: (t) => (t === TOPIC ? sockets.size : 0),
    publish(m) {
      const data = JSON.stringify(m);
      batch.push(textFrame(withSeq ? withSeqField(data, ++seq) : data).bytes);
      if (batch.length >= BATCH) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    backlog() {
      let max = 0;
      for (const s of sockets) if (s.writableLength > max) max = s.writableLength;
      return max;
    },
  };
}

async function socketIo(): Promise<Impl> {
  // Loaded only for this setup: socket.io is a dev dependency of the bench alone.
  const { Server: IoServer } = await import('socket.io');
  const http = createServer();
  const io = new IoServer(http, { transports: ['websocket'], serveClient: false, pingInterval: 120_000, pingTimeout: 120_000, perMessageDeflate: false });
  io.on('connection', (socket) => {
    socket.join(ROOM);
    // The many-topic run: one room per topic.
    socket.on('subscribe', (topics: unknown) => {
      if (Array.isArray(topics)) socket.join(topics.filter((t): t is string => typeof t === 'string'));
    });
  });
  const port = await listen(http);
  return {
    port,
    subscribers: () => io.sockets.adapter.rooms.get(ROOM)?.size ?? 0,
    connections: () => io.sockets.sockets.size,
    publish: (m) => {
      io.to(ROOM).emit('bars.update', m);
    },
    publishTo: (t, m) => {
      io.to(t).emit('bars.update', m);
    },
    subscribersOf: (t) => io.sockets.adapter.rooms.get(t === TOPIC ? ROOM : t)?.size ?? 0,
    backlog() {
      let max = 0;
      for (const s of io.sockets.sockets.values()) {
        const conn = s.conn as unknown as { writeBuffer: unknown[]; transport: { socket?: WebSocket } };
        const b = conn.writeBuffer.length * 256 + (conn.transport.socket?.bufferedAmount ?? 0);
        if (b > max) max = b;
      }
      return max;
    },
  };
}

/**
 * Flush alternatives measured against each other (`npm run bench -- --flush`), patched over the real classes in
 * this bench process only (argv[3]); 'as-is' runs src/server/outbound.ts unchanged (per-topic batches, one shared
 * concatenation per topic batch). The others take the queued frames one by one, as the outbound path did before
 * per-topic batching, and write them:
 *   cork            cork, one write per queued frame, uncork (one writev)
 *   concat          Buffer.concat of the queued frames, one write
 *   shared-concat   as concat, but queues holding the very same frames in one flush pass share one concatenation
 *   microtask       as-is, but the scheduler flushes on queueMicrotask instead of setImmediate
 */
function patchFlush(variant: string): void {
  type Entry = Buffer | TopicBatch | { batch: TopicBatch; start: number };
  type Q = { closed: boolean; first: Entry | undefined; rest: Entry[] | undefined; restBatches: unknown[] | undefined; frameBytes: number; socket: { write(b: Buffer): boolean; cork(): void; uncork(): void } };
  /** The queued frames, one Buffer per frame (a topic batch contributes its frames from `start` on). */
  const take = (q: Q): Buffer[] | undefined => {
    if (q.closed || q.first === undefined) return undefined;
    const entries = [q.first, ...(q.rest ?? [])];
    q.first = undefined;
    q.rest = undefined;
    q.restBatches = undefined;
    q.frameBytes = 0;
    const frames: Buffer[] = [];
    for (const e of entries) {
      if (Buffer.isBuffer(e)) {
        frames.push(e);
        continue;
      }
      const batch = 'batch' in e ? e.batch : e;
      const start = 'batch' in e ? e.start : 0;
      for (let i = start; i < batch.frames.length; i++) frames.push(batch.frames[i]!.bytes);
      batch.sealed = true;
    }
    return frames.length ? frames : undefined;
  };
  const proto = OutboundQueue.prototype as unknown as { flush(this: Q): void };
  if (variant === 'cork') {
    proto.flush = function (this: Q) {
      const frames = take(this);
      if (!frames) return;
      this.socket.cork();
      for (const f of frames) this.socket.write(f);
      this.socket.uncork();
    };
  } else if (variant === 'concat') {
    proto.flush = function (this: Q) {
      const frames = take(this);
      if (frames) this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
    };
  } else if (variant === 'shared-concat') {
    let last: Buffer[] = [];
    let lastBuf: Buffer | undefined;
    const sched = FlushScheduler.prototype as unknown as { run(): void };
    const run = sched.run;
    sched.run = function (this: unknown) {
      last = [];
      lastBuf = undefined;
      run.call(this);
    };
    proto.flush = function (this: Q) {
      const frames = take(this);
      if (!frames) return;
      if (frames.length === 1) return void this.socket.write(frames[0]!);
      let same = frames.length === last.length;
      for (let i = 0; same && i < frames.length; i++) same = frames[i] === last[i];
      if (!same) {
        last = frames;
        lastBuf = Buffer.concat(frames);
      }
      this.socket.write(lastBuf!);
    };
  } else if (variant === 'microtask') {
    const sched = FlushScheduler.prototype as unknown as { mark(q: unknown): void; run(): void; dirty: unknown[]; dirtyCount: number; scheduled: boolean };
    sched.mark = function (this: typeof sched, q: unknown) {
      this.dirty[this.dirtyCount++] = q;
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.run());
      }
    };
  } else if (variant !== 'as-is') {
    throw new Error(`unknown flush variant ${variant}`);
  }
}

const setup = process.argv[2] as Setup;
const variant = process.argv.slice(3).find((a) => !a.startsWith('--'));
if (variant) patchFlush(variant);
const symbols = Number(process.argv.find((a) => a.startsWith('--symbols='))?.slice(10) ?? 0);
const make: Record<Setup, () => Promise<Impl>> = { tickwire: () => tickwire(symbols), 'naive-ws': naiveWs, 'batched-ws': () => batchedWs(), 'batched-ws-seq': () => batchedWs(true), 'socket.io': socketIo };
const impl = await make[setup]();

/** Event-loop delay since the last mark: a stall (GC, a long task) shows here as well as in client latency. */
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
/** Milliseconds spent in garbage collection pauses so far (main thread), and how many were major (mark-compact). */
const gcTotals = { ms: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcTotals.ms += e.duration;
    if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 4) gcTotals.major++;
  }
}).observe({ entryTypes: ['gc'] });

let generation = 0;
let published = 0;
let stalls = 0;
/** Deliveries owed by the many-topic flood: Σ over its publications of the topic's subscribers at the flood's start. */
let owed = 0;
/** The many-topic run's topics (set-topics). */
let benchTopics: string[] = [];

function floodTopics(gen: number, perTurn: number, until: number): void {
  const subs = benchTopics.map((t) => impl.subscribersOf(t));
  let next = 0;
  const step = () => {
    if (gen !== generation) return;
    if (nowMs() > until) return;
    if (impl.backlog() > BACKLOG_LIMIT) {
      stalls++;
      setTimeout(step, 1);
      return;
    }
    const ts = nowMs();
    for (let i = 0; i < perTurn; i++) {
      const k = next;
      next = (next + 1) % benchTopics.length;
      impl.publishTo(benchTopics[k]!, barMessage(published++, ts, benchTopics[k]!));
      owed += subs[k]!;
    }
    setImmediate(step);
  };
  step();
}

/** A fresh MemoryBroker (default policy) filled with `perTopic` publications of the bench message on each topic. */
function historyProbe(topics: number, perTopic: number) {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m0 = process.memoryUsage();
  const broker = new MemoryBroker({ historyPolicy: historyPolicy() });
  for (let t = 0; t < topics; t++) {
    const topic = `bars:P${t}:1`;
    for (let i = 0; i < perTopic; i++) void broker.publish(topic, JSON.stringify(barMessage(i, nowMs(), topic)));
  }
  gc?.();
  const m1 = process.memoryUsage();
  const stats = broker.stats();
  void broker.close();
  return { topics, perTopic, stats, heapBytes: m1.heapUsed - m0.heapUsed, rssBytes: m1.rss - m0.rss };
}

let profiler: Session | undefined;

function flood(gen: number, until: number): void {
  const step = () => {
    if (gen !== generation) return;
    if (nowMs() > until) return;
    if (impl.backlog() > BACKLOG_LIMIT) {
      stalls++;
      setTimeout(step, 1);
      return;
    }
    for (let i = 0; i < BATCH; i++) impl.publish(barMessage(published++, nowMs()));
    setImmediate(step);
  };
  step();
}

function paced(gen: number, rate: number, until: number): void {
  const t0 = nowMs();
  let sent = 0;
  const step = () => {
    if (gen !== generation) return;
    const t = nowMs();
    if (t > until) return;
    let due = Math.floor(((t - t0) * rate) / 1000) - sent;
    // A server that cannot keep up does not catch up in one blocking burst: what is over 20 ms late is dropped
    // here (and shows as less than 100% delivered).
    if (due > rate / 50) {
      sent += due - Math.ceil(rate / 50);
      due = Math.ceil(rate / 50);
    }
    for (let i = 0; i < due; i++) impl.publish(barMessage(published++, nowMs()));
    sent += Math.max(0, due);
    setTimeout(step, 1);
  };
  step();
}

serve(async (msg) => {
  switch (msg.cmd) {
    case 'count':
      return {
        subscribers: impl.subscribers(),
        connections: impl.connections(),
        subscriptions: benchTopics.reduce((a, t) => a + impl.subscribersOf(t), 0),
      };
    case 'set-topics':
      benchTopics = msg.topics;
      return {};
    case 'subscribers-of':
      return { counts: (msg.topics as string[]).map((t) => impl.subscribersOf(t)) };
    case 'flood-topics':
      generation++;
      impl.prepare?.();
      floodTopics(generation, msg.perTurn, nowMs() + MAX_PUBLISH_MS);
      return {};
    case 'fill': {
      for (let i = 0; i < msg.count; i++) impl.publishTo(msg.topic, barMessage(published++, nowMs(), msg.topic));
      return {};
    }
    case 'position': {
      if (!impl.broker) throw new Error('position: Tickwire only');
      return { position: (await impl.broker.history(msg.topic, { limit: 0 })).position };
    }
    case 'history-probe':
      return historyProbe(msg.topics, msg.perTopic);
    case 'flood':
      generation++;
      impl.prepare?.();
      flood(generation, nowMs() + MAX_PUBLISH_MS);
      return {};
    case 'rate':
      generation++;
      impl.prepare?.();
      paced(generation, msg.rate, nowMs() + MAX_PUBLISH_MS);
      return {};
    case 'halt':
      generation++;
      return { published, owed };
    case 'profile-start': {
      // A CPU profile of the measurement windows only (not the connection set-up): bench/many-topics.ts --profile.
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return {};
    }
    case 'profile-stop': {
      const { profile } = await profiler!.post('Profiler.stop');
      profiler!.disconnect();
      mkdirSync(msg.dir, { recursive: true });
      writeFileSync(join(msg.dir, `CPU.windows.${process.pid}.0.cpuprofile`), JSON.stringify(profile));
      return {};
    }
    case 'gc':
      (globalThis as { gc?: () => void }).gc?.();
      return {};
    case 'mark': {
      const mem = process.memoryUsage();
      return {
        cpu: process.cpuUsage(), at: nowMs(), published, stalls, owed, outbound: impl.outbound?.(), gc: { ...gcTotals }, rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external,
        history: impl.broker?.stats(), loadavg: loadavg(),
        loopDelayMaxMs: (() => {
          const max = loopDelay.max / 1e6;
          loopDelay.reset();
          return max;
        })(),
      };
    }
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
});
process.send?.({ ready: true, port: impl.port });
