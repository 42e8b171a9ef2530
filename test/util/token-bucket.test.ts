import { expect } from 'chai';
import { TokenBucket } from '../../src/util/token-bucket.ts';

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

  it('waitMs: 0 while a token is there, else the time until the next one', () => {
    let t = 0;
    const b = new TokenBucket(8, 2, () => t);
    expect(b.waitMs()).to.equal(0);
    b.take();
    b.take();
    expect(b.waitMs()).to.equal(125);
    t += 50;
    expect(b.waitMs()).to.equal(75);
    t += 75;
    expect(b.waitMs()).to.equal(0);
    expect(b.take()).to.equal(true);
  });
});
