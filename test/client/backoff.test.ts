import { expect } from 'chai';
import { backoffDelay, mayReconnect } from '../../src/client/backoff.ts';

describe('client/backoff', () => {
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

  const codes: { given: number; want: boolean }[] = [
    { given: 1001, want: true }, // GOING_AWAY
    { given: 1009, want: false }, // MESSAGE_TOO_BIG
    { given: 4001, want: true }, // SLOW_CONSUMER
    { given: 4004, want: true }, // HEARTBEAT_TIMEOUT
    { given: 4499, want: true },
    { given: 4500, want: false }, // UNKNOWN_BACKTEST
    { given: 4501, want: false }, // BAD_REQUEST
    { given: 4999, want: false },
    { given: 1006, want: true },
  ];
  for (const { given, want } of codes) {
    it(`close ${given}: reconnect ${want}`, () => expect(mayReconnect(given)).to.equal(want));
  }
});
