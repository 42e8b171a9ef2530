import { expect } from 'chai';
import { textFrame } from '../../src/pubsub/frame.ts';
import { FlushScheduler, OutboundQueue, type WritableSocket } from '../../src/server/outbound.ts';

class FakeSocket implements WritableSocket {
  writes: Buffer[][] = [];
  private corked: Buffer[] | undefined;
  writableLength = 0;
  write(chunk: Buffer): boolean {
    if (this.corked) this.corked.push(chunk);
    else this.writes.push([chunk]);
    return true;
  }
  cork(): void {
    this.corked = [];
  }
  uncork(): void {
    if (this.corked?.length) this.writes.push(this.corked);
    this.corked = undefined;
  }
}

const turn = () => new Promise((r) => setImmediate(r));

describe('OutboundQueue', () => {
  it('coalesces the frames of one turn into one corked write, in order', async () => {
    const socket = new FakeSocket();
    const q = new OutboundQueue(socket, new FlushScheduler(), 1 << 20, () => undefined, () => true);
    for (let i = 0; i < 5; i++) q.push(textFrame(String(i)));
    expect(socket.writes).to.have.length(0);
    await turn();
    expect(socket.writes).to.have.length(1);
    expect(socket.writes[0]!.map((b) => b.subarray(2).toString())).to.deep.equal(['0', '1', '2', '3', '4']);
  });

  it('calls onOverflow once and stops at the bound (queued + socket-buffered bytes)', async () => {
    const socket = new FakeSocket();
    let overflows = 0;
    const q = new OutboundQueue(socket, new FlushScheduler(), 100, () => overflows++, () => true);
    socket.writableLength = 60;
    expect(q.push(textFrame('a'.repeat(20)))).to.equal(true); // 22 + 60 = 82
    expect(q.push(textFrame('b'.repeat(20)))).to.equal(false); // 104 > 100
    expect(q.push(textFrame('c'))).to.equal(false);
    expect(overflows).to.equal(1);
    await turn();
    expect(socket.writes).to.deep.equal([]);
  });

  it('never writes once the socket is closing or the queue is closed', async () => {
    const socket = new FakeSocket();
    let open = true;
    const q = new OutboundQueue(socket, new FlushScheduler(), 1 << 20, () => undefined, () => open);
    q.push(textFrame('x'));
    open = false;
    await turn();
    expect(socket.writes).to.deep.equal([]);
    open = true;
    q.close();
    expect(q.push(textFrame('y'))).to.equal(false);
    await turn();
    expect(socket.writes).to.deep.equal([]);
  });

  it('one scheduler flushes many queues in one pass, each exactly once', async () => {
    const scheduler = new FlushScheduler();
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    const queues = sockets.map((s) => new OutboundQueue(s, scheduler, 1 << 20, () => undefined, () => true));
    const f = textFrame('shared');
    for (const q of queues) { q.push(f); q.push(f); }
    await turn();
    for (const s of sockets) {
      expect(s.writes).to.have.length(1);
      expect(s.writes[0]).to.have.length(2);
      expect(s.writes[0]![0]).to.equal(f.bytes); // the same bytes, not a copy
    }
  });
});
