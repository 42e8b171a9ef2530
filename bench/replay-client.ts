/**
 * The reconnect-and-recover client (forked by bench/replay.ts): raw `net` sockets speaking Tickwire's protocol on
 * /api/v1/ws. Each connection subscribes to one bars topic, remembers the epoch (from the reply's `asOf`) and the
 * last `seq` it received, and checks every push: the next seq must be exactly the last + 1 (no gap, no duplicate, in
 * order; a resubscribe answered `recovered: false` restarts from its asOf and is counted as resynced, not as a gap).
 * `cycle` drops some connections (socket destroyed, no close frame: a network loss), waits, reconnects them
 * and resubscribes with `since: {epoch, offset: last seq}`, timing each from the subscribe's send to the reply and
 * to the last missed publication (the reply's `asOf.offset`). IPC: open / cycle / verify / close.
 */
import { connect, type Socket } from 'node:net';
import { nowMs, serve } from './common.ts';
import { barsSubscribe, frameLength, maskedControl, maskedText, payloadStart, upgradeRequest } from './wsraw.ts';

const SEQ = Buffer.from('"seq":');

interface Position {
  epoch: string;
  offset: number;
}

/** One reconnect's timings (ms, nowMs clock); NaN until reached. */
interface Attempt {
  connectAt: number;
  sentAt: number;
  replyAt: number;
  lastAt: number;
  since: Position;
  asOf?: Position;
  recovered?: boolean;
  reason?: string;
  failed?: string;
}

class Conn {
  socket: Socket | undefined;
  epoch = '';
  /** The first position this connection was current to (its first subscribe's asOf). */
  firstOffset = -1;
  last = -1;
  received = 0;
  gaps = 0;
  duplicates = 0;
  snapshots = 0;
  /** Resubscribes answered `recovered: false` (then the client starts again from asOf: a gap by design), by reason. */
  resynced: string[] = [];
  errors: string[] = [];
  attempt: Attempt | undefined;
  private handshaken = false;
  private pending: Buffer | null = null;
  private onSettled: (() => void) | undefined;

  constructor(private readonly port: number, private readonly topic: string) {}

  /** Connects and subscribes (with `since` when this connection has a position); resolves when the last missed seq arrived. */
  connect(timeoutMs: number): Promise<Attempt> {
    const since = this.last >= 0 ? { epoch: this.epoch, offset: this.last } : undefined;
    const attempt: Attempt = { connectAt: nowMs(), sentAt: NaN, replyAt: NaN, lastAt: NaN, since: since ?? { epoch: '', offset: -1 } };
    this.attempt = attempt;
    this.handshaken = false;
    this.pending = null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        attempt.failed ??= `not recovered in ${timeoutMs} ms`;
        this.onSettled = undefined;
        resolve(attempt);
      }, timeoutMs);
      this.onSettled = () => {
        clearTimeout(timer);
        this.onSettled = undefined;
        resolve(attempt);
      };
      const socket = connect({ port: this.port, host: '127.0.0.1', noDelay: true });
      this.socket = socket;
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (this.socket === socket && this.attempt === attempt && Number.isNaN(attempt.lastAt)) {
          attempt.failed ??= 'closed';
          this.onSettled?.();
        }
      });
      socket.once('connect', () => socket.write(upgradeRequest('/api/v1/ws', this.port)));
      socket.on('data', (chunk: Buffer) => {
        if (this.socket === socket) this.onData(chunk, since);
      });
    });
  }

  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  drop(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private onData(chunk: Buffer, since: Position | undefined): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let off = 0;
    if (!this.handshaken) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = buf;
        return;
      }
      if (buf.toString('latin1', 0, 12) !== 'HTTP/1.1 101') {
        this.attempt!.failed = buf.toString('latin1', 0, 40);
        this.socket?.destroy();
        return;
      }
      this.handshaken = true;
      off = end + 4;
      this.attempt!.sentAt = nowMs();
      this.socket!.write(maskedText(barsSubscribe(this.topic, 's', since)));
    }
    while (true) {
      const total = frameLength(buf, off);
      if (total < 0 || off + total > buf.length) break;
      const start = payloadStart(buf, off);
      const end = off + total;
      const opcode = buf[off]! & 0x0f;
      if (opcode === 1) this.text(buf, start, end);
      else if (opcode === 9) this.socket?.write(maskedControl(0xa, buf.subarray(start, end)));
      else if (opcode === 8) this.errors.push(`closed by the server: ${buf.length >= start + 2 ? buf.readUInt16BE(start) : ''} ${buf.toString('utf8', start + 2, end)}`);
      off = end;
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }

  private text(buf: Buffer, start: number, end: number): void {
    const at = buf.lastIndexOf(SEQ, end - 1);
    if (at >= start) {
      let i = at + SEQ.length;
      let seq = 0;
      for (let c = buf[i]!; c >= 48 && c <= 57; c = buf[++i]!) seq = seq * 10 + (c - 48);
      this.push(seq);
      return;
    }
    const msg = JSON.parse(buf.toString('utf8', start, end)) as { type: string; payload?: { asOf?: Position; recovered?: boolean; reason?: string; code?: string; message?: string } };
    const a = this.attempt!;
    if (msg.type === 'bars.subscribe.response') {
      a.replyAt = nowMs();
      a.asOf = msg.payload!.asOf!;
      a.recovered = msg.payload!.recovered!;
      a.reason = msg.payload!.reason;
      if (a.asOf.epoch !== this.epoch || !a.recovered) {
        // A fresh start (first subscribe, or not recovered): current to asOf from here on (a real client would apply
        // the snapshot that follows).
        if (this.last >= 0) this.resynced.push(`${a.reason ?? '?'}: since ${a.since.offset}, asOf ${a.asOf.offset}`);
        this.epoch = a.asOf.epoch;
        this.last = a.asOf.offset;
        if (this.firstOffset < 0) this.firstOffset = a.asOf.offset;
      }
      this.check();
    } else if (msg.type === 'bars.update') {
      this.snapshots++; // the current bar sent after a fresh subscribe: no seq
    } else {
      this.errors.push(`unexpected ${msg.type}: ${JSON.stringify(msg.payload)}`);
    }
  }

  private push(seq: number): void {
    this.received++;
    if (seq === this.last + 1) this.last = seq;
    else if (seq <= this.last) this.duplicates++;
    else {
      this.gaps++;
      this.last = seq;
    }
    this.check();
  }

  /** Settled once the reply came and every publication up to its asOf was received. */
  private check(): void {
    const a = this.attempt;
    if (!a || !a.asOf || !Number.isNaN(a.lastAt)) return;
    if (this.last >= a.asOf.offset) {
      a.lastAt = nowMs();
      this.onSettled?.();
    }
  }
}

