/**
 * The Broker contract (src/pubsub/broker.ts), run against every implementation: broker-memory.test.ts and
 * broker-redis.test.ts call describeBrokerConformance with a fixture that builds a fresh broker.
 */
import { expect } from 'chai';
import type { Broker, BrokerEventHandler, HistoryPolicy, StreamPosition } from '../../src/pubsub/broker.ts';
import { waitUntil } from '../support/wait.ts';

export interface BrokerFixture {
  /**
   * A fresh broker whose every topic keeps at most `policy.size` publications (the suite asks for small ones).
   * Two brokers made by one fixture share storage (they are two nodes), unless the fixture cannot (memory).
   */
  make(policy: HistoryPolicy): Promise<Broker>;
  /** True when two brokers from make() see each other's publications (networked brokers). */
  shared: boolean;
  /**
   * Loses every topic's history the way this broker can (memory: a new process, i.e. a new broker; Redis: the data
   * is flushed) and returns a broker working on what is left.
   */
  loseHistory(old: Broker, policy: HistoryPolicy): Promise<Broker>;
  /** Releases what make() created; called after each test. */
  cleanup(): Promise<void>;
}

class Recorder implements BrokerEventHandler {
  readonly got: { topic: string; data: string; position: StreamPosition }[] = [];
  onPublication(topic: string, data: string, position: StreamPosition): void {
    this.got.push({ topic, data, position });
  }
  offsets(topic: string): number[] {
    return this.got.filter((g) => g.topic === topic).map((g) => g.position.offset);
  }
}

let topicSeq = 0;
/** Unique topic names, so implementations with shared storage never see another test's data. */
function topic(name: string): string {
  return `test:${process.pid}:${Date.now()}:${++topicSeq}:${name}`;
}

