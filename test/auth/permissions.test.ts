import { expect } from 'chai';
import { Permissions, type AccessDecision } from '../../src/auth/permissions.ts';
import type { Identity } from '../../src/auth/verifier.ts';

const who = (sub: string, channels?: string[]): Identity => ({ sub, expiresAt: Date.now() + 3_600_000, token: 't', ...(channels ? { channels } : {}) });
const owners: Record<string, string | null> = { bt_20240101_000000_aaaaaa: 'alice', bt_20240101_000000_bbbbbb: null };

function perms(o: { mode?: 'none' | 'jwt'; anon?: boolean; privateSignals?: boolean } = {}): Permissions {
  return new Permissions({ mode: o.mode ?? 'jwt', anonymousMarketData: o.anon ?? false, privateSignals: o.privateSignals ?? false, backtestOwner: (id) => owners[id] });
}

describe('auth: Permissions (the one subscription check)', () => {
  const cases: { given: { p: Permissions; identity?: Identity; topic: string }; want: 'ok' | 'UNAUTHORIZED' | 'FORBIDDEN' }[] = [
    // AUTH=none: everything
    { given: { p: perms({ mode: 'none' }), topic: 'dashboard:portfolio' }, want: 'ok' },
    { given: { p: perms({ mode: 'none' }), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'ok' },
    // jwt, anonymous, no anonymous market data
    { given: { p: perms(), topic: 'bars:AAPL:1' }, want: 'UNAUTHORIZED' },
    { given: { p: perms(), topic: 'dashboard:prices' }, want: 'UNAUTHORIZED' },
    { given: { p: perms(), topic: 'dashboard:portfolio' }, want: 'UNAUTHORIZED' },
    // jwt, anonymous market data on
    { given: { p: perms({ anon: true }), topic: 'bars:AAPL:1' }, want: 'ok' },
    { given: { p: perms({ anon: true }), topic: 'market-data:AAPL:1' }, want: 'ok' },
    { given: { p: perms({ anon: true }), topic: 'dashboard:prices' }, want: 'ok' },
    { given: { p: perms({ anon: true }), topic: 'dashboard:signals' }, want: 'ok' },
    { given: { p: perms({ anon: true, privateSignals: true }), topic: 'dashboard:signals' }, want: 'UNAUTHORIZED' },
    { given: { p: perms({ anon: true }), topic: 'dashboard:trades' }, want: 'UNAUTHORIZED' },
    { given: { p: perms({ anon: true }), topic: 'dashboard:portfolio' }, want: 'UNAUTHORIZED' },
    { given: { p: perms({ anon: true }), topic: 'live-trading:orders:*' }, want: 'UNAUTHORIZED' },
    { given: { p: perms({ anon: true }), topic: 'live-trading:account' }, want: 'UNAUTHORIZED' },
    { given: { p: perms({ anon: true }), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'UNAUTHORIZED' },
    { given: { p: perms({ anon: true }), topic: 'something:new' }, want: 'UNAUTHORIZED' },
    // jwt, with a token
    { given: { p: perms(), identity: who('bob'), topic: 'dashboard:portfolio' }, want: 'ok' },
    { given: { p: perms(), identity: who('bob'), topic: 'live-trading:positions:AAPL,MSFT' }, want: 'ok' },
    { given: { p: perms(), identity: who('alice'), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'ok' },
    { given: { p: perms(), identity: who('bob'), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('bob'), topic: 'backtest:bt_20240101_000000_bbbbbb' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('bob'), topic: 'backtest:bt_20240101_000000_cccccc' }, want: 'ok' },
    // channels claim narrows
    { given: { p: perms(), identity: who('carol', ['bars:AAPL:*', 'dashboard:prices']), topic: 'bars:AAPL:5' }, want: 'ok' },
    { given: { p: perms(), identity: who('carol', ['bars:AAPL:*', 'dashboard:prices']), topic: 'bars:MSFT:5' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('carol', ['bars:AAPL:*', 'dashboard:prices']), topic: 'dashboard:portfolio' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('carol', ['dashboard:*']), topic: 'dashboard:trades' }, want: 'ok' },
    { given: { p: perms(), identity: who('carol', ['bars.AAPL']), topic: 'barsXAAPL' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('alice', ['bars:*']), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('alice', []), topic: 'bars:AAPL:1' }, want: 'FORBIDDEN' },
  ];
  for (const { given, want } of cases) {
    it(`${given.p.mode}${given.identity ? ` ${given.identity.sub}${given.identity.channels ? ` channels=${JSON.stringify(given.identity.channels)}` : ''}` : ' anonymous'}: ${given.topic} → ${want}`, async () => {
      const d: AccessDecision = await given.p.mayRead(given.identity, given.topic);
      expect(d.ok ? 'ok' : d.code).to.equal(want);
    });
  }
});
