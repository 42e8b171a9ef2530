/**
 * The `auth` message, answered the same way on every endpoint: a fresh token (or a first one on an anonymous
 * connection) becomes the connection's identity; the reply is `authenticated` (with the topics the new token no
 * longer covers, which were dropped), or the endpoint's own `error`: TOKEN_EXPIRED (the connection keeps its current
 * token), FORBIDDEN (another `sub`), INVALID_TOKEN (then close 4502, after the reply).
 */
import type { AuthenticatedMessage, AuthMessage } from '../../generated/types.ts';
import type { ConnectionContext, ErrorInfo } from '../server/endpoint.ts';
import { isoNow, type Clock } from './streams-common.ts';

export function authHandlers<E>(errorMessage: (error: ErrorInfo) => E, now: Clock = Date.now): { auth(message: AuthMessage, ctx: ConnectionContext): Promise<AuthenticatedMessage | E> } {
  return {
    async auth(message, ctx) {
      const id = message.id ? { id: message.id } : {};
      const outcome = await ctx.authenticate(message.token);
      if (!outcome.ok) {
        const close = outcome.close;
        if (close) ctx.after(() => ctx.close(close, outcome.error.message));
        return errorMessage({ ...outcome.error, ...id });
      }
      const identity = outcome.identity;
      const data = identity
        ? { sub: identity.sub, expires_at: new Date(identity.expiresAt).toISOString(), ...(outcome.revoked.length ? { revoked: outcome.revoked } : {}) }
        : {};
      return { type: 'authenticated', ...id, timestamp: isoNow(now), data };
    },
  };
}
