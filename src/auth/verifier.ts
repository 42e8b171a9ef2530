/**
 * Token verification, as an interface: the gateway and the HTTP routes ask a TokenVerifier whether a token is good
 * and whose it is; src/auth/verifier-jose.ts implements it with `jose` (HS256 secret or a JWKS). The composition
 * root (src/app.ts) builds one and injects it; nothing here holds module state.
 */

/** Who a connection or request is, from a verified token. */
export interface Identity {
  /** The token's `sub`. */
  readonly sub: string;
  /** The token's `exp`, epoch ms. */
  readonly expiresAt: number;
  /** The `channels` claim: glob patterns (`*` matches anything) narrowing what this token may read. */
  readonly channels?: readonly string[];
  /** The `roles` claim (e.g. `["viewer"]`, `["trader"]`); absent: the server's AUTH_DEFAULT_ROLE applies. */
  readonly roles?: readonly string[];
  /** The token itself (an edge node forwards it when it asks the producer about a backtest). Never logged. */
  readonly token: string;
}

/**
 * `expired`: `exp` has passed (a fresh token fixes it: reconnectable). `invalid`: anything else (signature,
 * algorithm, audience, issuer, `nbf` in the future, malformed, missing `sub`/`exp`): do not retry with it.
 * `unavailable`: the token could not be checked now (the JWKS could not be fetched): the server's problem, retry later.
 */
export type VerifyOutcome = { ok: true; identity: Identity } | { ok: false; reason: 'expired' | 'invalid' | 'unavailable'; message: string };

export interface TokenVerifier {
  /** Never rejects: every failure is an outcome. */
  verify(token: string): Promise<VerifyOutcome>;
}
