import { expect } from 'chai';
import { TokenBucket } from '../../src/server/rate-limit.ts';

describe('TokenBucket', () => {
  it('allows the burst, then the rate', () => {
    let t = 0;
    const b = new TokenBucket(10, 20, () => t);
    for (let i = 0; i < 20; i++) expect(b.take(), `burst ${i}`).to.equal(true);
    expect(b.take()).to.equal(false);
    t += 100; // 1 token
    expect(b.take()).to.equal(true);
    expect(b.take()).to.equal(false);
    t += 10_000; // refills to the burst, not beyond
    let n = 0;
    while (b.take()) n++;
    expect(n).to.equal(20);
  });
});
