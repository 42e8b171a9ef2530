/**
 * The minimal frame-counting client (forked by bench/run.ts): many raw `net` sockets, each doing the WebSocket
 * handshake by hand and then only parsing frame headers — so the client costs as little CPU as possible and the
 * server is what saturates. It answers pings, speaks just enough Socket.IO (open "0…" → "40", ping "2" → "3") and
 * sends Tickwire's `bars.subscribe` (one per topic of the connection; `open` may give each connection its own topics,
 * and then a Socket.IO connection emits one "subscribe" event with its topics as rooms). Probe connections (one in `probeEvery`) also read each message's publish
 * timestamp for latency. IPC: open / subscribe-all / start / stop / total / close (see bench/run.ts).
 */
import { connect, type Socket } from 'node:net';
import { nowMs, readTime, serve, TOPIC } from './common.ts';
import { barsSubscribe, frameLength, maskedControl, maskedText, upgradeRequest } from './wsraw.ts';

type Proto = 'tickwire' | 'tickwire-idle' | 'ws' | 'socket.io';

let measuring = false;
let latencies: number[] = [];
/** Data messages received by every connection since the process started, measuring or not (`total`). */
let totalReceived = 0;

class Conn {
  count = 0;
  ready = false;
  closed = false;
  private handshaken = false;
  private pending: Buffer | null = null;

  constructor(
    readonly socket: Socket,
    private readonly proto: Proto,
    private readonly probe: boolean,
    private readonly onReady: () => void,
    /** The upgrade was accepted (101): frees the connect slot (subscribing goes on without holding it). */
    private readonly onHandshake: () => void,
    /** Topics to subscribe (Tickwire: one bars.subscribe each; Socket.IO: one "subscribe" event joining the rooms). */
    private readonly topics: readonly string[] = [TOPIC],
  ) {}

  /** An idle Tickwire connection subscribes later (bench/run.ts idle: accept first, then subscribe). */
  subscribe(topic: string): void {
    if (this.ready && !this.closed) this.socket.write(maskedText(barsSubscribe(topic)));
  }

  start(path: string, port: number): void {
    this.socket.write(upgradeRequest(path, port));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  private becomeReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.onReady();
  }

  private onData(chunk: Buffer): void {
    let buf = chunk;
    let off = 0;
    if (!this.handshaken) {
      if (this.pending) buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = buf;
        return;
      }
      if (buf.toString('latin1', 0, 12) !== 'HTTP/1.1 101') {
        this.socket.destroy();
        return;
      }
      this.handshaken = true;
      this.onHandshake();
      off = end + 4;
      if (this.proto === 'tickwire') for (const t of this.topics) this.socket.write(maskedText(barsSubscribe(t)));
      if (this.proto === 'ws' || this.proto === 'tickwire-idle') this.becomeReady();
    } else if (this.pending) {
      // Complete the one pending frame with as few copied bytes as possible, then go on in `chunk`.
      const head = Buffer.concat([this.pending, chunk.subarray(0, 14)]);
      const total = frameLength(head, 0);
      if (total < 0 || this.pending.length + chunk.length < total) {
        this.pending = Buffer.concat([this.pending, chunk]);
        return;
      }
      const used = total - this.pending.length;
      const frame = Buffer.concat([this.pending, chunk.subarray(0, used)]);
      this.pending = null;
      this.frames(frame, 0, measuring && this.probe ? nowMs() : 0);
      off = used;
    }
    const rest = this.frames(buf, off, measuring && this.probe ? nowMs() : 0);
    if (rest < buf.length) this.pending = Buffer.from(buf.subarray(rest));
  }

  /** Handles the whole frames in buf from off; returns where the incomplete tail starts. */
  private frames(buf: Buffer, off: number, receivedAt: number): number {
    const len = buf.length;
    while (true) {
      const total = frameLength(buf, off);
      if (total < 0 || off + total > len) return off;
      const b1 = buf[off + 1]! & 0x7f;
      const start = off + (b1 < 126 ? 2 : b1 === 126 ? 4 : 10);
      const end = off + total;
      const opcode = buf[off]! & 0x0f;
      if (opcode === 1) this.text(buf, start, end, receivedAt);
      else if (opcode === 9) this.socket.write(maskedControl(0xa, buf.subarray(start, end)));
      off = end;
    }
  }

  private text(buf: Buffer, start: number, end: number, receivedAt: number): void {
    if (this.proto === 'socket.io') {
      const a = buf[start];
      const b = buf[start + 1];
      if (a === 0x34 && b === 0x32) {
        // "42[...]": an event
      } else {
        if (a === 0x30) this.socket.write(maskedText('40')); // engine.io open → connect to the main namespace
        else if (a === 0x34 && b === 0x30) {
          // "40{sid}": connected. Join the rooms of the many-topic run (the server's "subscribe" event handler).
          if (this.topics.length && this.topics[0] !== TOPIC) this.socket.write(maskedText(`42${JSON.stringify(['subscribe', this.topics])}`));
          this.becomeReady();
        }
        else if (a === 0x32) this.socket.write(maskedText('3')); // engine.io ping → pong
        return;
      }
    } else if (!this.ready) {
      // tickwire: the first text frame is the bars.subscribe reply.
      this.becomeReady();
      return;
    }
    totalReceived++;
    if (!measuring) return;
    this.count++;
    if (receivedAt) {
      const t = readTime(buf, start, end);
      if (t === t) latencies.push(receivedAt - t);
    }
  }
}

