import { expect } from 'chai';
import { JoseVerifier } from '../../src/auth/verifier-jose.ts';
import { algNoneToken, AUDIENCE, confusedToken, hsToken, ISSUER, rsaJwks, SECRET } from '../support/tokens.ts';

describe('auth: JoseVerifier (jose)', () => {
  const hs = new JoseVerifier({ secret: SECRET, audience: AUDIENCE, issuer: ISSUER });

  const cases: { name: string; token: () => Promise<string> | string; want: 'ok' | 'expired' | 'invalid' }[] = [
    { name: 'valid', token: () => hsToken({ sub: 'alice', channels: ['bars:*'] }), want: 'ok' },
    { name: 'expired', token: () => hsToken({ expIn: -10 }), want: 'expired' },
    { name: 'not yet valid (nbf in the future)', token: () => hsToken({ nbfIn: 600 }), want: 'invalid' },
    { name: 'wrong signature', token: () => hsToken({}, 'another-secret-0123456789abcdef-012345'), want: 'invalid' },
    { name: 'wrong audience', token: () => hsToken({ aud: 'someone-else' }), want: 'invalid' },
    { name: 'wrong issuer', token: () => hsToken({ iss: 'https://evil.test' }), want: 'invalid' },
    { name: 'alg none', token: () => algNoneToken(), want: 'invalid' },
    { name: 'malformed', token: () => 'not.a.jwt', want: 'invalid' },
    { name: 'no sub', token: async () => (await hsToken({ sub: '' })), want: 'invalid' },
    { name: 'roles claim not a list of strings', token: () => hsToken({ roles: 'trader' }), want: 'invalid' },
    { name: 'roles claim with a number', token: () => hsToken({ roles: ['viewer', 7] }), want: 'invalid' },
  ];
  for (const c of cases) {
    it(`HS256 server: ${c.name} → ${c.want}`, async () => {
      const out = await hs.verify(await c.token());
      expect(out.ok ? 'ok' : out.reason).to.equal(c.want);
      if (out.ok) expect(out.identity).to.deep.include({ sub: 'alice', channels: ['bars:*'] });
    });
  }

  it('the roles claim is carried on the identity (absent when the token has none)', async () => {
    const withRoles = await hs.verify(await hsToken({ sub: 'tess', roles: ['trader', 'other-service:admin'] }));
    expect(withRoles.ok && withRoles.identity.roles).to.deep.equal(['trader', 'other-service:admin']);
    const without = await hs.verify(await hsToken({ sub: 'tess' }));
    expect(without.ok && 'roles' in without.identity).to.equal(false);
  });

  it('JWKS server: an RS256 token verifies; HS256 signed with the public key (alg confusion) and an HS256 token are refused', async () => {
    const jwks = await rsaJwks();
    try {
      const v = new JoseVerifier({ jwksUrl: jwks.url, audience: AUDIENCE, issuer: ISSUER });
      const good = await v.verify(await jwks.sign({ sub: 'bob' }));
      expect(good.ok && good.identity.sub).to.equal('bob');
      const confused = await v.verify(await confusedToken(jwks.publicPem));
      expect(confused).to.deep.include({ ok: false, reason: 'invalid' });
      expect(await v.verify(await hsToken())).to.deep.include({ ok: false, reason: 'invalid' });
      expect(await v.verify(algNoneToken())).to.deep.include({ ok: false, reason: 'invalid' });
    } finally {
      await jwks.close();
    }
  });

  it('JWKS server whose key set cannot be fetched: unavailable (retry later), not invalid', async () => {
    const jwks = await rsaJwks();
    const token = await jwks.sign();
    const url = jwks.url;
    await jwks.close(); // nothing listens there any more
    const v = new JoseVerifier({ jwksUrl: url, audience: AUDIENCE, issuer: ISSUER });
    expect(await v.verify(token)).to.deep.include({ ok: false, reason: 'unavailable' });
  });

  it('HS256 server refuses an RS256 token (asymmetric algorithms are not allowed with a secret)', async () => {
    const jwks = await rsaJwks();
    try {
      expect(await hs.verify(await jwks.sign())).to.deep.include({ ok: false, reason: 'invalid' });
    } finally {
      await jwks.close();
    }
  });
});
