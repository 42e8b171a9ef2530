import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { TestClient, type Msg } from '../support/client.ts';
import { fastSource, startServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The coalesced publish path over real sockets: frames are built once per publish and each connection's frames of
 * one event-loop turn leave in one write. These tests check what that must not break: per-client order,
 * exactly-once delivery to every subscriber, the slow-consumer bound, and nothing written after the close frame.
 * Published bars carry a sequence number in `time` (small integers; the simulated source's own bars carry epoch
 * milliseconds and never tick here).
 */

const turn = () => new Promise((r) => setImmediate(r));
const bar = (seq: number) => ({ time: seq, open: 1, high: 2, low: 0.5, close: 1.5, volume: seq });
const isSeq = (topic: string) => (m: Msg) => m.type === 'bars.update' && m.topic === topic && m.payload.time < 1e9;
const seqs = (c: TestClient, topic: string) => c.messages.filter(isSeq(topic)).map((m) => m.payload.time as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

type ServerConnection = { pendingBytes: number; close(reason: string): void };
const connectionsOf = (server: TestServer) => [...(server.app.gateway as unknown as { connections: Set<ServerConnection> }).connections];

/** A raw WebSocket client that records every frame (opcode + payload) exactly as it came off the socket. */
class RawClient {
  readonly frames: { opcode: number; payload: Buffer }[] = [];
  private buf = Buffer.alloc(0);
  private upgraded = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      if (!this.upgraded) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        expect(this.buf.toString('latin1', 0, 12)).to.equal('HTTP/1.1 101');
        this.upgraded = true;
        this.buf = this.buf.subarray(end + 4);
      }
      while (this.buf.length >= 2) {
        const b1 = this.buf[1]! & 0x7f;
        const header = b1 < 126 ? 2 : b1 === 126 ? 4 : 10;
        if (this.buf.length < header) return;
        const length = b1 < 126 ? b1 : b1 === 126 ? this.buf.readUInt16BE(2) : this.buf.readUInt32BE(6);
        if (this.buf.length < header + length) return;
        const frame = { opcode: this.buf[0]! & 0x0f, payload: Buffer.from(this.buf.subarray(header, header + length)) };
        this.frames.push(frame);
        this.buf = this.buf.subarray(header + length);
        // Answer a close with a close (masked, echoing the code); keep reading until the server ends the TCP stream.
        if (frame.opcode === 8) this.socket.write(Buffer.concat([Buffer.from([0x88, 0x82, 0, 0, 0, 0]), frame.payload.subarray(0, 2)]));
      }
    });
  }

  static async open(port: number, path: string): Promise<RawClient> {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawClient(socket);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await waitFor(() => client.upgraded);
    return client;
  }

  send(message: object): void {
    const payload = Buffer.from(JSON.stringify(message));
    const mask = randomBytes(4);
    const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0xfe, payload.length >> 8, payload.length & 0xff]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  texts(): Msg[] {
    return this.frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString('utf8')) as Msg);
  }
}

