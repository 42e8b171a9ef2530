import { expect } from 'chai';
import { MemoryBroker } from '../../src/pubsub/broker-memory.ts';
import type { Broker, BrokerEventHandler } from '../../src/pubsub/broker.ts';
import type { Frame } from '../../src/pubsub/frame.ts';
import { Hub, type Subscriber } from '../../src/pubsub/hub.ts';

class Recorder implements Subscriber {
  readonly frames: Frame[] = [];
  constructor(readonly id: string) {}
  deliver(frame: Frame): void {
    this.frames.push(frame);
  }
  get texts(): string[] {
    return this.frames.map((f) => f.text);
  }
}

/** Records what the hub asks of the broker. */
class SpyBroker implements Broker {
  readonly calls: string[] = [];
  private readonly inner = new MemoryBroker();
  setHandler(h: BrokerEventHandler): void { this.inner.setHandler(h); }
  subscribe(t: string): void { this.calls.push(`sub ${t}`); this.inner.subscribe(t); }
  unsubscribe(t: string): void { this.calls.push(`unsub ${t}`); this.inner.unsubscribe(t); }
  publish(t: string, d: string): void { this.calls.push(`pub ${t}`); this.inner.publish(t, d); }
  close(): Promise<void> { return this.inner.close(); }
}

describe('Hub', () => {
  it('keeps topic→subscribers and subscriber→topics together; subscribe/unsubscribe are idempotent', () => {
    const hub = new Hub(new MemoryBroker());
    const a = new Recorder('a');
    expect(hub.subscribe(a, 't1')).to.equal(true);
    expect(hub.subscribe(a, 't1')).to.equal(false);
    hub.subscribe(a, 't2');
    expect([...hub.topicsOf(a)]).to.deep.equal(['t1', 't2']);
    expect(hub.subscriberCount('t1')).to.equal(1);
    expect(hub.unsubscribe(a, 't1')).to.equal(true);
    expect(hub.unsubscribe(a, 't1')).to.equal(false);
    expect(hub.subscriberCount('t1')).to.equal(0);
    expect(hub.activeTopics()).to.deep.equal(['t2']);
  });

  it('first subscriber subscribes the node at the broker, last one unsubscribes it; watchers are told', () => {
    const broker = new SpyBroker();
    const hub = new Hub(broker);
    const events: string[] = [];
    hub.watch({ active: (t) => events.push(`+${t}`), idle: (t) => events.push(`-${t}`) });
    const a = new Recorder('a');
    const b = new Recorder('b');
    hub.subscribe(a, 't');
    hub.subscribe(b, 't');
    hub.unsubscribe(a, 't');
    expect(broker.calls).to.deep.equal(['sub t']);
    hub.removeSubscriber(b);
    expect(broker.calls).to.deep.equal(['sub t', 'unsub t']);
    expect(events).to.deep.equal(['+t', '-t']);
    expect(hub.activeTopics()).to.deep.equal([]);
  });

  it('encodes once: every subscriber gets the very same Frame; non-subscribers get nothing', () => {
    const hub = new Hub(new MemoryBroker());
    const subs = [new Recorder('a'), new Recorder('b'), new Recorder('c')];
    for (const s of subs.slice(0, 2)) hub.subscribe(s, 'bars:AAPL:1');
    hub.subscribe(subs[2]!, 'bars:MSFT:1');
    hub.publish('bars:AAPL:1', { type: 'bars.update', n: 1 });
    expect(subs[0]!.frames).to.have.length(1);
    expect(subs[0]!.frames[0]).to.equal(subs[1]!.frames[0]);
    expect(subs[2]!.frames).to.deep.equal([]);
    expect(JSON.parse(subs[0]!.texts[0]!)).to.deep.equal({ type: 'bars.update', n: 1 });
  });

  it('delivers in publish order and removes a disconnected subscriber everywhere', () => {
    const hub = new Hub(new MemoryBroker());
    const a = new Recorder('a');
    hub.subscribe(a, 'x');
    hub.subscribe(a, 'y');
    for (let i = 0; i < 5; i++) hub.publish(i % 2 ? 'x' : 'y', { i });
    expect(a.texts.map((t) => JSON.parse(t).i)).to.deep.equal([0, 1, 2, 3, 4]);
    hub.removeSubscriber(a);
    hub.publish('x', { i: 99 });
    expect(a.frames).to.have.length(5);
    expect(hub.topicsOf(a).size).to.equal(0);
    expect(hub.activeTopics()).to.deep.equal([]);
  });

  it('a publication on a topic without subscribers is dropped by the broker', () => {
    const broker = new SpyBroker();
    const hub = new Hub(broker);
    hub.publish('nobody', { a: 1 });
    expect(broker.calls).to.deep.equal(['pub nobody']);
  });
});
