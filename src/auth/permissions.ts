/**
 * The one place that decides whether an identity may read a topic. Connection.subscribe asks it before every
 * subscription (the single path every subscription takes), handlers ask the same question beforehand only to refuse
 * a whole request cleanly, and the backtest HTTP routes ask it about `backtest:<id>`.
 *
 * Rules (AUTH=jwt; with AUTH=none everything is readable), in this order:
 * 1. no identity: market data only, and only when anonymous market data is allowed; else `UNAUTHORIZED`.
 * 2. the token's `channels` claim (glob patterns, `*` = any characters), when present, must match the topic; else
 *    `FORBIDDEN`. It only narrows.
 * 3. `backtest:<id>`: only the `sub` that started the run, whatever its roles. Another user's run is refused as
 *    `UNKNOWN_BACKTEST`, exactly like a run that does not exist (as the HTTP API answers 404), so a run's existence is
 *    not disclosed and every node (standalone, or an edge that asks the producer) answers the same. An unknown run is
 *    not refused here: the endpoint answers UNKNOWN_BACKTEST.
 * 4. the token's roles (the `roles` claim; without one, the server's default roles, AUTH_DEFAULT_ROLE) decide the
 *    family: `viewer` reads market data (`bars:*`, `quotes:*`, `trades:*`, `book:*`, `market-data:*`, `dashboard:prices`, `dashboard:signals` unless
 *    signals are private); `trader` reads market data and the private streams (`dashboard:portfolio`,
 *    `dashboard:trades`, `live-trading:*`, private signals, any topic not named here). A `roles` claim replaces the
 *    default, so it widens (`["trader"]` where the default is viewer) or narrows (`["viewer"]` where it is trader).
 *    Role names this server does not know are ignored (tokens are often shared with other services); no known role
 *    means no family at all (own backtests stay readable). Else `FORBIDDEN`.
 * Decisions are values: `UNAUTHORIZED` when there is no identity, `FORBIDDEN` when the identity is not enough,
 * `UNKNOWN_BACKTEST` for another user's run.
 */
import type { Identity } from './verifier.ts';

export type AuthMode = 'none' | 'jwt';

export type AccessDecision = { ok: true } | { ok: false; code: 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNKNOWN_BACKTEST'; message: string };

/** The roles a token may carry (`roles` claim); each names what it may read (see the rules above). */
export const ROLES = ['viewer', 'trader'] as const;
export type Role = (typeof ROLES)[number];

export interface PermissionsOptions {
  mode: AuthMode;
  /** AUTH=jwt: connections without a token may read market data. */
  anonymousMarketData: boolean;
  /** AUTH=jwt: `dashboard:signals` needs a token (else it is market data). */
  privateSignals: boolean;
  /** AUTH=jwt: the roles of a token without a `roles` claim; default `['trader']` (every stream but others' backtests). */
  defaultRoles?: readonly Role[];
  /**
   * The `sub` that started a backtest: a string, null for a run started without identity, undefined when the run is
   * unknown (to this node). The identity is passed so an edge can ask the producer on the caller's behalf.
   */
  backtestOwner(id: string, identity: Identity): Promise<string | null | undefined> | string | null | undefined;
}

const ALLOWED: AccessDecision = Object.freeze({ ok: true });
const MAX_CACHED_PATTERNS = 1000;
const DEFAULT_ROLES: readonly Role[] = Object.freeze(['trader'] as Role[]);

/** Worded like the backtest endpoint's own UNKNOWN_BACKTEST, so another user's run and a missing one look alike. */
function unknownBacktest(id: string): AccessDecision {
  return { ok: false, code: 'UNKNOWN_BACKTEST', message: `No backtest with id ${id} (it never existed or has expired)` };
}

export class Permissions {
  private readonly patterns = new Map<string, RegExp>();

  constructor(private readonly options: PermissionsOptions) {}

  get mode(): AuthMode {
    return this.options.mode;
  }

  /** Whether `identity` (undefined: anonymous) may read `topic`. Synchronous except for backtest topics in jwt mode. */
  mayRead(identity: Identity | undefined, topic: string): AccessDecision | Promise<AccessDecision> {
    if (this.options.mode === 'none') return ALLOWED;
    const family = this.familyOf(topic);
    if (!identity) {
      if (family === 'market' && this.options.anonymousMarketData) return ALLOWED;
      return { ok: false, code: 'UNAUTHORIZED', message: `${topic} needs a token${family === 'market' ? ' (this server does not serve market data anonymously)' : ''}` };
    }
    if (identity.channels && !identity.channels.some((p) => this.pattern(p).test(topic))) {
      return { ok: false, code: 'FORBIDDEN', message: `the token's channels claim does not cover ${topic}` };
    }
    if (family !== 'backtest') {
      const roles = identity.roles ?? this.options.defaultRoles ?? DEFAULT_ROLES;
      if (roles.includes('trader') || (family === 'market' && roles.includes('viewer'))) return ALLOWED;
      const known = roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
      return { ok: false, code: 'FORBIDDEN', message: `${topic} needs the role ${family === 'market' ? 'viewer or trader' : 'trader'} (the token's roles: ${known.length ? known.join(', ') : 'none this server knows'})` };
    }
    const id = topic.slice('backtest:'.length);
    const decide = (owner: string | null | undefined): AccessDecision =>
      owner === undefined || owner === identity.sub ? ALLOWED : unknownBacktest(id);
    const owner = this.options.backtestOwner(id, identity);
    return owner instanceof Promise ? owner.then(decide, () => ({ ok: false, code: 'FORBIDDEN', message: `the owner of backtest ${id} could not be checked` })) : decide(owner);
  }

  private familyOf(topic: string): 'market' | 'private' | 'backtest' {
    if (topic.startsWith('backtest:')) return 'backtest';
    if (topic.startsWith('bars:') || topic.startsWith('market-data:') || topic === 'dashboard:prices') return 'market';
    if (topic.startsWith('quotes:') || topic.startsWith('trades:') || topic.startsWith('book:')) return 'market';
    if (topic === 'dashboard:signals' && !this.options.privateSignals) return 'market';
    return 'private';
  }

  private pattern(glob: string): RegExp {
    let re = this.patterns.get(glob);
    if (!re) {
      re = new RegExp(`^${glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      if (this.patterns.size >= MAX_CACHED_PATTERNS) this.patterns.clear();
      this.patterns.set(glob, re);
    }
    return re;
  }
}

/** AUTH=none: everything is readable. */
export function openPermissions(): Permissions {
  return new Permissions({ mode: 'none', anonymousMarketData: true, privateSignals: false, backtestOwner: () => undefined });
}
