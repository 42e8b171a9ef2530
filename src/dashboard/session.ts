/**
 * The dashboard's token (AUTH=jwt): where it comes from, the login box, and refresh without reconnecting.
 *
 * - The first token comes from the page URL (`/?token=<jwt>`, then dropped from the address bar). It is kept in this
 *   page's memory only (never in storage), so closing the tab forgets it.
 * - The login box (in the header) lets the user paste a token. It is shown while a token is in use, or as soon as the
 *   server withholds a stream (an anonymous `/ws` gets fewer than its four streams); with AUTH=none it stays hidden.
 *   A pasted token of the same user (or the first one) is sent in an `auth` message on both open connections (no
 *   reconnect), then the streams it newly allows are subscribed; a token of another user reloads the page with it,
 *   since a connection cannot change user.
 * - When the server sends `token_expiring`, the typed client asks `refreshToken()` for a fresh token, in this order:
 *   a token pasted in the box that is not the current one; `window.tickwireRefreshToken()` when the embedding page
 *   defines it (e.g. its SSO helper); else the box asks the user (state `expiring`) and the answer is the next token
 *   pasted. Both connections share one answer and send it in `auth` on the same socket.
 * The box's state is on `#auth[data-state]`: hidden, anonymous, signed-in, expiring, error.
 */
import type { TickwireClient } from '../client/client.ts';

const ALL_STREAMS = ['prices', 'signals', 'trades', 'portfolio'] as const;

declare global {
  interface Window {
    /** Optional, set by an embedding page: returns a fresh token when the dashboard's is about to expire. */
    tickwireRefreshToken?: () => string | Promise<string>;
  }
}

/** The readable claims of a JWT (not verified: for display and to tell users apart; the server verifies). */
function claimsOf(token: string): { sub?: string; exp?: number } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown; exp?: unknown };
    return { ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}), ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}) };
  } catch {
    return undefined;
  }
}

export interface TokenSession {
  /** The token in use (undefined: anonymous). */
  readonly token: string | undefined;
  /** For connect(): the first token and the refresh hook. */
  clientOptions(): { token?: string; refreshToken: () => Promise<string> };
  /**
   * Wires the two connections: their `authenticated` replies update the box, `/ws`'s granted streams show the box
   * when something is withheld, and after an `auth` the streams (and, through `resubscribeChart`, the chart's bars)
   * the token newly allows are subscribed.
   */
  attach(clients: { dashboard: TickwireClient<'/ws'>; bars: TickwireClient<'/api/v1/ws'>; resubscribeChart(): void }): void;
}

