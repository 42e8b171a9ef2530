import { expect } from 'chai';
import { Permissions, type AccessDecision } from '../../src/auth/permissions.ts';
import type { Identity } from '../../src/auth/verifier.ts';

const who = (sub: string, channels?: string[], roles?: string[]): Identity => ({ sub, expiresAt: Date.now() + 3_600_000, token: 't', ...(channels ? { channels } : {}), ...(roles ? { roles } : {}) });
const role = (sub: string, roles: string[]) => who(sub, undefined, roles);
const owners: Record<string, string | null> = { bt_20240101_000000_aaaaaa: 'alice', bt_20240101_000000_bbbbbb: null };

function perms(o: { mode?: 'none' | 'jwt'; anon?: boolean; privateSignals?: boolean; defaultRole?: 'viewer' | 'trader' } = {}): Permissions {
  return new Permissions({
    mode: o.mode ?? 'jwt',
    anonymousMarketData: o.anon ?? false,
    privateSignals: o.privateSignals ?? false,
    ...(o.defaultRole ? { defaultRoles: [o.defaultRole] } : {}),
    backtestOwner: (id) => owners[id],
  });
}
const viewerDefault = () => perms({ defaultRole: 'viewer' });

describe('auth: Permissions (the one subscription check)', () => {
  const cases: { given: { p: Permissions; identity?: Identity; topic: string }; want: 'ok' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNKNOWN_BACKTEST' }[] = [
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
    // another user's run (or one started without identity) looks unknown, like a missing one
    { given: { p: perms(), identity: who('bob'), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'UNKNOWN_BACKTEST' },
    { given: { p: perms(), identity: who('bob'), topic: 'backtest:bt_20240101_000000_bbbbbb' }, want: 'UNKNOWN_BACKTEST' },
    { given: { p: perms(), identity: role('bob', ['trader']), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'UNKNOWN_BACKTEST' },
    { given: { p: perms(), identity: who('bob'), topic: 'backtest:bt_20240101_000000_cccccc' }, want: 'ok' },
    // channels claim narrows
    { given: { p: perms(), identity: who('carol', ['bars:AAPL:*', 'dashboard:prices']), topic: 'bars:AAPL:5' }, want: 'ok' },
    { given: { p: perms(), identity: who('carol', ['bars:AAPL:*', 'dashboard:prices']), topic: 'bars:MSFT:5' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('carol', ['bars:AAPL:*', 'dashboard:prices']), topic: 'dashboard:portfolio' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('carol', ['dashboard:*']), topic: 'dashboard:trades' }, want: 'ok' },
    { given: { p: perms(), identity: who('carol', ['bars.AAPL']), topic: 'barsXAAPL' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('alice', ['bars:*']), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('alice', []), topic: 'bars:AAPL:1' }, want: 'FORBIDDEN' },
    // roles narrow (default trader): viewer reads market data only
    { given: { p: perms(), identity: role('vic', ['viewer']), topic: 'bars:AAPL:1' }, want: 'ok' },
    { given: { p: perms(), identity: role('vic', ['viewer']), topic: 'market-data:AAPL:1' }, want: 'ok' },
    { given: { p: perms(), identity: role('vic', ['viewer']), topic: 'dashboard:prices' }, want: 'ok' },
    { given: { p: perms(), identity: role('vic', ['viewer']), topic: 'dashboard:signals' }, want: 'ok' },
    { given: { p: perms({ privateSignals: true }), identity: role('vic', ['viewer']), topic: 'dashboard:signals' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: role('vic', ['viewer']), topic: 'dashboard:portfolio' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: role('vic', ['viewer']), topic: 'dashboard:trades' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: role('vic', ['viewer']), topic: 'live-trading:positions:*' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: role('vic', ['viewer']), topic: 'something:new' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: role('alice', ['viewer']), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'ok' },
    // roles widen (default viewer): a token without roles reads market data; trader unlocks the private streams
    { given: { p: viewerDefault(), identity: who('bob'), topic: 'bars:AAPL:1' }, want: 'ok' },
    { given: { p: viewerDefault(), identity: who('bob'), topic: 'dashboard:portfolio' }, want: 'FORBIDDEN' },
    { given: { p: viewerDefault(), identity: who('bob'), topic: 'live-trading:orders:*' }, want: 'FORBIDDEN' },
    { given: { p: viewerDefault(), identity: role('tess', ['trader']), topic: 'dashboard:portfolio' }, want: 'ok' },
    { given: { p: viewerDefault(), identity: role('tess', ['trader']), topic: 'live-trading:orders:*' }, want: 'ok' },
    { given: { p: viewerDefault(), identity: role('tess', ['trader']), topic: 'bars:AAPL:1' }, want: 'ok' },
    { given: { p: viewerDefault(), identity: role('tess', ['viewer', 'trader']), topic: 'dashboard:trades' }, want: 'ok' },
    // unknown role names are ignored; a roles claim with no known role grants no family (own backtests stay)
    { given: { p: perms(), identity: role('eve', ['admin']), topic: 'bars:AAPL:1' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: role('eve', []), topic: 'dashboard:prices' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: role('eve', ['admin', 'viewer']), topic: 'bars:AAPL:1' }, want: 'ok' },
    { given: { p: perms(), identity: role('alice', []), topic: 'backtest:bt_20240101_000000_aaaaaa' }, want: 'ok' },
    // channels still narrow what the roles grant
    { given: { p: viewerDefault(), identity: who('tess', ['dashboard:*'], ['trader']), topic: 'dashboard:portfolio' }, want: 'ok' },
    { given: { p: viewerDefault(), identity: who('tess', ['dashboard:*'], ['trader']), topic: 'live-trading:account' }, want: 'FORBIDDEN' },
    { given: { p: perms(), identity: who('vic', ['dashboard:*'], ['viewer']), topic: 'dashboard:trades' }, want: 'FORBIDDEN' },
  ];
  for (const { given, want } of cases) {
    const id = given.identity;
    it(`${given.p.mode}${id ? ` ${id.sub}${id.channels ? ` channels=${JSON.stringify(id.channels)}` : ''}${id.roles ? ` roles=${JSON.stringify(id.roles)}` : ''}` : ' anonymous'}: ${given.topic} → ${want}`, async () => {
      const d: AccessDecision = await given.p.mayRead(given.identity, given.topic);
      expect(d.ok ? 'ok' : d.code).to.equal(want);
    });
  }
});
