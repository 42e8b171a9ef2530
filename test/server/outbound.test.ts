import { expect } from 'chai';
import { textFrame, TopicBatch } from '../../src/pubsub/frame.ts';
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
  it('coalesces the frames of one turn into one write, in order', async () => {
    const socket = new FakeSocket();
    const q = new OutboundQueue(socket, new FlushScheduler(), 1 << 20, () => undefined);
    const frames = [0, 1, 2, 3, 4].map((i) => textFrame(String(i)));
    for (const f of frames) q.push(f);
    expect(socket.writes).to.have.length(0);
    await turn();
    expect(socket.writes).to.deep.equal([[Buffer.concat(frames.map((f) => f.bytes))]]);
  });

  it('calls onOverflow once and stops at the bound (queued + socket-buffered bytes)', async () => {
    const socket = new FakeSocket();
    let overflows = 0;
    const q = new OutboundQueue(socket, new FlushScheduler(), 100, () => overflows++);
    socket.writableLength = 60;
    expect(q.push(textFrame('a'.repeat(20)))).to.equal(true); // 22 + 60 = 82
    expect(q.push(textFrame('b'.repeat(20)))).to.equal(false); // 104 > 100
    expect(q.push(textFrame('c'))).to.equal(false);
    expect(overflows).to.equal(1);
    await turn();
    expect(socket.writes).to.deep.equal([]);
  });

  it('pendingBytes counts queued topic batches, as they grow, from their start frame', async () => {
    const socket = new FakeSocket();
    const q = new OutboundQueue(socket, new FlushScheduler(), 1 << 20, () => undefined);
    const batch = new TopicBatch();
    const a = textFrame('a'.repeat(10));
    batch.add(a);
    const late = new TopicBatch();
    late.add(a);
    q.deliverBatch(batch, 0);
    q.deliverBatch(late, 1); // from its second frame on: the first is not ours
    expect(q.pendingBytes).to.equal(a.bytes.length);
    batch.add(textFrame('b'.repeat(20)));
    late.add(textFrame('c'.repeat(30)));
    const single = textFrame('d');
    q.push(single);
    socket.writableLength = 7;
    expect(q.pendingBytes).to.equal(a.bytes.length + 22 + 32 + single.bytes.length + 7);
    await turn();
    expect(q.pendingBytes).to.equal(7);
  });

  it('never writes once closed (the owner closes it when the WebSocket leaves OPEN): not what was queued, not later pushes', async () => {
    const socket = new FakeSocket();
    const q = new OutboundQueue(socket, new FlushScheduler(), 1 << 20, () => undefined);
    q.push(textFrame('x'));
    const batch = new TopicBatch();
    batch.add(textFrame('b'));
    q.deliverBatch(batch, 0);
    q.close();
    expect(q.push(textFrame('y'))).to.equal(false);
    q.deliverBatch(batch, 0);
    await turn();
    expect(socket.writes).to.deep.equal([]);
  });

  it('one scheduler flushes many queues in one pass, each exactly once', async () => {
    const scheduler = new FlushScheduler();
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    const queues = sockets.map((s) => new OutboundQueue(s, scheduler, 1 << 20, () => undefined));
    const f = textFrame('shared');
    for (const q of queues) { q.push(f); q.push(f); }
    await turn();
    for (const s of sockets) {
      expect(s.writes).to.have.length(1);
      expect(s.writes[0]).to.have.length(1);
      expect(s.writes[0]![0]).to.deep.equal(Buffer.concat([f.bytes, f.bytes]));
      expect(s.writes[0]![0]).to.equal(sockets[0]!.writes[0]![0]); // one concatenation shared, not a copy each
    }
  });

  it('a single queued frame is written as the shared frame itself; different batches get their own bytes', async () => {
    const scheduler = new FlushScheduler();
    const [a, b, c] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    const [qa, qb, qc] = [a, b, c].map((s) => new OutboundQueue(s, scheduler, 1 << 20, () => undefined));
    const one = textFrame('one');
    const two = textFrame('two');
    qa!.push(one);
    qb!.push(one);
    qb!.push(two);
    qc!.push(two);
    qc!.push(one);
    await turn();
    expect(a.writes[0]![0]).to.equal(one.bytes);
    expect(b.writes[0]![0]).to.deep.equal(Buffer.concat([one.bytes, two.bytes]));
    expect(c.writes[0]![0]).to.deep.equal(Buffer.concat([two.bytes, one.bytes]));
  });

  it('a queue flushed many times writes only what was queued since the last pass, batches and frames in order', async () => {
    const socket = new FakeSocket();
    const q = new OutboundQueue(socket, new FlushScheduler(), 1 << 20, () => undefined);
    const expected: Buffer[] = [];
    for (let pass = 0; pass < 4; pass++) {
      const batch = new TopicBatch();
      const reply = textFrame(`reply ${pass}`);
      batch.add(textFrame(`a ${pass}`));
      q.deliverBatch(batch, 0);
      if (pass % 2) q.push(reply);
      batch.add(textFrame(`b ${pass}`)); // appended after the hand-over: still goes with the batch
      await turn();
      expected.push(Buffer.concat([...batch.frames.map((f) => f.bytes), ...(pass % 2 ? [reply.bytes] : [])]));
    }
    expect(socket.writes.map((w) => w[0])).to.deep.equal(expected);
    expect(q.pendingBytes).to.equal(0);
  });

  it('a queue that gets its first frame while a pass is writing (a write side effect) is written in that pass', async () => {
    const scheduler = new FlushScheduler();
    const later = new FakeSocket();
    const qLater = new OutboundQueue(later, scheduler, 1 << 20, () => undefined);
    const reacting = new FakeSocket();
    const write = reacting.write.bind(reacting);
    reacting.write = (chunk) => {
      qLater.push(textFrame('reaction'));
      return write(chunk);
    };
    const q = new OutboundQueue(reacting, scheduler, 1 << 20, () => undefined);
    q.push(textFrame('first'));
    await turn();
    expect(reacting.writes).to.have.length(1);
    expect(later.writes.map((w) => w[0]!.toString('utf8', 2))).to.deep.equal(['reaction']);
  });
});

