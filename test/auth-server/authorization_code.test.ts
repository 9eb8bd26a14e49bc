import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { authorizeWithoutPages } from '../helpers/interaction.js';
import {
  codeRequest,
  discover,
  exchangeCode,
  oauthErrorDescriptionOf,
  oauthErrorOf,
  refresh,
} from '../helpers/oauth.js';
import type { CodeFlowClient } from '../helpers/oauth.js';
import { startProtocolServer } from './protocol-server.js';
import type { ProtocolServer } from './protocol-server.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const USER = 'user-4242';

describe('authorization_code grant', function () {
  let server: ProtocolServer;
  let as: oauth.AuthorizationServer;
  let app: CodeFlowClient;

  before(async function () {
    server = await startProtocolServer();
    as = await discover(server.issuer);
    app = await server.createClient({
      grants: ['authorization_code', 'refresh_token'],
      authMethod: 'none',
      redirectUris: [REDIRECT],
      scope: 'openid offline_access tweets:read tweets:write feeds:read',
    });
  });

  after(async function () {
    await server.close();
  });

  const authorize = async (params: Record<string, string>) => {
    const request = await codeRequest(as, app, REDIRECT, params);
    const callback = await authorizeWithoutPages(server.host.provider, request.url, {
      accountId: USER,
    });
    return { request, callback };
  };

  it('advertises S256 only and the iss authorization response parameter', function () {
    expect(as.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(as.authorization_response_iss_parameter_supported).to.equal(true);
    expect(as.registration_endpoint).to.equal(`${server.issuer}/reg`);
  });

  it('redirects back with code, the same state and iss (RFC 9207)', async function () {
    const { request, callback } = await authorize({ scope: 'tweets:read' });
    expect(`${callback.origin}${callback.pathname}`).to.equal(REDIRECT);
    expect(callback.searchParams.get('state')).to.equal(request.state);
    expect(callback.searchParams.get('iss')).to.equal(server.issuer);
    expect(callback.searchParams.get('code')).to.be.a('string');
  });

  it("issues a JWT for the scopes' one resource with the user as sub", async function () {
    const { request, callback } = await authorize({ scope: 'tweets:read tweets:write' });
    const tokens = await exchangeCode(as, app, request, callback);
    const { payload, protectedHeader } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(as.jwks_uri ?? '')),
      { issuer: server.issuer, audience: 'urn:chirp:tweets', typ: 'at+jwt' },
    );
    expect(protectedHeader.alg).to.equal('ES256');
    expect(payload).to.include({
      sub: USER,
      client_id: app.client_id,
      scope: 'tweets:read tweets:write',
    });
    expect(tokens.refresh_token, 'no offline_access asked').to.equal(undefined);
  });

  describe('PKCE', function () {
    it('refuses an authorization request without code_challenge', async function () {
      const { callback } = await authorize({
        scope: 'tweets:read',
        code_challenge: '',
        code_challenge_method: '',
      });
      expect(callback.searchParams.get('error')).to.equal('invalid_request');
      expect(callback.searchParams.get('error_description')).to.match(/PKCE/);
      expect(callback.searchParams.get('code')).to.equal(null);
    });

    it('refuses code_challenge_method=plain', async function () {
      const verifier = oauth.generateRandomCodeVerifier();
      const { callback } = await authorize({
        scope: 'tweets:read',
        code_challenge: verifier,
        code_challenge_method: 'plain',
      });
      expect(callback.searchParams.get('error')).to.equal('invalid_request');
      expect(callback.searchParams.get('error_description')).to.include('code_challenge_method');
    });

    it('refuses a code exchanged with the wrong code_verifier', async function () {
      const { request, callback } = await authorize({ scope: 'tweets:read' });
      const wrong = { ...request, codeVerifier: oauth.generateRandomCodeVerifier() };
      expect(await oauthErrorOf(exchangeCode(as, app, wrong, callback))).to.equal('invalid_grant');
    });
  });

  describe('redirect_uri', function () {
    it('shows an error instead of redirecting to an unregistered redirect_uri', async function () {
      const request = await codeRequest(as, app, `${REDIRECT}/other`, { scope: 'tweets:read' });
      const res = await fetch(request.url, { redirect: 'manual' });
      expect(res.status).to.equal(400);
      expect(res.headers.get('location')).to.equal(null);
      expect(await res.text()).to.include('redirect_uri');
    });

    it('refuses a code exchanged with another redirect_uri', async function () {
      const { request, callback } = await authorize({ scope: 'tweets:read' });
      const other = { ...request, redirectUri: `${REDIRECT}?x=1` };
      expect(await oauthErrorOf(exchangeCode(as, app, other, callback))).to.equal('invalid_grant');
    });
  });

  describe('single-use codes', function () {
    it('refuses a reused code and revokes the refresh token the first exchange issued', async function () {
      const { request, callback } = await authorize({ scope: 'offline_access tweets:read' });
      const first = await exchangeCode(as, app, request, callback);
      expect(first.refresh_token).to.be.a('string');

      expect(await oauthErrorOf(exchangeCode(as, app, request, callback))).to.equal(
        'invalid_grant',
      );
      expect(await oauthErrorOf(refresh(as, app, first.refresh_token ?? ''))).to.equal(
        'invalid_grant',
      );
    });

    it('gives tokens to exactly one of two parallel exchanges of one code', async function () {
      const { request, callback } = await authorize({ scope: 'offline_access tweets:read' });
      const results = await Promise.allSettled([
        exchangeCode(as, app, request, callback),
        exchangeCode(as, app, request, callback),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    });
  });

  describe('resource defaulting (RFC 8707)', function () {
    it('asks for resource when the grant covers several resources', async function () {
      const { request, callback } = await authorize({ scope: 'tweets:read feeds:read' });
      const description = await oauthErrorDescriptionOf(exchangeCode(as, app, request, callback));
      expect(description).to.include('urn:chirp:tweets').and.include('resource parameter');
    });

    it('issues a token for the resource named at the token endpoint, with its scopes only', async function () {
      const { request, callback } = await authorize({ scope: 'tweets:read feeds:read' });
      const tokens = await exchangeCode(as, app, request, callback, {
        resource: 'urn:chirp:feeds',
      });
      const claims = JSON.parse(
        Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString(),
      ) as Record<string, unknown>;
      expect(claims).to.include({ aud: 'urn:chirp:feeds', scope: 'feeds:read', sub: USER });
    });

    it('refuses a resource outside the grant with invalid_target', async function () {
      const { request, callback } = await authorize({ scope: 'tweets:read' });
      const error = await oauthErrorOf(
        exchangeCode(as, app, request, callback, { resource: 'urn:chirp:users' }),
      );
      expect(error).to.equal('invalid_target');
    });
  });

  it('refuses a scope the app is not registered for', async function () {
    const { callback } = await authorize({ scope: 'users:admin' });
    expect(callback.searchParams.get('error')).to.equal('invalid_scope');
  });
});
