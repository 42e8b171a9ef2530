import { expect } from 'chai';
import { defaultBackoff, mayReconnect } from '../../src/client/backoff.ts';
import { backoffDelay } from '../../src/util/backoff.ts';

describe('client/backoff', () => {
  it('the client policy: 250 ms first, capped at 10 s', () => {
    expect(backoffDelay(0, defaultBackoff, () => 1)).to.equal(250);
    expect(backoffDelay(20, defaultBackoff, () => 1)).to.equal(10_000);
  });

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