describe('FlushScheduler as the hub fan-out (a topic batch handed to its subscribers at the flush pass)', () => {
  function setup(n: number) {
    const scheduler = new FlushScheduler();
    const sockets = Array.from({ length: n }, () => new FakeSocket());
    const queues = sockets.map((s) => new OutboundQueue(s, scheduler, 1 << 20, () => undefined));
    const frames = (s: FakeSocket) => s.writes.map((w) => Buffer.concat(w).toString('latin1'));
    return { scheduler, sockets, queues, frames };
  }
  const bytes = (...fs: ReturnType<typeof textFrame>[]) => Buffer.concat(fs.map((f) => f.bytes)).toString('latin1');

  it('one batch and nothing else: every sink gets one write with every frame the batch got in the turn', async () => {
    const { scheduler, sockets, queues, frames } = setup(3);
    const batch = new TopicBatch();
    const [f1, f2] = [textFrame('1'), textFrame('2')];
    batch.add(f1);
    scheduler.fanOut(batch, queues);
    batch.add(f2);
    expect(sockets.every((s) => s.writes.length === 0)).to.equal(true);
    await turn();
    for (const s of sockets) expect(frames(s)).to.deep.equal([bytes(f1, f2)]);
    expect(scheduler.stats).to.deep.include({ messages: 6, writes: 3 });
  });

  it('a frame pushed after the batch began goes after it (as if handed over at once); the other sinks still get the batch', async () => {
    const { scheduler, sockets, queues, frames } = setup(2);
    const batch = new TopicBatch();
    const update = textFrame('update');
    const reply = textFrame('reply');
    batch.add(update);
    scheduler.fanOut(batch, queues);
    queues[0]!.push(reply);
    await turn();
    expect(frames(sockets[0]!)).to.deep.equal([bytes(update, reply)]);
    expect(frames(sockets[1]!)).to.deep.equal([bytes(update)]);
  });

  it('a flush outside the pass (a close) first takes the batches published to it; a closed sink gets nothing later', async () => {
    const { scheduler, sockets, queues, frames } = setup(2);
    const batch = new TopicBatch();
    const f = textFrame('before the close');
    batch.add(f);
    scheduler.fanOut(batch, queues);
    queues[0]!.flush();
    queues[0]!.close();
    expect(frames(sockets[0]!)).to.deep.equal([bytes(f)]);
    await turn();
    expect(frames(sockets[0]!)).to.deep.equal([bytes(f)]);
    expect(frames(sockets[1]!)).to.deep.equal([bytes(f)]);
  });

  it('several topic batches in a turn: each sink gets one write with all of its topics, each in its order', async () => {
    const { scheduler, sockets, queues, frames } = setup(3);
    const [a, b] = [new TopicBatch(), new TopicBatch()];
    const [a1, a2, b1] = [textFrame('a1'), textFrame('a2'), textFrame('b1')];
    a.add(a1);
    scheduler.fanOut(a, [queues[0]!, queues[1]!]);
    b.add(b1);
    scheduler.fanOut(b, [queues[1]!, queues[2]!]);
    a.add(a2);
    await turn();
    expect(frames(sockets[0]!)).to.deep.equal([bytes(a1, a2)]);
    expect(frames(sockets[1]!)).to.deep.equal([bytes(a1, a2, b1)]);
    expect(frames(sockets[2]!)).to.deep.equal([bytes(b1)]);
  });

  it('a sink that joins after the batch began gets it from its next frame only, after its own replay', async () => {
    const { scheduler, sockets, queues, frames } = setup(2);
    const batch = new TopicBatch();
    const [f1, f2] = [textFrame('1'), textFrame('2')];
    batch.add(f1);
    scheduler.fanOut(batch, [queues[0]!]);
    queues[1]!.push(f1); // the joiner's replay (what it missed), then live from the batch's next frame
    queues[1]!.deliverBatch(batch, batch.frames.length);
    batch.add(f2);
    await turn();
    expect(frames(sockets[0]!)).to.deep.equal([bytes(f1, f2)]);
    expect(frames(sockets[1]!)).to.deep.equal([bytes(f1, f2)]);
  });
});
