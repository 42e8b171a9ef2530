import { expect } from 'chai';
import { MemoryBroker } from '../../src/pubsub/broker-memory.ts';
import { describeBrokerConformance } from './broker.conformance.ts';

describeBrokerConformance('memory', {
  shared: false,
  make: async (policy) => new MemoryBroker({ historyPolicy: () => policy }),
  // A memory broker's history is its process's: losing it means a new broker.
  loseHistory: async (old, policy) => {
    await old.close();
    return new MemoryBroker({ historyPolicy: () => policy });
  },
  cleanup: async () => undefined,
});

describe('MemoryBroker', () => {
  it('drops publications older than the TTL, and forgets an idle topic after the meta TTL (new epoch)', async () => {
    let now = 1_000_000;
    const b = new MemoryBroker({ historyPolicy: () => ({ size: 100, ttlMs: 1000 }), metaTtlMs: 5000, now: () => now });
    const p1 = await b.publish('t', '"a"');
    now += 600;
    const p2 = await b.publish('t', '"b"');
    now += 600; // p1 is 1200 ms old, p2 600 ms
    const h = await b.history('t', { since: { epoch: p1.epoch, offset: 0 }, limit: 10 });
    expect(h).to.deep.equal({ recoverable: false, position: p2, reason: 'expired' });
    const ok = await b.history('t', { since: p1, limit: 10 });
    expect(ok).to.deep.equal({ recoverable: true, position: p2, publications: [{ offset: 2, data: '"b"' }] });
    expect(b.stats()).to.deep.equal({ topics: 1, publications: 1, bytes: 3 });
    now += 10_000;
    b.sweep();
    expect(b.stats()).to.deep.equal({ topics: 0, publications: 0, bytes: 0 });
    const fresh = await b.publish('t', '"c"');
    expect(fresh.offset).to.equal(1);
    expect(fresh.epoch).to.not.equal(p1.epoch);
    await b.close();
  });

  it('keeps history while no node is subscribed, so the only subscriber can come back', async () => {
    const b = new MemoryBroker();
    await b.subscribe('t');
    const p = await b.publish('t', '"a"');
    await b.unsubscribe('t');
    await b.publish('t', '"b"');
    const h = await b.history('t', { since: p, limit: 10 });
    expect(h.recoverable && h.publications).to.deep.equal([{ offset: 2, data: '"b"' }]);
    await b.close();
  });
});
