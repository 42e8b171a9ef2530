/** Tokens minted with jose for the auth tests: good ones and every kind of bad one. */
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SECRET = 'test-secret-0123456789abcdef-0123456789';
export const AUDIENCE = 'tickwire-test';
export const ISSUER = 'https://issuer.test';

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

export interface Claims {
  sub?: string;
  /** seconds from now; default 3600 */
  expIn?: number;
  /** seconds from now */
  nbfIn?: number;
  aud?: string;
  iss?: string;
  channels?: string[];
  /** the `roles` claim; any JSON value, so tests can send a malformed one */
  roles?: unknown;
}

const custom = (claims: Claims) => ({ ...(claims.channels ? { channels: claims.channels } : {}), ...(claims.roles !== undefined ? { roles: claims.roles } : {}) });

/** An HS256 token signed with `secret` (default SECRET), aud/iss defaulting to the test server's. */
export async function hsToken(claims: Claims = {}, secret = SECRET): Promise<string> {
  const jwt = new SignJWT(custom(claims))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub ?? 'alice')
    .setIssuedAt()
    .setExpirationTime(nowS() + (claims.expIn ?? 3600))
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuer(claims.iss ?? ISSUER);
  if (claims.nbfIn !== undefined) jwt.setNotBefore(nowS() + claims.nbfIn);
  return jwt.sign(enc(secret));
}

/** An unsecured token (`alg: none`, empty signature) with otherwise valid claims. */
export function algNoneToken(sub = 'alice'): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, exp: nowS() + 3600, aud: AUDIENCE, iss: ISSUER })}.`;
}

/** An RSA key pair, its public JWK (kid k1) and a JWKS server on 127.0.0.1:0. */
export async function rsaJwks(): Promise<{ url: string; publicJwk: JWK; publicPem: string; sign(claims?: Claims): Promise<string>; close(): Promise<void> }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const { createPublicKey } = await import('node:crypto');
  const publicPem = createPublicKey({ key: publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  return {
    url,
    publicJwk,
    publicPem,
    sign: (claims = {}) =>
      new SignJWT(custom(claims))
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject(claims.sub ?? 'alice')
        .setExpirationTime(nowS() + (claims.expIn ?? 3600))
        .setAudience(claims.aud ?? AUDIENCE)
        .setIssuer(claims.iss ?? ISSUER)
        .sign(privateKey),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** HS/RS confusion: an HS256 token whose HMAC key is the server's RSA public key (as PEM text). */
export function confusedToken(publicPem: string, kid = 'k1'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', kid })
    .setSubject('mallory')
    .setExpirationTime(nowS() + 3600)
    .setAudience(AUDIENCE)
    .setIssuer(ISSUER)
    .sign(enc(publicPem));
}
