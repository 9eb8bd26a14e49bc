import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { SignJWT, base64url, exportJWK, generateKeyPair } from 'jose';
import { quietService } from '../../helpers/service.js';
import request from 'supertest';
import type Koa from 'koa';
import { mountRouters } from '../../../platform/service.js';
import { createAccessTokenVerifier } from '../../../platform/auth/verify-access-token.js';
import { bearer, caller, requireScope, userTokenOnly } from '../../../platform/auth/bearer.js';
import { issuerJwks } from '../../../platform/auth/jwks.js';
import { createTestIssuer } from '../../helpers/tokens.js';
import type { TestIssuer } from '../../helpers/tokens.js';

const AUD = 'urn:chirp:tweets';

function appFor(issuer: TestIssuer): Koa {
  const verifier = createAccessTokenVerifier({
    issuer: issuer.issuer,
    audience: AUD,
    getKey: issuer.getKey,
  });
  const router = new Router();
  router.get('/read', bearer(verifier), requireScope('tweets:read'), (ctx) => {
    ctx.body = { sub: caller(ctx).sub };
  });
  router.post('/write', bearer(verifier), userTokenOnly(), requireScope('tweets:write'), (ctx) => {
    ctx.body = { ok: true };
  });
  const app = quietService();
  return mountRouters(app, [router]);
}