export function describeBrokerConformance(name: string, fx: BrokerFixture): void {
  describe(`Broker conformance: ${name}`, function () {
    this.timeout(15_000);
    const policy: HistoryPolicy = { size: 5, ttlMs: 60_000 };
    const brokers: Broker[] = [];
    const make = async (p: HistoryPolicy = policy) => {
      const b = await fx.make(p);
      brokers.push(b);
      return b;
    };

    afterEach(async () => {
      for (const b of brokers.splice(0)) await b.close();
      await fx.cleanup();
    });

    it('assigns contiguous offsets per topic from 1 under one epoch; topics are independent', async () => {
      const b = await make();
      const t1 = topic('a');
      const t2 = topic('b');
      const p = [await b.publish(t1, '"x1"'), await b.publish(t2, '"y1"'), await b.publish(t1, '"x2"'), await b.publish(t1, '"x3"')];
      expect(p.map((x) => x.offset)).to.deep.equal([1, 1, 2, 3]);
      expect(p[0]!.epoch).to.be.a('string').with.length.greaterThan(0);
      expect(p[2]!.epoch).to.equal(p[0]!.epoch);
      expect(p[3]!.epoch).to.equal(p[0]!.epoch);
    });

    it('a topic never published to has offset 0; history without `since` returns only the position', async () => {
      const b = await make();
      const t = topic('empty');
      const h = await b.history(t, { limit: 10 });
      expect(h).to.include({ recoverable: true });
      expect(h.position.offset).to.equal(0);
      const p = await b.publish(t, '"one"');
      expect(p).to.deep.equal({ epoch: h.position.epoch, offset: 1 });
      const h2 = await b.history(t, { limit: 10 });
      expect(h2).to.deep.equal({ recoverable: true, position: p, publications: [] });
    });

    it('delivers publications on subscribed topics only, in publish order, with their positions, until unsubscribed', async () => {
      const b = await make();
      const rec = new Recorder();
      b.setHandler(rec);
      const t = topic('live');
      const other = topic('other');
      await b.subscribe(t);
      const published: StreamPosition[] = [];
      for (let i = 1; i <= 20; i++) published.push(await b.publish(t, JSON.stringify({ i })));
      await b.publish(other, '"not subscribed"');
      await waitUntil(() => rec.got.length >= 20, '20 publications');
      expect(rec.got.map((g) => g.topic)).to.deep.equal(Array(20).fill(t));
      expect(rec.got.map((g) => JSON.parse(g.data).i)).to.deep.equal(published.map((_, i) => i + 1));
      expect(rec.got.map((g) => g.position)).to.deep.equal(published);
      await b.unsubscribe(t);
      const marker = topic('marker');
      await b.subscribe(marker);
      await b.publish(t, '"after unsubscribe"');
      await b.publish(marker, '"marker"');
      await waitUntil(() => rec.got.some((g) => g.topic === marker), 'the marker');
      expect(rec.got.filter((g) => g.topic === t)).to.have.length(20);
    });

    it('history returns every publication after a position, in order; at the top it returns none', async () => {
      const b = await make();
      const t = topic('hist');
      const p: StreamPosition[] = [];
      for (let i = 1; i <= 4; i++) p.push(await b.publish(t, `"m${i}"`));
      const h = await b.history(t, { since: p[0]!, limit: 10 });
      expect(h).to.deep.equal({
        recoverable: true,
        position: p[3],
        publications: [{ offset: 2, data: '"m2"' }, { offset: 3, data: '"m3"' }, { offset: 4, data: '"m4"' }],
      });
      const top = await b.history(t, { since: p[3]!, limit: 10 });
      expect(top).to.deep.equal({ recoverable: true, position: p[3], publications: [] });
      const fromZero = await b.history(t, { since: { epoch: p[0]!.epoch, offset: 0 }, limit: 10 });
      expect(fromZero.recoverable && fromZero.publications.map((x) => x.offset)).to.deep.equal([1, 2, 3, 4]);
    });

    it('history is bounded: a position older than what is kept is `expired`; more missed than `limit` is `limit`', async () => {
      const b = await make({ size: 5, ttlMs: 60_000 });
      const t = topic('bounded');
      const p: StreamPosition[] = [];
      for (let i = 1; i <= 12; i++) p.push(await b.publish(t, `"m${i}"`));
      // Kept: 8..12. Since 7 needs 8..12: recoverable. Since 6 needs 7: gone.
      const ok = await b.history(t, { since: p[6]!, limit: 10 });
      expect(ok.recoverable && ok.publications.map((x) => x.offset)).to.deep.equal([8, 9, 10, 11, 12]);
      const gone = await b.history(t, { since: p[5]!, limit: 10 });
      expect(gone).to.deep.equal({ recoverable: false, position: p[11], reason: 'expired' });
      const capped = await b.history(t, { since: p[8]!, limit: 2 });
      expect(capped).to.deep.equal({ recoverable: false, position: p[11], reason: 'limit' });
    });

    it('a position from another epoch, or ahead of the top, is never trusted', async () => {
      const b = await make();
      const t = topic('epoch');
      const p = await b.publish(t, '"m1"');
      expect(await b.history(t, { since: { epoch: `${p.epoch}x`, offset: 1 }, limit: 10 })).to.deep.equal({ recoverable: false, position: p, reason: 'epoch' });
      expect(await b.history(t, { since: { epoch: p.epoch, offset: 9 }, limit: 10 })).to.deep.equal({ recoverable: false, position: p, reason: 'epoch' });
    });

    it('when history is lost the epoch changes and offsets start again; an old position is refused', async () => {
      const b = await make();
      const t = topic('lost');
      await b.publish(t, '"m1"');
      const old = await b.publish(t, '"m2"');
      const b2 = await fx.loseHistory(b, policy);
      if (b2 !== b) brokers.push(b2);
      const fresh = await b2.publish(t, '"n1"');
      expect(fresh.offset).to.equal(1);
      expect(fresh.epoch).to.not.equal(old.epoch);
      expect(await b2.history(t, { since: old, limit: 10 })).to.deep.equal({ recoverable: false, position: fresh, reason: 'epoch' });
    });

    it('forget drops a topic now: no history, no snapshot, the next publish starts a new epoch from 1; others stay', async function () {
      const b = await make();
      if (!b.forget) this.skip();
      const t = topic('forget');
      const other = topic('kept');
      await b.publish(t, '"m1"');
      const old = await b.publish(t, '"m2"', { snapshot: ['"state"'] });
      const kept = await b.publish(other, '"o1"');
      await b.forget!(t);
      expect(await b.history(t, { limit: 10, snapshot: true })).to.deep.include({ recoverable: true, publications: [] });
      expect((await b.history(t, { limit: 10, snapshot: true })).snapshot).to.equal(undefined);
      const fresh = await b.publish(t, '"n1"');
      expect(fresh.offset).to.equal(1);
      expect(fresh.epoch).to.not.equal(old.epoch);
      expect(await b.history(t, { since: old, limit: 10 })).to.deep.equal({ recoverable: false, position: fresh, reason: 'epoch' });
      const rest = await b.history(other, { since: { epoch: kept.epoch, offset: 0 }, limit: 10 });
      expect(rest.recoverable && rest.publications.map((p) => p.data)).to.deep.equal(['"o1"']);
    });

    it('a publish racing a subscribe: live delivery after subscribe plus history since 0 cover every offset once', async () => {
      const big = { size: 100, ttlMs: 60_000 };
      const producer = await make(big);
      const node = fx.shared ? await make(big) : producer;
      const rec = new Recorder();
      node.setHandler(rec);
      const t = topic('race');
      const publishes: Promise<StreamPosition>[] = [];
      for (let i = 0; i < 20; i++) publishes.push(producer.publish(t, `"a${i}"`));
      const subscribed = node.subscribe(t);
      for (let i = 0; i < 20; i++) publishes.push(producer.publish(t, `"b${i}"`));
      await subscribed;
      const positions = await Promise.all(publishes);
      const h = await node.history(t, { since: { epoch: positions[0]!.epoch, offset: 0 }, limit: 100 });
      expect(h.recoverable).to.equal(true);
      for (let i = 0; i < 10; i++) publishes.push(producer.publish(t, `"c${i}"`));
      await Promise.all(publishes);
      await waitUntil(() => rec.offsets(t).includes(50), 'offset 50 live');
      const merged = new Map<number, string>();
      if (h.recoverable) for (const x of h.publications) merged.set(x.offset, x.data);
      const live = rec.got.filter((g) => g.topic === t);
      // Live delivery is in order and contiguous from the first offset it delivers.
      const liveOffsets = live.map((g) => g.position.offset);
      expect(liveOffsets).to.deep.equal(liveOffsets.map((_, i) => liveOffsets[0]! + i));
      for (const g of live) {
        if (merged.has(g.position.offset)) expect(merged.get(g.position.offset)).to.equal(g.data);
        merged.set(g.position.offset, g.data);
      }
      expect([...merged.keys()].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(liveOffsets[0]).to.be.at.most(h.position.offset + 1);
    });

    it('a snapshot is stored with its publication and returned, current to the position, when nothing is replayed', async () => {
      const b = await make();
      const t = topic('snap');
      await b.publish(t, '"m1"', { snapshot: ['{"s":1}'] });
      const p2 = await b.publish(t, '"m2"', { snapshot: ['{"s":2}', '{"x":true}'] });
      expect(await b.history(t, { limit: 10, snapshot: true })).to.deep.equal({ recoverable: true, position: p2, publications: [], snapshot: ['{"s":2}', '{"x":true}'] });
      // Without asking, or when publications are replayed, no snapshot.
      expect(await b.history(t, { limit: 10 })).to.deep.equal({ recoverable: true, position: p2, publications: [] });
      const replay = await b.history(t, { since: { epoch: p2.epoch, offset: 1 }, limit: 10, snapshot: true });
      expect(replay).to.deep.equal({ recoverable: true, position: p2, publications: [{ offset: 2, data: '"m2"' }] });
      // Unrecoverable: the snapshot comes with the refusal.
      const refused = await b.history(t, { since: { epoch: 'other', offset: 1 }, limit: 10, snapshot: true });
      expect(refused).to.deep.equal({ recoverable: false, position: p2, reason: 'epoch', snapshot: ['{"s":2}', '{"x":true}'] });
      // A publication without a snapshot leaves the old one behind: it is no longer current, so none is returned.
      const p3 = await b.publish(t, '"m3"');
      expect(await b.history(t, { limit: 10, snapshot: true })).to.deep.equal({ recoverable: true, position: p3, publications: [] });
      // setSnapshot makes one current to the top without publishing.
      expect(await b.setSnapshot(t, ['{"s":3}'])).to.deep.equal(p3);
      expect(await b.history(t, { limit: 10, snapshot: true })).to.deep.equal({ recoverable: true, position: p3, publications: [], snapshot: ['{"s":3}'] });
      // Before any publication: a snapshot current to offset 0.
      const fresh = topic('snap-fresh');
      const p0 = await b.setSnapshot(fresh, ['{"initial":true}']);
      expect(p0.offset).to.equal(0);
      expect(await b.history(fresh, { limit: 10, snapshot: true })).to.deep.equal({ recoverable: true, position: p0, publications: [], snapshot: ['{"initial":true}'] });
    });

    if (fx.shared) {
      it('interest: a node watching hears which topics any node subscribes, and when the last one leaves', async () => {
        const producer = await make();
        const edge = await make();
        const heard: string[] = [];
        producer.setHandler({ onPublication: () => undefined, onInterest: (t, on) => heard.push(`${on ? '+' : '-'}${t}`) });
        const before = topic('interest-before');
        await edge.subscribe(before);
        await producer.watchInterest!();
        await waitUntil(() => heard.includes(`+${before}`), 'interest in a topic subscribed before watching');
        const t = topic('interest');
        await edge.subscribe(t);
        await waitUntil(() => heard.includes(`+${t}`), 'interest in a new topic');
        await edge.unsubscribe(t);
        await waitUntil(() => heard.includes(`-${t}`), 'the interest lapsing');
      });

      it('two nodes: a publication from one reaches the other with the same position and bytes', async () => {
        const a = await make();
        const b = await make();
        const rec = new Recorder();
        b.setHandler(rec);
        const t = topic('nodes');
        await b.subscribe(t);
        const p = await a.publish(t, '{"k":"é"}');
        await waitUntil(() => rec.got.length === 1, 'the publication on node b');
        expect(rec.got[0]).to.deep.equal({ topic: t, data: '{"k":"é"}', position: p });
      });
    }
  });
}
