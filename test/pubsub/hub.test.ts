import { expect } from 'chai';
import { MemoryBroker } from '../../src/pubsub/broker-memory.ts';
import type { Broker, BrokerEventHandler, HistoryOptions, HistoryResult, PublishOptions, StreamPosition } from '../../src/pubsub/broker.ts';
import { Hub, type Subscriber } from '../../src/pubsub/hub.ts';
import { RecordingSubscriber } from '../support/subscriber.ts';
import { waitUntil } from '../support/wait.ts';

class Recorder extends RecordingSubscriber {}

/** Records what the hub asks of the broker; history reads can be held until the test releases them. */
class SpyBroker implements Broker {
  readonly calls: string[] = [];
  readonly inner = new MemoryBroker();
  handler: BrokerEventHandler | undefined;
  hold: Promise<void> | undefined;
  setHandler(h: BrokerEventHandler): void { this.handler = h; this.inner.setHandler(h); }
  async subscribe(t: string): Promise<void> { this.calls.push(`sub ${t}`); await this.inner.subscribe(t); }
  async unsubscribe(t: string): Promise<void> { this.calls.push(`unsub ${t}`); await this.inner.unsubscribe(t); }
  publish(t: string, d: string, o?: PublishOptions): Promise<StreamPosition> { this.calls.push(`pub ${t}`); return this.inner.publish(t, d, o); }
  setSnapshot(t: string, s: readonly string[]): Promise<StreamPosition> { return this.inner.setSnapshot(t, s); }
  async history(t: string, o: HistoryOptions): Promise<HistoryResult> {
    const result = await this.inner.history(t, o);
    if (this.hold) await this.hold;
    return result;
  }
  close(): Promise<void> { return this.inner.close(); }
}

async function subscribeLive(hub: Hub, s: Subscriber, topic: string, since?: StreamPosition) {
  const out = await hub.subscribe(s, topic, { since });
  hub.activate(s, topic);
  return out;
}

