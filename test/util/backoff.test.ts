import { expect } from 'chai';
import { backoffDelay } from '../../src/util/backoff.ts';

describe('util/backoff', () => {
  const opts = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
  const cases: { given: { attempt: number; random: number }; want: number }[] = [
    { given: { attempt: 0, random: 0 }, want: 50 },
    { given: { attempt: 0, random: 1 }, want: 100 },
    { given: { attempt: 2, random: 0.5 }, want: 300 },
    { given: { attempt: 3, random: 1 }, want: 800 },
    { given: { attempt: 10, random: 1 }, want: 1000 },
    { given: { attempt: 10, random: 0 }, want: 500 },
  ];
  for (const { given, want } of cases) {
    it(`attempt ${given.attempt}, random ${given.random} → ${want} ms`, () => {
      expect(backoffDelay(given.attempt, opts, () => given.random)).to.equal(want);
    });
  }
});