describe('bearer token verification (RFC 6750, RFC 9068)', function () {
  let issuer: TestIssuer;
  let app: Koa;

  before(async function () {
    issuer = await createTestIssuer();
    app = appFor(issuer);
  });

  const get = (token?: string) => {
    const r = request(app.callback()).get('/read');
    return token === undefined ? r : r.set('Authorization', `Bearer ${token}`);
  };

  const expectInvalidToken = async (token: string) => {
    const res = await get(token);
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.include('error="invalid_token"');
    expect(res.headers['content-type']).to.include('application/problem+json');
  };

  it('accepts a valid token with the scope', async function () {
    const res = await get(await issuer.mint({ aud: AUD, scope: 'tweets:read' }));
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ sub: 'test-client' });
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async function () {
    const res = await get();
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.match(/^Bearer/);
    expect(res.headers['www-authenticate']).not.to.include('error=');
  });

  it('refuses a token in the query string', async function () {
    const token = await issuer.mint({ aud: AUD, scope: 'tweets:read' });
    const res = await request(app.callback()).get(`/read?access_token=${token}`);
    expect(res.status).to.equal(400);
    expect(res.headers['www-authenticate']).to.include('error="invalid_request"');
  });

  it('refuses a token in a form body', async function () {
    const token = await issuer.mint({ aud: AUD, scope: 'tweets:write', user: 'u1' });
    const res = await request(app.callback())
      .post('/write')
      .type('form')
      .send({ access_token: token });
    expect(res.status).to.equal(400);
  });

  it('refuses a token for another service', async function () {
    await expectInvalidToken(await issuer.mint({ aud: 'urn:chirp:users', scope: 'tweets:read' }));
  });

  it('refuses an expired token', async function () {
    await expectInvalidToken(await issuer.mint({ aud: AUD, scope: 'tweets:read', expiresIn: -60 }));
  });

  it('refuses a token without exp', async function () {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ scope: 'tweets:read', client_id: 'c' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'test-key' })
      .setIssuer(issuer.issuer)
      .setAudience(AUD)
      .setSubject('c')
      .setIssuedAt()
      .setJti('x')
      .sign(privateKey);
    await expectInvalidToken(token);
    // and one signed with the right key but no exp
    const noExp = await issuer.mint({ aud: AUD, scope: 'tweets:read', expiresIn: null });
    await expectInvalidToken(noExp);
  });

  it('refuses a token from another issuer', async function () {
    const other = await createTestIssuer('http://evil.test');
    await expectInvalidToken(await other.mint({ aud: AUD, scope: 'tweets:read' }));
  });

  it('refuses alg none', async function () {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(
      JSON.stringify({
        iss: issuer.issuer,
        aud: AUD,
        sub: 'c',
        client_id: 'c',
        scope: 'tweets:read',
        iat: now,
        exp: now + 60,
        jti: 'j',
      }),
    );
    await expectInvalidToken(`${header}.${payload}.`);
  });

  it('refuses HS256 signed with the public key as the secret', async function () {
    const jwk = issuer.jwks.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const header = base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid }));
    const payload = base64url.encode(
      JSON.stringify({
        iss: issuer.issuer,
        aud: AUD,
        sub: 'c',
        client_id: 'c',
        scope: 'tweets:read',
        iat: now,
        exp: now + 60,
        jti: 'j',
      }),
    );
    const sig = createHmac('sha256', JSON.stringify(jwk))
      .update(`${header}.${payload}`)
      .digest('base64url');
    await expectInvalidToken(`${header}.${payload}.${sig}`);
  });

  it('refuses a tampered signature and a tampered payload', async function () {
    const token = await issuer.mint({ aud: AUD, scope: 'tweets:read' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    await expectInvalidToken(`${h}.${p}.${flipped}`);
    const escalated = base64url.encode(
      JSON.stringify({
        ...JSON.parse(new TextDecoder().decode(base64url.decode(p))),
        scope: 'tweets:read tweets:write',
      }),
    );
    await expectInvalidToken(`${h}.${escalated}.${s}`);
  });

  it('refuses a token whose typ is not at+jwt (an ID token, say)', async function () {
    await expectInvalidToken(
      await issuer.mint({ aud: AUD, scope: 'tweets:read', header: { typ: 'JWT' } }),
    );
  });

  it('answers 403 insufficient_scope naming the scope', async function () {
    const res = await get(await issuer.mint({ aud: AUD, scope: 'tweets:write' }));
    expect(res.status).to.equal(403);
    expect(res.headers['www-authenticate']).to.include('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).to.include('scope="tweets:read"');
  });

  it('refuses a client_credentials token on a user route with 403', async function () {
    const res = await request(app.callback())
      .post('/write')
      .set('Authorization', `Bearer ${await issuer.mint({ aud: AUD, scope: 'tweets:write' })}`);
    expect(res.status).to.equal(403);
  });

  it('accepts a user token on a user route', async function () {
    const res = await request(app.callback())
      .post('/write')
      .set(
        'Authorization',
        `Bearer ${await issuer.mint({ aud: AUD, scope: 'tweets:write', user: 'u1' })}`,
      );
    expect(res.status).to.equal(200);
  });

  it('refuses a certificate-bound token presented without that certificate', async function () {
    const token = await issuer.mint({
      aud: AUD,
      scope: 'tweets:read',
      claims: { cnf: { 'x5t#S256': 'abc' } },
    });
    await expectInvalidToken(token);
  });
});

describe('issuer JWKS cache', function () {
  it('fetches the key set at most once per cooldown however many unknown kids arrive', async function () {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
    let fetches = 0;
    const server = createServer((req, res) => {
      const { port } = server.address() as AddressInfo;
      res.setHeader('content-type', 'application/json');
      if (req.url === '/jwks') {
        fetches += 1;
        res.end(JSON.stringify(jwks));
      } else {
        res.end(
          JSON.stringify({
            issuer: `http://127.0.0.1:${port}`,
            jwks_uri: `http://127.0.0.1:${port}/jwks`,
          }),
        );
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const iss = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const verifier = createAccessTokenVerifier({
        issuer: iss,
        audience: AUD,
        getKey: issuerJwks(iss, { cooldownMs: 60_000 }),
      });
      const sign = (kid: string) =>
        new SignJWT({ client_id: 'c', scope: 'tweets:read' })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
          .setIssuer(iss)
          .setAudience(AUD)
          .setSubject('c')
          .setIssuedAt()
          .setExpirationTime('5m')
          .setJti(`j-${kid}`)
          .sign(privateKey);
      await verifier.verify(await sign('k1'));
      const forged = await Promise.all(Array.from({ length: 50 }, (_, i) => sign(`random-${i}`)));
      const results = await Promise.allSettled(forged.map((t) => verifier.verify(t)));
      expect(results.every((r) => r.status === 'rejected')).to.equal(true);
      expect(fetches, 'one fetch, plus at most one refetch for the unknown kids').to.be.at.most(2);
    } finally {
      server.close();
    }
  });
});