describe('Hub', () => {
  it('keeps topic→subscribers and subscriber→topics together; subscribe/unsubscribe are idempotent', async () => {
    const hub = new Hub(new MemoryBroker());
    const a = new Recorder('a');
    expect((await subscribeLive(hub, a, 't1')).status).to.equal('added');
    expect((await subscribeLive(hub, a, 't1')).status).to.equal('exists');
    await subscribeLive(hub, a, 't2');
    expect([...hub.topicsOf(a)]).to.deep.equal(['t1', 't2']);
    expect(hub.subscriberCount('t1')).to.equal(1);
    expect(hub.unsubscribe(a, 't1')).to.equal(true);
    expect(hub.unsubscribe(a, 't1')).to.equal(false);
    expect(hub.subscriberCount('t1')).to.equal(0);
    expect(hub.activeTopics()).to.deep.equal(['t2']);
  });

  it('a subscriber that leaves gets nothing more and the others keep getting everything, whichever one leaves', async () => {
    // The live subscribers are kept in an array with swap-remove: removing from the middle moves the last one.
    const hub = new Hub(new MemoryBroker());
    const subs = ['a', 'b', 'c', 'd'].map((id) => new Recorder(id));
    for (const s of subs) await subscribeLive(hub, s, 't');
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    await hub.publish('t', { n: 1 });
    await turn();
    hub.unsubscribe(subs[1]!, 't'); // the middle: d moves into its place
    await hub.publish('t', { n: 2 });
    await turn();
    hub.unsubscribe(subs[3]!, 't'); // the one that moved
    await hub.publish('t', { n: 3 });
    await turn();
    hub.unsubscribe(subs[0]!, 't'); // the first
    await hub.publish('t', { n: 4 });
    const ns = (s: Recorder) => s.messages.map((m) => m.n);
    expect(ns(subs[0]!)).to.deep.equal([1, 2, 3]);
    expect(ns(subs[1]!)).to.deep.equal([1]);
    expect(ns(subs[2]!)).to.deep.equal([1, 2, 3, 4]);
    expect(ns(subs[3]!)).to.deep.equal([1, 2]);
    expect(hub.subscriberCount('t')).to.equal(1);
    hub.unsubscribe(subs[2]!, 't');
    expect(hub.activeTopics()).to.deep.equal([]);
  });

  it('first subscriber subscribes the node at the broker, last one unsubscribes it; watchers are told', async () => {
    const broker = new SpyBroker();
    const hub = new Hub(broker);
    const events: string[] = [];
    hub.watch({ active: (t) => events.push(`+${t}`), idle: (t) => events.push(`-${t}`) });
    const a = new Recorder('a');
    const b = new Recorder('b');
    await subscribeLive(hub, a, 't');
    await subscribeLive(hub, b, 't');
    hub.unsubscribe(a, 't');
    expect(broker.calls).to.deep.equal(['sub t']);
    hub.removeSubscriber(b);
    await waitUntil(() => broker.calls.length === 2, 'the unsubscribe');
    expect(broker.calls).to.deep.equal(['sub t', 'unsub t']);
    expect(events).to.deep.equal(['+t', '-t']);
    expect(hub.activeTopics()).to.deep.equal([]);
  });

  it('encodes once: every subscriber gets the very same Frame with seq and topic appended; non-subscribers get nothing', async () => {
    const hub = new Hub(new MemoryBroker());
    const subs = [new Recorder('a'), new Recorder('b'), new Recorder('c')];
    for (const s of subs.slice(0, 2)) await subscribeLive(hub, s, 'bars:AAPL:1');
    await subscribeLive(hub, subs[2]!, 'bars:MSFT:1');
    await hub.publish('bars:AAPL:1', { type: 'bars.update', topic: 'bars:AAPL:1', n: 1 });
    await hub.publish('dashboard:prices', { type: 'price_update' });
    expect(subs[0]!.frames).to.have.length(1);
    expect(subs[0]!.frames[0]).to.equal(subs[1]!.frames[0]);
    expect(subs[2]!.frames).to.deep.equal([]);
    expect(subs[0]!.frames[0]!.text).to.equal('{"type":"bars.update","topic":"bars:AAPL:1","n":1,"seq":1}');
    const d = new Recorder('d');
    await subscribeLive(hub, d, 'dashboard:prices');
    await hub.publish('dashboard:prices', { type: 'price_update' });
    expect(d.frames[0]!.text).to.equal('{"type":"price_update","topic":"dashboard:prices","seq":2}');
  });

  it('delivers each topic in publish order, one batch per topic per turn, and removes a disconnected subscriber everywhere', async () => {
    const hub = new Hub(new MemoryBroker());
    const a = new Recorder('a');
    const calls: string[] = [];
    const deliverBatch = a.deliverBatch.bind(a);
    a.deliverBatch = (batch, start) => { calls.push('batch'); deliverBatch(batch, start); };
    await subscribeLive(hub, a, 'x');
    await subscribeLive(hub, a, 'y');
    for (let i = 0; i < 5; i++) void hub.publish(i % 2 ? 'x' : 'y', { i }); // one turn
    expect(calls).to.deep.equal(['batch', 'batch']);
    expect(a.messages.filter((m) => m.topic === 'y').map((m) => m.i)).to.deep.equal([0, 2, 4]);
    expect(a.messages.filter((m) => m.topic === 'x').map((m) => m.i)).to.deep.equal([1, 3]);
    hub.removeSubscriber(a);
    await hub.publish('x', { i: 99 });
    expect(a.frames).to.have.length(5);
    expect(hub.topicsOf(a).size).to.equal(0);
    expect(hub.activeTopics()).to.deep.equal([]);
  });

  it('a publication on a topic without subscribers is stored but reaches no subscriber', async () => {
    const broker = new SpyBroker();
    const hub = new Hub(broker);
    const late = new Recorder('late');
    const first = await hub.publish('nobody', { a: 1 });
    expect(broker.calls).to.deep.equal(['pub nobody']);
    expect(first).to.deep.include({ offset: 1 });
    const out = await subscribeLive(hub, late, 'nobody');
    expect(out).to.deep.equal({ status: 'added', position: first, recovered: false });
    expect(late.frames).to.deep.equal([]);
  });

  it('recovers: a resubscribe with `since` replays every missed publication in order, then live ones, no duplicate', async () => {
    const hub = new Hub(new MemoryBroker());
    const a = new Recorder('a');
    await subscribeLive(hub, a, 't');
    for (let i = 1; i <= 3; i++) await hub.publish('t', { i });
    const seen = hub.positionOf('t')!;
    hub.unsubscribe(a, 't');
    for (let i = 4; i <= 6; i++) await hub.publish('t', { i });
    const b = new Recorder('b');
    const out = await hub.subscribe(b, 't', { since: seen });
    expect(out).to.deep.equal({ status: 'added', position: { epoch: seen.epoch, offset: 6 }, recovered: true });
    await hub.publish('t', { i: 7 }); // while the caller sends its reply: held, delivered after the replay
    expect(b.frames).to.deep.equal([]);
    hub.activate(b, 't');
    await hub.publish('t', { i: 8 });
    expect(b.seqs).to.deep.equal([4, 5, 6, 7, 8]);
    expect(b.messages.map((m) => m.i)).to.deep.equal([4, 5, 6, 7, 8]);
  });

  it('merge: a publish between the node subscribe and the history read is delivered once, after the replay', async () => {
    const broker = new SpyBroker();
    const hub = new Hub(broker);
    const a = new Recorder('a');
    await subscribeLive(hub, a, 't');
    await hub.publish('t', { i: 1 });
    const since = hub.positionOf('t')!;
    hub.unsubscribe(a, 't');
    await hub.publish('t', { i: 2 });
    let release!: () => void;
    broker.hold = new Promise((r) => (release = r));
    const b = new Recorder('b');
    const pending = hub.subscribe(b, 't', { since });
    await waitUntil(() => broker.calls.filter((c) => c === 'sub t').length === 2, 'the node subscribe');
    await hub.publish('t', { i: 3 }); // after the history was read (offset 2), before the subscriber is live
    release();
    const out = await pending;
    expect(out).to.deep.include({ recovered: true });
    hub.activate(b, 't');
    await hub.publish('t', { i: 4 });
    expect(b.seqs).to.deep.equal([2, 3, 4]);
  });

  it('says recovered: false when the epoch changed or too much was missed (the cap), and delivers only after the position', async () => {
    const hub = new Hub(new MemoryBroker(), { recoveryLimit: 3 });
    await hub.publish('t', { i: 1 });
    const a = new Recorder('a');
    const old = await subscribeLive(hub, a, 't');
    hub.unsubscribe(a, 't');
    for (let i = 2; i <= 10; i++) await hub.publish('t', { i });
    const b = new Recorder('b');
    const capped = await subscribeLive(hub, b, 't', old.status === 'added' ? old.position : undefined);
    expect(capped).to.deep.include({ status: 'added', recovered: false, reason: 'limit' });
    expect(b.frames).to.deep.equal([]);
    const c = new Recorder('c');
    const otherEpoch = await subscribeLive(hub, c, 't', { epoch: 'gone', offset: 9 });
    expect(otherEpoch).to.deep.include({ status: 'added', recovered: false, reason: 'epoch' });
    await hub.publish('t', { i: 11 });
    expect(b.seqs).to.deep.equal([11]);
    expect(c.seqs).to.deep.equal([11]);
  });

  it('fills a gap on the live path from history; a gap it cannot fill removes the subscribers and tells them', async () => {
    const broker = new SpyBroker();
    const hub = new Hub(broker);
    const a = new Recorder('a');
    await subscribeLive(hub, a, 't');
    const p1 = (await hub.publish('t', { i: 1 }))!;
    // Two publications the node never hears of (a networked broker dropped them):
    await broker.inner.unsubscribe('t');
    await broker.inner.publish('t', '{"i":2}');
    await broker.inner.publish('t', '{"i":3}');
    await broker.inner.subscribe('t');
    await hub.publish('t', { i: 4 });
    await waitUntil(() => a.frames.length === 4, 'the gap filled');
    expect(a.seqs).to.deep.equal([1, 2, 3, 4]);
    expect(a.losses).to.deep.equal([]);
    // A new epoch on the live path cannot be filled: the subscriber is told and removed.
    broker.handler!.onPublication('t', '{"i":1}', { epoch: `${p1.epoch}-new`, offset: 1 });
    expect(a.losses).to.deep.equal(['t epoch']);
    expect(hub.topicsOf(a).size).to.equal(0);
  });

  it('checkPositions delivers publications the live path missed silently', async () => {
    const broker = new SpyBroker();
    const hub = new Hub(broker);
    const a = new Recorder('a');
    await subscribeLive(hub, a, 't');
    await hub.publish('t', { i: 1 });
    await broker.inner.unsubscribe('t');
    await broker.inner.publish('t', '{"i":2}');
    await broker.inner.subscribe('t');
    expect(a.seqs).to.deep.equal([1]);
    hub.onConnectionChange('up');
    await waitUntil(() => a.frames.length === 2, 'the missed publication');
    expect(a.seqs).to.deep.equal([1, 2]);
  });

  it('a refused publish is reported, not thrown', async () => {
    const errors: string[] = [];
    const broker = new SpyBroker();
    broker.publish = () => Promise.reject(new Error('down'));
    const hub = new Hub(broker, { onPublishError: (t, e) => errors.push(`${t} ${(e as Error).message}`) });
    expect(await hub.publish('t', { a: 1 })).to.equal(undefined);
    expect(errors).to.deep.equal(['t down']);
  });

  it('fromStart: a fresh subscriber gets the topic from its first publication (no snapshot), then live, when history holds it', async () => {
    const hub = new Hub(new MemoryBroker());
    for (let i = 1; i <= 3; i++) await hub.publish('run', { i }, { snapshot: [{ latest: i }] });
    const a = new Recorder('a');
    const out = await hub.subscribe(a, 'run', { fromStart: true });
    expect(out).to.deep.include({ status: 'added', recovered: false });
    expect(out.status === 'added' && out.position.offset).to.equal(0);
    expect(out.status === 'added' && out.snapshot).to.equal(undefined);
    await hub.publish('run', { i: 4 });
    hub.activate(a, 'run');
    await hub.publish('run', { i: 5 });
    expect(a.seqs).to.deep.equal([1, 2, 3, 4, 5]);
    // Without fromStart the same subscriber would get the snapshot, current to offset 5.
    const b = new Recorder('b');
    const plain = await hub.subscribe(b, 'run');
    expect(plain.status === 'added' && plain.position.offset).to.equal(5);
  });

  it('subscribers replaying the same publications share one frame per publication', async () => {
    const hub = new Hub(new MemoryBroker());
    const keep = new Recorder('keep');
    await subscribeLive(hub, keep, 't'); // keeps the topic (and its replay cache) active
    const since = (await hub.publish('t', { i: 1 }))!;
    for (let i = 2; i <= 4; i++) await hub.publish('t', { i });
    const a = new Recorder('a');
    const b = new Recorder('b');
    await subscribeLive(hub, a, 't', since);
    await subscribeLive(hub, b, 't', since);
    expect(a.seqs).to.deep.equal([2, 3, 4]);
    expect(b.frames.map((f, i) => f === a.frames[i])).to.deep.equal([true, true, true]);
  });

  it('a producer follows the cluster: remote interest makes a topic active for the watchers until local and remote interest are both gone', async () => {
    const hub = new Hub(new MemoryBroker());
    const events: string[] = [];
    hub.watch({ active: (t) => events.push(`+${t}`), idle: (t) => events.push(`-${t}`) });
    hub.onInterest('t', true);
    hub.onInterest('t', true);
    expect(events).to.deep.equal(['+t']);
    expect(hub.activeTopics()).to.deep.equal(['t']);
    const a = new Recorder('a');
    await subscribeLive(hub, a, 't'); // already active: no second event
    hub.onInterest('t', false); // a local subscriber remains
    expect(events).to.deep.equal(['+t']);
    hub.unsubscribe(a, 't');
    expect(events).to.deep.equal(['+t', '-t']);
    await expectReject(hub.followClusterInterest(), /networked broker/);
  });

  it('hands each live subscriber one batch per topic per turn and seals every open batch when the turn ends', async () => {
    const hub = new Hub(new MemoryBroker());
    const batches: { topic: string; batch: import('../../src/pubsub/frame.ts').TopicBatch }[] = [];
    // Never reads its batches (a socket that is closing): only the end of the turn can seal them.
    const idle: Subscriber = { id: 'idle', deliver: () => undefined, lost: () => undefined, batches: { deliverBatch: (batch) => { batches.push({ topic: JSON.parse(batch.frames[0]!.text).topic, batch }); }, flushBatch: () => { throw new Error('the default fan-out hands over at once'); } } };
    for (const t of ['a', 'b', 'c']) await subscribeLive(hub, idle, t);
    for (let i = 0; i < 3; i++) for (const t of ['a', 'b', 'c']) void hub.publish(t, { i });
    expect(batches.map((b) => b.topic)).to.deep.equal(['a', 'b', 'c']);
    expect(batches.map((b) => b.batch.frames.length)).to.deep.equal([3, 3, 3]);
    expect(batches.every((b) => !b.batch.sealed)).to.equal(true);
    await new Promise((r) => setImmediate(r));
    expect(batches.every((b) => b.batch.sealed)).to.equal(true);
    void hub.publish('a', { i: 4 });
    expect(batches).to.have.length(4); // the next turn opens a new batch; the sealed one did not grow
    expect(batches[0]!.batch.frames).to.have.length(3);
    expect(batches[3]!.batch.frames.map((f) => JSON.parse(f.text).seq)).to.deep.equal([4]);
  });

  it('a fan-out that hands batches over later gets the sinks as they were when the batch began', async () => {
    const handed: { batch: import('../../src/pubsub/frame.ts').TopicBatch; sinks: readonly unknown[] }[] = [];
    const hub = new Hub(new MemoryBroker(), { fanOut: (batch, sinks) => handed.push({ batch, sinks }) });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => new Recorder(id));
    await subscribeLive(hub, a!, 't');
    await subscribeLive(hub, b!, 't');
    void hub.publish('t', { n: 1 });
    expect(handed).to.have.length(1);
    const sinks = handed[0]!.sinks;
    expect(sinks).to.deep.equal([a, b]);
    hub.unsubscribe(a!, 't'); // the last one moves into its slot of the live array: not into the handed-out one
    await subscribeLive(hub, c!, 't');
    expect(handed[0]!.sinks).to.equal(sinks);
    expect([...sinks]).to.deep.equal([a, b]);
    await new Promise((r) => setImmediate(r));
    void hub.publish('t', { n: 2 });
    expect(handed[1]!.sinks).to.deep.equal([b, c]);
  });

  it("hands a subscriber's topic batches to its batch sink, and frames to the subscriber", async () => {
    const hub = new Hub(new MemoryBroker());
    const sink = new Recorder('sink');
    const direct = new Recorder('direct');
    const sub: Subscriber = { id: 's', deliver: (f) => direct.deliver(f), lost: () => undefined, batches: sink };
    await hub.subscribe(sub, 't');
    hub.activate(sub, 't');
    for (let i = 0; i < 3; i++) void hub.publish('t', { i });
    expect(sink.seqs).to.deep.equal([1, 2, 3]);
    expect(direct.seqs).to.deep.equal([]);
  });
});

async function expectReject(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(String(err)).to.match(pattern);
    return;
  }
  throw new Error('expected a rejection');
}
