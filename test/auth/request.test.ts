import { expect } from 'chai';
import { isLoopbackHost, redactTokens, tokenFromRequest } from '../../src/auth/request.ts';
import { originPolicy } from '../../src/server/origin.ts';

describe('auth: tokens on requests, redaction, origins', () => {
  it('takes the token from Authorization: Bearer, else from the token query parameter', () => {
    expect(tokenFromRequest({ authorization: 'Bearer abc.def.ghi' }, new URLSearchParams('token=zzz'))).to.equal('abc.def.ghi');
    expect(tokenFromRequest({}, new URLSearchParams('symbols=AAPL&token=zzz'))).to.equal('zzz');
    expect(tokenFromRequest({ authorization: 'Basic dXNlcjpwYXNz' }, new URLSearchParams())).to.equal(undefined);
    expect(tokenFromRequest({}, new URLSearchParams('token='))).to.equal(undefined);
  });

  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
  const redactions: { given: string; leaks: string }[] = [
    { given: `GET /ws?token=${jwt} 101`, leaks: jwt },
    { given: `upgrade /api/ws/stream/live-trading?symbols=AAPL&token=secret-value&x=1`, leaks: 'secret-value' },
    { given: `authorization: Bearer ${jwt}`, leaks: jwt },
    { given: `a token in prose ${jwt} here`, leaks: jwt },
  ];
  for (const r of redactions) {
    it(`redacts: ${r.given.slice(0, 50)}`, () => {
      const out = redactTokens(r.given);
      expect(out).to.not.contain(r.leaks);
      expect(out).to.contain('redacted');
    });
  }

  it('loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'app.localhost']) expect(isLoopbackHost(h), h).to.equal(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h), h).to.equal(false);
  });

  const origins: { given: { origin?: string; host: string; allowed?: string[]; loopbackOnly?: boolean }; want: boolean }[] = [
    { given: { host: '127.0.0.1:8000' }, want: true },
    { given: { origin: 'http://127.0.0.1:8000', host: '127.0.0.1:8000' }, want: true },
    { given: { origin: 'http://localhost:5173', host: '127.0.0.1:8000' }, want: true },
    { given: { origin: 'http://[::1]:3000', host: '127.0.0.1:8000' }, want: true },
    { given: { origin: 'https://evil.example', host: '127.0.0.1:8000' }, want: false },
    { given: { origin: 'null', host: '127.0.0.1:8000' }, want: false },
    { given: { origin: 'http://rebind.example:8000', host: 'rebind.example:8000', loopbackOnly: true }, want: false },
    { given: { origin: 'https://gw.example', host: 'gw.example', loopbackOnly: false }, want: true },
    { given: { origin: 'https://app.example', host: 'gw.example', allowed: ['https://app.example'], loopbackOnly: false }, want: true },
    { given: { origin: 'https://other.example', host: 'gw.example', allowed: ['https://app.example'], loopbackOnly: false }, want: false },
    { given: { origin: 'https://other.example', host: 'gw.example', allowed: ['*'], loopbackOnly: false }, want: true },
  ];
  for (const { given, want } of origins) {
    it(`origin ${given.origin ?? '(none)'} to host ${given.host}${given.allowed ? ` allowed=${given.allowed}` : ''} → ${want ? 'allowed' : 'refused'}`, () => {
      expect(originPolicy({ allowed: given.allowed, loopbackOnly: given.loopbackOnly ?? true }).allowed(given.origin, given.host)).to.equal(want);
    });
  }
});