let conns: Conn[] = [];
let cpuAtStart = process.cpuUsage();
let startedAt = 0;

async function open(msg: {
  port: number; path: string; count: number; proto: Proto; probeEvery: number; concurrency: number; timeoutMs: number;
  /** Per connection (by index in this open): its topics. Default: every connection subscribes bench/common.ts TOPIC. */
  topics?: string[][];
}) {
  const t0 = nowMs();
  let readyCount = 0;
  let failed = 0;
  let next = 0;
  let inFlight = 0;
  let handshakes = 0;
  let lastHandshakeAt = t0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, msg.timeoutMs);
    const done = () => {
      if (readyCount + failed >= msg.count) {
        clearTimeout(timer);
        resolve();
      }
    };
    const launch = () => {
      while (inFlight < msg.concurrency && next < msg.count) {
        const i = next++;
        inFlight++;
        const socket = connect({ port: msg.port, host: '127.0.0.1', noDelay: true });
        let settled = false;
        let slot = true;
        const release = () => {
          if (!slot) return;
          slot = false;
          inFlight--;
          launch();
        };
        const settle = (ok: boolean) => {
          if (settled) return;
          settled = true;
          if (ok) readyCount++;
          else failed++;
          release();
          done();
        };
        const handshake = () => {
          handshakes++;
          lastHandshakeAt = nowMs();
          release();
        };
        const conn = new Conn(socket, msg.proto, msg.probeEvery > 0 && i % msg.probeEvery === 0, () => settle(true), handshake, msg.topics?.[i]);
        conns.push(conn);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          conn.closed = true;
          settle(false);
        });
        socket.once('connect', () => conn.start(msg.path, msg.port));
      }
    };
    launch();
    done();
  });
  // ms: until every connection was ready (subscribed, for Tickwire); handshakeMs: until the last upgrade was accepted.
  return { ready: readyCount, failed, ms: nowMs() - t0, handshakes, handshakeMs: lastHandshakeAt - t0 };
}

serve(async (msg) => {
  switch (msg.cmd) {
    case 'open':
      return open(msg);
    case 'total':
      return { total: totalReceived };
    case 'subscribe-all':
      for (const c of conns) c.subscribe(msg.topic);
      return { sent: conns.length };
    case 'start':
      for (const c of conns) c.count = 0;
      latencies = [];
      measuring = true;
      cpuAtStart = process.cpuUsage();
      startedAt = nowMs();
      return {};
    case 'stop': {
      measuring = false;
      const ms = nowMs() - startedAt;
      const cpu = process.cpuUsage(cpuAtStart);
      let received = 0;
      let open = 0;
      for (const c of conns) {
        received += c.count;
        if (!c.closed) open++;
      }
      return { received, ms, cpuUs: cpu.user + cpu.system, open, latencies };
    }
    case 'close': {
      const all = conns;
      conns = [];
      await Promise.all(all.map((c) => (c.closed ? undefined : new Promise<void>((resolve) => {
        c.socket.once('close', () => resolve());
        c.socket.destroy();
      }))));
      return { closed: all.length };
    }
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
});
process.send?.({ ready: true });
