import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { resources } from '../../config/resources.js';
import type { ResourceId } from '../../config/resources.js';
import { startTestAuthServer } from '../helpers/auth-server.js';
import type { TestAuthServer } from '../helpers/auth-server.js';
import { clientCredentials, discover, oauthErrorOf } from '../helpers/oauth.js';
import { clientsDelete } from '../../auth-server/admin/clients.js';

describe('client_credentials grant', function () {
  let server: TestAuthServer;
  let as: oauth.AuthorizationServer;

  before(async function () {
    server = await startTestAuthServer();
    as = await discover(server.issuer);
  });

  after(async function () {
    await server.stop();
    await server.cleanup();
  });

  describe('discovery', function () {
    it('serves the same metadata at both well-known paths, every URL under the issuer', async function () {
      const oidc = (await (
        await fetch(`${server.issuer}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      expect(as.issuer).to.equal(server.issuer);
      expect(oidc['issuer']).to.equal(server.issuer);
      for (const key of [
        'token_endpoint',
        'jwks_uri',
        'introspection_endpoint',
        'revocation_endpoint',
      ]) {
        expect(oidc[key])
          .to.be.a('string')
          .and.satisfy((u: string) => u.startsWith(server.issuer));
        expect((as as Record<string, unknown>)[key]).to.equal(oidc[key]);
      }
      expect(oidc['response_types_supported']).to.deep.equal(['code']);
      expect(oidc['grant_types_supported']).to.include('client_credentials');
    });

    it('ignores Host and X-Forwarded-Host when building endpoint URLs', async function () {
      const res = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`, {
        headers: { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' },
      });
      const body = await res.text();
      expect(res.status).to.equal(200);
      expect(body).not.to.include('evil.example');
      expect(body).not.to.include('https://');
    });
  });

  describe('tokens', function () {
    for (const resource of Object.keys(resources) as ResourceId[]) {
      it(`issues an RFC 9068 ES256 JWT for ${resource} that verifies against the JWKS`, async function () {
        const scope = resources[resource].join(' ');
        const client = await server.createClient({ scope });
        const tokens = await clientCredentials(as, client, { resource, scope });
        expect(tokens.token_type.toLowerCase()).to.equal('bearer');
        expect(tokens.expires_in).to.equal(300);
        expect(tokens.scope).to.equal(scope);

        const header = decodeProtectedHeader(tokens.access_token);
        expect(header).to.include({ alg: 'ES256', typ: 'at+jwt' });
        const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
        const { payload } = await jwtVerify(tokens.access_token, jwks, {
          issuer: server.issuer,
          audience: resource,
          typ: 'at+jwt',
          algorithms: ['ES256'],
        });
        expect(payload).to.include({ sub: client.client_id, client_id: client.client_id, scope });
        expect(payload.exp! - payload.iat!).to.equal(300);
        expect(payload.jti).to.be.a('string');
      });
    }

    it('validates with oauth4webapi as a resource server would (RFC 9068)', async function () {
      const client = await server.createClient({ scope: 'tweets:read' });
      const tokens = await clientCredentials(as, client, {
        resource: 'urn:chirp:tweets',
        scope: 'tweets:read',
      });
      const request = new Request('http://127.0.0.1/tweets/1', {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      const claims = await oauth.validateJwtAccessToken(as, request, 'urn:chirp:tweets', {
        [oauth.allowInsecureRequests]: true,
      });
      expect(claims.client_id).to.equal(client.client_id);
    });

    it('grants only the scopes asked for', async function () {
      const client = await server.createClient({ scope: 'tweets:read tweets:write' });
      const tokens = await clientCredentials(as, client, {
        resource: 'urn:chirp:tweets',
        scope: 'tweets:read',
      });
      expect(tokens.scope).to.equal('tweets:read');
    });

    it('picks the resource from the scopes when the request names none', async function () {
      const client = await server.createClient({ scope: 'feeds:read' });
      const tokens = await clientCredentials(as, client, { scope: 'feeds:read' });
      const { aud } = JSON.parse(
        Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString(),
      ) as { aud: string };
      expect(aud).to.equal('urn:chirp:feeds');
    });

    it('gives a client registered without scopes a token with none', async function () {
      const client = await server.createClient({ resources: ['urn:chirp:tweets'] });
      const tokens = await clientCredentials(as, client, { resource: 'urn:chirp:tweets' });
      expect(tokens.scope).to.equal(undefined);
    });

    it('honours CHIRP_ACCESS_TOKEN_TTL', async function () {
      const short = await startTestAuthServer({ CHIRP_ACCESS_TOKEN_TTL: '60' });
      try {
        const client = await short.createClient({ scope: 'users:read' });
        const tokens = await clientCredentials(await discover(short.issuer), client, {
          resource: 'urn:chirp:users',
          scope: 'users:read',
        });
        expect(tokens.expires_in).to.equal(60);
      } finally {
        await short.stop();
        await short.cleanup();
      }
    });
  });

  describe('errors', function () {
    it('answers invalid_scope for a scope the client is not registered for', async function () {
      const client = await server.createClient({ scope: 'tweets:read' });
      const p = clientCredentials(as, client, {
        resource: 'urn:chirp:tweets',
        scope: 'tweets:write',
      });
      expect(await oauthErrorOf(p)).to.equal('invalid_scope');
    });

    it('answers invalid_scope for a scope the resource does not define', async function () {
      const client = await server.createClient({ scope: 'tweets:read users:read' });
      const p = clientCredentials(as, client, {
        resource: 'urn:chirp:tweets',
        scope: 'users:read',
      });
      expect(await oauthErrorOf(p)).to.equal('invalid_scope');
    });

    it('answers invalid_scope when a client without scopes asks for one', async function () {
      const client = await server.createClient({ resources: ['urn:chirp:tweets'] });
      const p = clientCredentials(as, client, {
        resource: 'urn:chirp:tweets',
        scope: 'tweets:read',
      });
      expect(await oauthErrorOf(p)).to.equal('invalid_scope');
    });

    it('answers invalid_scope for an unknown scope', async function () {
      const client = await server.createClient({ scope: 'tweets:read' });
      const p = clientCredentials(as, client, { resource: 'urn:chirp:tweets', scope: 'admin' });
      expect(await oauthErrorOf(p)).to.equal('invalid_scope');
    });

    it('answers invalid_target for an unknown resource', async function () {
      const client = await server.createClient({ scope: 'tweets:read' });
      const p = clientCredentials(as, client, {
        resource: 'https://evil.example/',
        scope: 'tweets:read',
      });
      expect(await oauthErrorOf(p)).to.equal('invalid_target');
    });

    it('answers invalid_target for a resource the client is not allowed', async function () {
      const client = await server.createClient({ scope: 'tweets:read' });
      const p = clientCredentials(as, client, { resource: 'urn:chirp:users' });
      expect(await oauthErrorOf(p)).to.equal('invalid_target');
    });

    it('answers invalid_target for two resources at once', async function () {
      const client = await server.createClient({ scope: 'tweets:read users:read' });
      const body = new URLSearchParams([
        ['grant_type', 'client_credentials'],
        ['resource', 'urn:chirp:tweets'],
        ['resource', 'urn:chirp:users'],
      ]);
      const res = await postToken(client, body);
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: string }).error).to.equal('invalid_target');
    });

    it('answers invalid_client for a wrong secret', async function () {
      const client = await server.createClient({ scope: 'tweets:read' });
      const p = clientCredentials(
        as,
        { ...client, client_secret: 'wrong' },
        { resource: 'urn:chirp:tweets' },
      );
      expect(await oauthErrorOf(p)).to.equal('invalid_client');
    });

    it('answers invalid_client within seconds once the CLI deletes the client', async function () {
      const client = await server.createClient({ scope: 'tweets:read' });
      await clientCredentials(as, client, { resource: 'urn:chirp:tweets' });
      await clientsDelete(server.admin, client.client_id);
      const deadline = Date.now() + 5000;
      let error = '';
      while (error !== 'invalid_client' && Date.now() < deadline) {
        error = await oauthErrorOf(
          clientCredentials(as, client, { resource: 'urn:chirp:tweets' }),
        ).catch(() => 'still accepted');
      }
      expect(error).to.equal('invalid_client');
    });
  });

  async function postToken(
    client: { client_id: string; client_secret: string },
    body: URLSearchParams | string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const basic = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');
    return fetch(as.token_endpoint!, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body,
    });
  }
});
