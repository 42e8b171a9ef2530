/**
 * The one place that decides whether an identity may read a topic. Connection.subscribe asks it before every
 * subscription (the single path every subscription takes), handlers ask the same question beforehand only to refuse
 * a whole request cleanly, and the backtest HTTP routes ask it about `backtest:<id>`.
 *
 * Rules (AUTH=jwt; with AUTH=none everything is readable):
 * - market data: `bars:*`, `quotes:*`, `trades:*`, `book:*`, `market-data:*`, `dashboard:prices`, and `dashboard:signals` unless signals are private:
 *   anyone with a valid token; without one only when anonymous market data is allowed.
 * - private: `dashboard:portfolio`, `dashboard:trades`, `live-trading:*`, (`dashboard:signals` when private), and any
 *   topic not named here: a valid token.
 * - `backtest:<id>`: only the `sub` that started the run (an unknown run is not refused here: the endpoint answers
 *   UNKNOWN_BACKTEST).
 * - a token's `channels` claim (glob patterns, `*` = any characters) narrows all of the above: a topic must match one.
 * Decisions are values: `UNAUTHORIZED` when there is no identity, `FORBIDDEN` when the identity is not enough.
 */
import type { Identity } from './verifier.ts';

export type AuthMode = 'none' | 'jwt';

export type AccessDecision = { ok: true } | { ok: false; code: 'UNAUTHORIZED' | 'FORBIDDEN'; message: string };

export interface PermissionsOptions {
  mode: AuthMode;
  /** AUTH=jwt: connections without a token may read market data. */
  anonymousMarketData: boolean;
  /** AUTH=jwt: `dashboard:signals` needs a token (else it is market data). */
  privateSignals: boolean;
  /**
   * The `sub` that started a backtest: a string, null for a run started without identity, undefined when the run is
   * unknown (to this node). The identity is passed so an edge can ask the producer on the caller's behalf.
   */
  backtestOwner(id: string, identity: Identity): Promise<string | null | undefined> | string | null | undefined;
}

const ALLOWED: AccessDecision = Object.freeze({ ok: true });
const MAX_CACHED_PATTERNS = 1000;

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
    if (family !== 'backtest') return ALLOWED;
    const id = topic.slice('backtest:'.length);
    const decide = (owner: string | null | undefined): AccessDecision =>
      owner === undefined || owner === identity.sub ? ALLOWED : { ok: false, code: 'FORBIDDEN', message: `backtest ${id} belongs to another user` };
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