let conns: Conn[] = [];

/** Runs `fn` over items with at most `concurrency` in flight. */
async function pool<T, R>(items: T[], concurrency: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

serve(async (msg) => {
  switch (msg.cmd) {
    case 'open': {
      const t0 = nowMs();
      const fresh = Array.from({ length: msg.count as number }, () => new Conn(msg.port, msg.topic));
      conns.push(...fresh);
      const attempts = await pool(fresh, msg.concurrency, (c) => c.connect(msg.timeoutMs));
      return { ready: attempts.filter((a) => !a.failed).length, failed: attempts.filter((a) => a.failed).map((a) => a.failed), ms: nowMs() - t0 };
    }
    case 'cycle': {
      // Drop connections [from, to), wait offlineMs, reconnect them all (at most `concurrency` connecting at once).
      const mine = conns.slice(msg.from, msg.to);
      for (const c of mine) c.drop();
      await new Promise((r) => setTimeout(r, msg.offlineMs));
      const attempts = await pool(mine, msg.concurrency, (c) => c.connect(msg.timeoutMs));
      return {
        samples: attempts.map((a) => ({
          connectToSendMs: a.sentAt - a.connectAt,
          replyMs: a.replyAt - a.sentAt,
          lastMs: a.lastAt - a.sentAt,
          connectToLastMs: a.lastAt - a.connectAt,
          missed: a.asOf ? a.asOf.offset - a.since.offset : NaN,
          recovered: a.recovered === true,
          ...(a.reason ? { reason: a.reason } : {}),
          failed: a.failed,
        })),
      };
    }
    case 'verify': {
      // After the publisher stopped and the last publications drained: every connection has every offset from its
      // first subscribe's position to `top`, each exactly once, in order.
      const top: number = msg.top;
      let complete = 0;
      let received = 0;
      let expected = 0;
      let gaps = 0;
      let duplicates = 0;
      let snapshots = 0;
      let resynced = 0;
      const errors: string[] = [];
      const resyncs: string[] = [];
      for (const c of conns) {
        received += c.received;
        expected += top - c.firstOffset;
        gaps += c.gaps;
        duplicates += c.duplicates;
        snapshots += c.snapshots;
        if (c.resynced.length) resynced++;
        if (c.last === top && c.gaps === 0 && c.duplicates === 0 && c.received === top - c.firstOffset && c.errors.length === 0 && c.resynced.length === 0) complete++;
        errors.push(...c.errors.slice(0, 2));
        resyncs.push(...c.resynced.slice(0, 1));
      }
      return { connections: conns.length, complete, resynced, received, expected, gaps, duplicates, snapshots, errors: errors.slice(0, 10), resyncs: resyncs.slice(0, 5) };
    }
    case 'lag': {
      // Diagnostics: how far behind `top` the connections are (by last seq), and their errors.
      const behind = conns.map((c) => msg.top - c.last);
      const stuck = conns.filter((c) => msg.top - c.last > msg.tolerance);
      return {
        maxBehind: Math.max(...behind),
        stuck: stuck.length,
        sample: stuck.slice(0, 3).map((c) => ({ last: c.last, received: c.received, errors: c.errors, destroyed: c.socket?.destroyed, pending: c.pendingBytes })),
      };
    }
    case 'close': {
      for (const c of conns) c.drop();
      conns = [];
      return {};
    }
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
});
process.send?.({ ready: true });
