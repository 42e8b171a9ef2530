/**
 * The minimal frame-counting client (forked by bench/run.ts): many raw `net` sockets, each doing the WebSocket
 * handshake by hand and then only parsing frame headers — so the client costs as little CPU as possible and the
 * server is what saturates. It answers pings, speaks just enough Socket.IO (open "0…" → "40", ping "2" → "3") and
 * sends Tickwire's `bars.subscribe`. Probe connections (one in `probeEvery`) also read each message's publish
 * timestamp for latency. IPC: open / start / stop / close (see bench/run.ts).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { nowMs, readTime, serve } from './common.ts';

type Proto = 'tickwire' | 'tickwire-idle' | 'ws' | 'socket.io';

const SUBSCRIBE = JSON.stringify({ type: 'bars.subscribe', id: 's', payload: { symbol: 'AAPL' } });

let measuring = false;
let latencies: number[] = [];

function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('only short client frames');
  const out = Buffer.allocUnsafe(6 + payload.length);
  out[0] = 0x81;
  out[1] = 0x80 | payload.length;
  randomBytes(4).copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i]! ^ out[2 + (i & 3)]!;
  return out;
}

function maskedControl(opcode: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(6 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  out.writeUInt32BE(0, 2); // an all-zero mask is a valid mask
  payload.copy(out, 6);
  return out;
}

/** Total frame length (header + payload) at buf[off], or -1 when the header is incomplete. */
function frameLength(buf: Buffer, off: number): number {
  if (off + 2 > buf.length) return -1;
  const b1 = buf[off + 1]! & 0x7f;
  if (b1 < 126) return 2 + b1;
  if (b1 === 126) return off + 4 > buf.length ? -1 : 4 + buf.readUInt16BE(off + 2);
  return off + 10 > buf.length ? -1 : 10 + buf.readUInt32BE(off + 6);
}

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
  ) {}

  start(path: string, port: number): void {
    const key = randomBytes(16).toString('base64');
    this.socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
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
      off = end + 4;
      if (this.proto === 'tickwire') this.socket.write(maskedText(SUBSCRIBE));
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
        else if (a === 0x34 && b === 0x30) this.becomeReady(); // "40{sid}": connected
        else if (a === 0x32) this.socket.write(maskedText('3')); // engine.io ping → pong
        return;
      }
    } else if (!this.ready) {
      // tickwire: the first text frame is the bars.subscribe reply.
      this.becomeReady();
      return;
    }
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

async function open(msg: { port: number; path: string; count: number; proto: Proto; probeEvery: number; concurrency: number; timeoutMs: number }) {
  const t0 = nowMs();
  let readyCount = 0;
  let failed = 0;
  let next = 0;
  let inFlight = 0;
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
        const settle = (ok: boolean) => {
          if (settled) return;
          settled = true;
          inFlight--;
          if (ok) readyCount++;
          else failed++;
          launch();
          done();
        };
        const conn = new Conn(socket, msg.proto, msg.probeEvery > 0 && i % msg.probeEvery === 0, () => settle(true));
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
  return { ready: readyCount, failed, ms: nowMs() - t0 };
}

serve(async (msg) => {
  switch (msg.cmd) {
    case 'open':
      return open(msg);
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
