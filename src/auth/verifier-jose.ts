/**
 * TokenVerifier with `jose` (jwtVerify):
 * - a shared secret (AUTH_JWT_SECRET): HS256 only;
 * - or a JWKS URL (AUTH_JWKS_URL): asymmetric algorithms only (RS*, PS*, ES*, EdDSA); keys fetched with
 *   createRemoteJWKSet, which caches them and refetches (rate-limited) when a token names an unknown `kid`.
 * The allowed algorithms are explicit, so `alg: none` (jose never accepts unsecured JWTs through jwtVerify) and
 * HS/RS confusion (an HS256 token signed with the public key) are refused. `exp` and `sub` are required; `nbf`,
 * `aud` and `iss` are checked (the latter two when configured).
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Identity, TokenVerifier, VerifyOutcome } from './verifier.ts';

export const HMAC_ALGORITHMS = ['HS256'] as const;
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export interface JoseVerifierOptions {
  /** HS256 shared secret (at least 32 bytes). Exactly one of secret and jwksUrl. */
  secret?: string;
  jwksUrl?: string;
  audience?: string;
  issuer?: string;
  /** Seconds of clock skew tolerated on exp/nbf; default 0. */
  clockToleranceS?: number;
  /** Tests: a key set instead of fetching jwksUrl. */
  keySet?: JWTVerifyGetKey;
}

export class JoseVerifier implements TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: readonly string[];

  constructor(private readonly options: JoseVerifierOptions) {
    if (options.secret) {
      this.key = new TextEncoder().encode(options.secret);
      this.algorithms = HMAC_ALGORITHMS;
    } else if (options.keySet || options.jwksUrl) {
      this.key = options.keySet ?? createRemoteJWKSet(new URL(options.jwksUrl!), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5000 });
      this.algorithms = ASYMMETRIC_ALGORITHMS;
    } else {
      throw new Error('JoseVerifier needs a secret or a JWKS URL');
    }
  }

  async verify(token: string): Promise<VerifyOutcome> {
    let payload: JWTPayload;
    try {
      const verifyOptions = {
        algorithms: [...this.algorithms],
        requiredClaims: ['sub', 'exp'],
        clockTolerance: this.options.clockToleranceS ?? 0,
        ...(this.options.audience ? { audience: this.options.audience } : {}),
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
      };
      // Two calls because jwtVerify's overloads differ for a key and a key-getter function.
      payload = typeof this.key === 'function'
        ? (await jwtVerify(token, this.key, verifyOptions)).payload
        : (await jwtVerify(token, this.key, verifyOptions)).payload;
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired', message: 'the token has expired' };
      // The key set could not be fetched (IdP down, timeout, not a JWKS): not the client's fault, retry later.
      if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
        return { ok: false, reason: 'unavailable', message: `the token cannot be checked now (key set unavailable: ${err instanceof Error ? err.message : String(err)})` };
      }
      return { ok: false, reason: 'invalid', message: describe(err) };
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'invalid', message: 'the token has no sub' };
    const channels = payload.channels;
    if (channels !== undefined && !(Array.isArray(channels) && channels.every((c) => typeof c === 'string'))) {
      return { ok: false, reason: 'invalid', message: 'the channels claim must be a list of strings' };
    }
    const roles = payload.roles;
    if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string'))) {
      return { ok: false, reason: 'invalid', message: 'the roles claim must be a list of strings' };
    }
    const identity: Identity = {
      sub: payload.sub,
      expiresAt: payload.exp! * 1000,
      token,
      ...(channels ? { channels: channels as string[] } : {}),
      ...(roles ? { roles: roles as string[] } : {}),
    };
    return { ok: true, identity };
  }
}

/** A short reason without the token itself. */
function describe(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason === 'check_failed' ? 'check failed' : err.reason}: ${err.message}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token algorithm is not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key in the JWKS matches the token';
  if (err instanceof errors.JOSEError) return err.message;
  return 'the token is malformed';
}
