/**
 * One fan-out server setup in its own process (forked by bench/run.ts; argv[2] = setup), listening on 127.0.0.1:0,
 * with a publish driver in the same process. Driven over IPC:
 *   count → subscribers of the topic; flood → publish 16 messages per event-loop turn (pausing while any socket has
 *   more than BACKLOG_LIMIT bytes unsent, so no setup overruns its clients); rate → publish `rate` msg/s;
 *   mark → CPU usage, messages published, RSS/heap; halt → stop publishing; gc → full GC.
 * Every publish run also stops by itself after MAX_PUBLISH_MS, and the process exits when run.ts goes away.
 *
 * Setups (all send the same ~200-byte JSON bar to every subscriber of one topic):
 *   tickwire    the real app (buildApp): clients send bars.subscribe over /api/v1/ws; the driver calls hub.publish.
 *   naive-ws    ws server, JSON.stringify once per publish, ws.send per client (ws's README broadcast).
 *   batched-ws  frame once; up to 16 frames published in one turn are concatenated once and the same buffer is
 *               written to every client: one socket write per client per batch (the practical limit).
 *   socket.io   socket.io 4 server, websocket transport only, clients in one room, io.to(room).emit.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { buildApp } from '../src/app.ts';
import { defaultConfig, type Config } from '../src/config.ts';
import { SimulatedSource } from '../src/market/source-simulated.ts';
import { textFrame } from '../src/pubsub/frame.ts';
import { FlushScheduler, OutboundQueue } from '../src/server/outbound.ts';
import { barMessage, nowMs, ROOM, serve, TOPIC, type Setup } from './common.ts';

const BATCH = 16;
const BACKLOG_LIMIT = 256 * 1024;
const MAX_PUBLISH_MS = 30_000;

interface Impl {
  port: number;
  subscribers(): number;
  /** Open WebSocket connections (subscribed or not). */
  connections(): number;
  publish(message: object): void;
  /** Largest number of bytes not yet accepted by the kernel on any one subscriber socket. */
  backlog(): number;
}

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return (server.address() as AddressInfo).port;
}

async function tickwire(): Promise<Impl> {
  const base = defaultConfig();
  const config: Config = {
    ...base,
    port: 0,
    host: '127.0.0.1',
    websocket: { ...base.websocket, maxConnections: 20_000 },
  };
  // A source that never ticks during the bench: only the driver publishes on the topic.
  const source = new SimulatedSource({ tickIntervalMs: 3_600_000 });
  const app = buildApp(config, { source, log: () => undefined });
  // The listen backlog is the app's (node's default 511): the bench measures the real server.
  const { port } = await app.start();
  const connections = (app.gateway as unknown as { connections: Set<{ pendingBytes: number }> }).connections;
  return {
    port,
    subscribers: () => app.hub.subscriberCount(TOPIC),
    connections: () => app.gateway.connectionCount,
    publish: (m) => app.hub.publish(TOPIC, m),
    backlog() {
      let max = 0;
      for (const c of connections) if (c.pendingBytes > max) max = c.pendingBytes;
      return max;
    },
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
    backlog() {
      let max = 0;
      for (const ws of wss.clients) if (ws.bufferedAmount > max) max = ws.bufferedAmount;
      return max;
    },
  };
}

async function batchedWs(): Promise<Impl> {
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
    publish(m) {
      batch.push(textFrame(JSON.stringify(m)).bytes);
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
  });
  const port = await listen(http);
  return {
    port,
    subscribers: () => io.sockets.adapter.rooms.get(ROOM)?.size ?? 0,
    connections: () => io.sockets.sockets.size,
    publish: (m) => {
      io.to(ROOM).emit('bars.update', m);
    },
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
 * this bench process only (argv[3]); 'as-is' runs src/server/outbound.ts unchanged.
 *   cork            cork, one write per queued frame, uncork (one writev)
 *   concat          Buffer.concat of the queued frames, one write
 *   shared-concat   as concat, but queues holding the very same frames in one flush pass share one concatenation
 *   microtask       as-is, but the scheduler flushes on queueMicrotask instead of setImmediate
 */
function patchFlush(variant: string): void {
  type Q = { closed: boolean; frames: Buffer[]; queuedBytes: number; canWrite(): boolean; socket: { write(b: Buffer): boolean; cork(): void; uncork(): void } };
  const take = (q: Q): Buffer[] | undefined => {
    if (q.closed || q.frames.length === 0) return undefined;
    const frames = q.frames;
    q.frames = [];
    q.queuedBytes = 0;
    return q.canWrite() ? frames : undefined;
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
    const sched = FlushScheduler.prototype as unknown as { mark(q: unknown): void; run(): void; dirty: Set<unknown>; scheduled: boolean };
    sched.mark = function (this: typeof sched, q: unknown) {
      this.dirty.add(q);
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
if (process.argv[3]) patchFlush(process.argv[3]);
const make: Record<Setup, () => Promise<Impl>> = { tickwire, 'naive-ws': naiveWs, 'batched-ws': batchedWs, 'socket.io': socketIo };
const impl = await make[setup]();

let generation = 0;
let published = 0;
let stalls = 0;

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

serve((msg) => {
  switch (msg.cmd) {
    case 'count':
      return { subscribers: impl.subscribers(), connections: impl.connections() };
    case 'flood':
      generation++;
      flood(generation, nowMs() + MAX_PUBLISH_MS);
      return {};
    case 'rate':
      generation++;
      paced(generation, msg.rate, nowMs() + MAX_PUBLISH_MS);
      return {};
    case 'halt':
      generation++;
      return {};
    case 'gc':
      (globalThis as { gc?: () => void }).gc?.();
      return {};
    case 'mark': {
      const mem = process.memoryUsage();
      return { cpu: process.cpuUsage(), at: nowMs(), published, stalls, rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external };
    }
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
});
process.send?.({ ready: true, port: impl.port });