describe('e2e: coalesced fan-out over real sockets', function () {
  this.timeout(30_000);
  let server: TestServer;
  let clients: TestClient[] = [];
  let raws: RawClient[] = [];

  async function subscriber(symbols: string[] = ['AAPL']): Promise<TestClient> {
    const c = await TestClient.open(server.ws('/api/v1/ws'));
    clients.push(c);
    for (const symbol of symbols) expect((await c.request({ type: 'bars.subscribe', payload: { symbol } })).payload.status).to.equal('ok');
    return c;
  }

  afterEach(async () => {
    for (const c of clients) c.close();
    for (const r of raws) r.socket.destroy();
    clients = [];
    raws = [];
    await server.stop();
  });

  it('every subscriber gets every message exactly once, in publish order, and only its topics', async () => {
    server = await startServer({}, { source: fastSource({ tickIntervalMs: 60_000 }) });
    const aapl = await Promise.all(range(0, 12).map(() => subscriber(['AAPL'])));
    const both = await Promise.all(range(0, 4).map(() => subscriber(['AAPL', 'MSFT'])));
    const msft = await subscriber(['MSFT']);
    // Bursts of 1..40 messages per turn, the two topics interleaved, some turns empty: 1000 + 500 messages.
    let a = 0;
    let m = 0;
    for (let t = 0; a < 1000; t++) {
      const burst = t % 7 === 3 ? 0 : 1 + ((t * 13) % 40);
      for (let i = 0; i < burst && a < 1000; i++) {
        server.app.hub.publish('bars:AAPL:1', { type: 'bars.update', topic: 'bars:AAPL:1', payload: bar(a++) });
        if (i % 2 === 0 && m < 500) server.app.hub.publish('bars:MSFT:1', { type: 'bars.update', topic: 'bars:MSFT:1', payload: bar(m++) });
      }
      await turn();
    }
    while (m < 500) server.app.hub.publish('bars:MSFT:1', { type: 'bars.update', topic: 'bars:MSFT:1', payload: bar(m++) });
    const all = [...aapl, ...both, msft];
    await waitFor(() => aapl.every((c) => c.count(isSeq('bars:AAPL:1')) >= 1000)
      && both.every((c) => c.count(isSeq('bars:AAPL:1')) >= 1000 && c.count(isSeq('bars:MSFT:1')) >= 500)
      && msft.count(isSeq('bars:MSFT:1')) >= 500, 20_000);
    // A marker per client: its pong is queued behind everything published before it, so a duplicate would be in.
    await Promise.all(all.map(async (c) => {
      const from = c.messages.length;
      c.send({ type: 'ping' });
      await c.next((m) => m.type === 'pong', { from, what: 'the marker pong' });
    }));
    for (const c of aapl) {
      expect(seqs(c, 'bars:AAPL:1')).to.deep.equal(range(0, 1000));
      expect(c.count(isSeq('bars:MSFT:1'))).to.equal(0);
    }
    for (const c of both) {
      expect(seqs(c, 'bars:AAPL:1')).to.deep.equal(range(0, 1000));
      expect(seqs(c, 'bars:MSFT:1')).to.deep.equal(range(0, 500));
    }
    expect(seqs(msft, 'bars:MSFT:1')).to.deep.equal(range(0, 500));
    expect(msft.count(isSeq('bars:AAPL:1'))).to.equal(0);
    for (const c of all) expect(c.ws.readyState).to.equal(1);
  });

  it('a slow consumer is cut at the bound (never more pending), while fast subscribers still get everything in order', async () => {
    const bound = 64 * 1024;
    server = await startServer({ websocket: { maxBufferedBytes: bound } }, { source: fastSource({ tickIntervalMs: 60_000 }) });
    const fast = await Promise.all(range(0, 3).map(() => subscriber()));
    const slow = await subscriber();
    const slowSocket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    slowSocket.pause();
    const conns = connectionsOf(server);
    const slowConn = conns[conns.length - 1]!;
    let maxPending = 0;
    let seq = 0;
    // Bounded flood: at most 2000 turns x 100 messages (~20 MB per subscriber), stopping once the slow one is cut.
    for (let t = 0; t < 2000 && !server.logs.some((l) => l.includes('4001')); t++) {
      for (let i = 0; i < 100; i++) server.app.hub.publish('bars:AAPL:1', { type: 'bars.update', topic: 'bars:AAPL:1', payload: bar(seq++) });
      // The bound is checked on every single frame and, for the shared topic batches, when the queue flushes:
      // measured after the turn's flush, pending bytes never pass it.
      await turn();
      if (!server.logs.some((l) => l.includes('4001'))) maxPending = Math.max(maxPending, slowConn.pendingBytes);
    }
    expect(server.logs.some((l) => l.includes('4001 slow consumer'))).to.equal(true);
    expect(maxPending).to.be.at.most(bound);
    // Once cut, nothing more is queued for it.
    for (let i = 0; i < 100; i++) server.app.hub.publish('bars:AAPL:1', { type: 'bars.update', topic: 'bars:AAPL:1', payload: bar(seq++) });
    expect(slowConn.pendingBytes).to.be.at.most(bound);
    await waitFor(() => fast.every((c) => c.count(isSeq('bars:AAPL:1')) >= seq), 20_000);
    for (const c of fast) expect(seqs(c, 'bars:AAPL:1')).to.deep.equal(range(0, seq));
    slowSocket.resume();
    expect((await slow.closed(10_000)).code).to.equal(4001);
    // What the slow one did get is a gapless prefix: nothing reordered, duplicated or skipped before the cut.
    const got = seqs(slow, 'bars:AAPL:1');
    expect(got).to.deep.equal(range(0, got.length));
  });

  it('a close writes what was queued before it, then the close frame, and nothing after', async () => {
    server = await startServer({}, { source: fastSource({ tickIntervalMs: 60_000 }) });
    for (let k = 0; k < 6; k++) {
      const raw = await RawClient.open(server.port, '/api/v1/ws');
      raws.push(raw);
      raw.send({ type: 'bars.subscribe', id: 's', payload: { symbol: 'AAPL' } });
      await waitFor(() => raw.texts().some((m) => m.id === 's'));
    }
    const conns = connectionsOf(server);
    let seq = 0;
    // Each turn publishes a burst; in turn k the server closes connection k after the burst was queued for it.
    for (let t = 0; t < 12; t++) {
      for (let i = 0; i < 20; i++) server.app.hub.publish('bars:AAPL:1', { type: 'bars.update', topic: 'bars:AAPL:1', payload: bar(seq++) });
      if (t < conns.length) conns[t]!.close('GOING_AWAY');
      for (let i = 0; i < 5; i++) server.app.hub.publish('bars:AAPL:1', { type: 'bars.update', topic: 'bars:AAPL:1', payload: bar(seq++) });
      await turn();
    }
    await Promise.all(raws.map((r) => r.closed));
    raws.forEach((raw, k) => {
      const closeAt = raw.frames.findIndex((f) => f.opcode === 8);
      expect(closeAt, `client ${k} got a close frame`).to.be.greaterThan(-1);
      expect(raw.frames.slice(closeAt + 1), `client ${k}: frames after the close frame`).to.deep.equal([]);
      expect(raw.frames[closeAt]!.payload.readUInt16BE(0)).to.equal(1001);
      // Before the close: every frame published before the close decision (a close flushes for every reason but
      // SLOW_CONSUMER), none published after it.
      const got = raw.texts().filter(isSeq('bars:AAPL:1')).map((m) => m.payload.time as number);
      expect(got).to.deep.equal(range(0, 25 * k + 20));
    });
  });

  it('a connection expiring while publishing never gets a data frame after its close frame', async () => {
    server = await startServer({ websocket: { maxLifespanMs: 150 } }, { source: fastSource({ tickIntervalMs: 60_000 }) });
    for (let k = 0; k < 4; k++) {
      const raw = await RawClient.open(server.port, '/api/v1/ws');
      raws.push(raw);
      raw.send({ type: 'bars.subscribe', id: 's', payload: { symbol: 'AAPL' } });
      await waitFor(() => raw.texts().some((m) => m.id === 's'));
    }
    let seq = 0;
    // Bounded: publish every turn (bursts of 1..9) until every connection has expired, at most 5 s.
    const until = Date.now() + 5000;
    while (connectionsOf(server).length && Date.now() < until) {
      for (let i = 0; i <= seq % 9; i++) server.app.hub.publish('bars:AAPL:1', { type: 'bars.update', topic: 'bars:AAPL:1', payload: bar(seq++) });
      await turn();
    }
    await Promise.all(raws.map((r) => r.closed));
    for (const raw of raws) {
      const closeAt = raw.frames.findIndex((f) => f.opcode === 8);
      expect(closeAt).to.be.greaterThan(-1);
      expect(raw.frames.slice(closeAt + 1)).to.deep.equal([]);
      const got = raw.texts().filter(isSeq('bars:AAPL:1')).map((m) => m.payload.time as number);
      expect(got.length).to.be.greaterThan(0);
      expect(got).to.deep.equal(range(got[0]!, got[0]! + got.length));
    }
  });
});