export function createTokenSession(options: { initial?: string; mount: HTMLElement }): TokenSession {
  let token = options.initial;
  let clients: Parameters<TokenSession['attach']>[0] | undefined;
  /** A refresh waiting for the user to paste a token. */
  let waiting: { resolve(token: string): void } | undefined;
  /** One answer shared by both connections' refreshes. */
  let fresh: Promise<string> | undefined;

  const form = document.createElement('form');
  form.id = 'auth';
  form.dataset.state = token ? 'signed-in' : 'hidden';
  form.style.cssText = 'display:flex;gap:6px;align-items:center;margin-left:auto;margin-right:12px';
  const status = document.createElement('span');
  status.id = 'auth-status';
  const input = document.createElement('input');
  input.id = 'auth-token';
  input.type = 'password';
  input.autocomplete = 'off';
  input.placeholder = 'paste a token (JWT)';
  input.setAttribute('aria-label', 'access token');
  input.style.cssText = 'width:14em;background:inherit;color:inherit;border:1px solid #243040;border-radius:4px;padding:2px 6px';
  const button = document.createElement('button');
  button.type = 'submit';
  button.textContent = 'Use token';
  form.append(status, input, button);
  options.mount.append(form);

  const show = (state: 'hidden' | 'anonymous' | 'signed-in' | 'expiring' | 'error', text: string) => {
    form.dataset.state = state;
    form.hidden = state === 'hidden';
    status.textContent = text;
    status.style.color = state === 'expiring' || state === 'error' ? '#f0b429' : '';
  };
  const describe = (t: string | undefined) => {
    const c = t ? claimsOf(t) : undefined;
    if (!t) return 'anonymous: some streams need a token';
    return `${c?.sub ?? 'signed in'}${c?.exp ? ` · until ${new Date(c.exp * 1000).toISOString().slice(11, 19)}` : ''}`;
  };
  show(token ? 'signed-in' : 'hidden', describe(token));

  /** Whether `t` is another user than the current token's (a connection cannot change user: reload). */
  const otherUser = (t: string) => token !== undefined && claimsOf(t)?.sub !== undefined && claimsOf(t)?.sub !== claimsOf(token)?.sub;

  const reloadWith = (t: string) => {
    const url = new URL(location.href);
    url.searchParams.set('token', t);
    location.replace(url.toString());
  };

  /** A usable token typed in the box, other than the current one. */
  const fromBox = (): string | undefined => {
    const t = input.value.trim();
    const exp = t ? claimsOf(t)?.exp : undefined;
    return t && t !== token && claimsOf(t) && (exp === undefined || exp * 1000 > Date.now()) ? t : undefined;
  };

  const obtain = (): Promise<string> => {
    fresh ??= (async () => {
      const boxed = fromBox();
      if (boxed) return boxed;
      if (typeof window.tickwireRefreshToken === 'function') return await window.tickwireRefreshToken();
      const exp = token ? claimsOf(token)?.exp : undefined;
      show('expiring', `token expires${exp ? ` at ${new Date(exp * 1000).toISOString().slice(11, 19)}` : ' soon'}: paste a fresh one`);
      input.focus();
      return new Promise<string>((resolve) => (waiting = { resolve }));
    })().then((t) => {
      token = t;
      input.value = '';
      return t;
    }).finally(() => {
      // Both connections get token_expiring together; keep the answer briefly so the second one shares it.
      setTimeout(() => (fresh = undefined), 5000);
    });
    return fresh;
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = input.value.trim();
    if (!t) return;
    if (!claimsOf(t)) return show('error', 'that is not a JWT (three base64url parts)');
    if (otherUser(t)) return reloadWith(t);
    if (waiting) {
      // A refresh is waiting for this: the clients send it in `auth` themselves.
      const w = waiting;
      waiting = undefined;
      w.resolve(t);
      return;
    }
    token = t;
    input.value = '';
    if (!clients) return;
    for (const c of [clients.dashboard, clients.bars] as TickwireClient<any>[]) {
      c.authenticate(t).catch((err: Error) => show('error', `token refused: ${err.message}`));
    }
  });

  return {
    get token() {
      return token;
    },
    clientOptions() {
      return { ...(token ? { token } : {}), refreshToken: obtain };
    },
    attach(c) {
      clients = c;
      // AUTH=jwt and this connection is not given every stream: offer the box (AUTH=none grants all four).
      // The streams the server grants this connection (its `subscriptions` messages: at connect and every reply).
      let granted = new Set<string>();
      c.dashboard.on('subscriptions', (m) => {
        granted = new Set(m.streams);
        if (form.dataset.state === 'hidden' && m.streams.length < ALL_STREAMS.length) show('anonymous', describe(token));
      });
      c.dashboard.on('authenticated', () => {
        show('signed-in', describe(token));
        // Ask for each stream this connection lacks, one at a time: a refused one does not hold back the others.
        for (const s of ALL_STREAMS) if (!granted.has(s)) c.dashboard.subscribe([s]).catch(() => undefined);
      });
      c.bars.on('authenticated', () => c.resubscribeChart());
      for (const client of [c.dashboard, c.bars] as TickwireClient<any>[]) {
        client.onClose((info) => {
          if (info.code === 4007 && !waiting) show('expiring', 'token expired: paste a fresh one');
          if (info.code === 4502) show('error', 'token refused (invalid): paste another one');
        });
      }
    },
  };
}
