import { expect } from 'chai';
import { ibTradingKind, orderPolicy } from '../../src/trading/order-policy.ts';

describe('order policy: a real account is never traded by accident', () => {
  const kinds: { given: [number | undefined, string | undefined]; want: string }[] = [
    { given: [4002, undefined], want: 'paper' },
    { given: [7497, undefined], want: 'paper' },
    { given: [4001, undefined], want: 'live' },
    { given: [7496, undefined], want: 'live' },
    { given: [5555, undefined], want: 'unknown' },
    { given: [5555, 'DU1234567'], want: 'paper' },
    { given: [4002, 'U1234567'], want: 'live' },
    { given: [4001, 'DU1234567'], want: 'live' },
  ];
  for (const k of kinds) it(`port ${k.given[0]} account ${k.given[1] ?? '(unknown)'} → ${k.want}`, () => expect(ibTradingKind(...k.given)).to.equal(k.want));

  const refusals: { given: Parameters<typeof orderPolicy>[0]; want: RegExp | undefined }[] = [
    { given: { source: 'simulated', autoTrade: true, liveOrders: false, port: undefined, account: () => undefined }, want: undefined },
    { given: { source: 'simulated', autoTrade: false, liveOrders: false, port: undefined, account: () => undefined }, want: /off/ },
    { given: { source: 'ibkr', autoTrade: false, liveOrders: true, port: 4002, account: () => 'DU1' }, want: /off/ },
    { given: { source: 'ibkr', autoTrade: true, liveOrders: false, port: 4002, account: () => 'DU1' }, want: undefined },
    { given: { source: 'ibkr', autoTrade: true, liveOrders: false, port: 4002, account: () => undefined }, want: /not known yet/ },
    { given: { source: 'ibkr', autoTrade: true, liveOrders: false, port: 4002, account: () => 'U1' }, want: /live and TRADING_LIVE_ORDERS/ },
    { given: { source: 'ibkr', autoTrade: true, liveOrders: true, port: 4002, account: () => 'U1' }, want: undefined },
    { given: { source: 'ibkr', autoTrade: true, liveOrders: false, port: 5555, account: () => undefined }, want: /not known yet/ },
  ];
  for (const r of refusals) {
    it(`${r.given.source} autoTrade=${r.given.autoTrade} liveOrders=${r.given.liveOrders} port ${r.given.port} account ${r.given.account() ?? '?'} → ${r.want ?? 'orders allowed'}`, () => {
      const got = orderPolicy(r.given).refusal();
      if (r.want) expect(got).to.match(r.want);
      else expect(got).to.equal(undefined);
    });
  }
});
