import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import sinon from 'sinon';
import { initialAccessTokenCreate } from '../../auth-server/admin/initial-access-tokens.js';
import { authorizeWithoutPages } from '../helpers/interaction.js';
import { codeRequest, discover, exchangeCode, insecure } from '../helpers/oauth.js';
import { startProtocolServer } from './protocol-server.js';
import type { ProtocolServer } from './protocol-server.js';

const PUBLIC_IP = '93.184.216.34';
const HOSTS = {
  'app.example.com': [PUBLIC_IP, '2606:2800:220:1:248:1893:25c8:1946'],
  'intranet.example.com': ['10.1.2.3'],
  'sneaky.example.com': [PUBLIC_IP, '127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
};
const APP = {
  client_name: 'Birdwatch',
  redirect_uris: ['https://app.example.com/callback'],
  token_endpoint_auth_method: 'none',
};

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

describe('dynamic client registration (RFC 7591, RFC 7592)', function () {
  let server: ProtocolServer;
  let endpoint: string;

  before(async function () {
    server = await startProtocolServer({
      hosts: HOSTS,
      env: { CHIRP_REGISTRATIONS_PER_IP_HOUR: '100000' },
    });
    endpoint = `${server.issuer}/reg`;
  });

  after(async function () {
    await server.close();
  });

  afterEach(function () {
    sinon.restore();
  });

  const iat = async () => (await initialAccessTokenCreate(server.admin)).token;
  const call = async (
    url: string,
    method: string,
    token: string | undefined,
    body?: unknown,
  ): Promise<Answer> => {
    const res = await fetch(url, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const register = async (metadata: Record<string, unknown>, token?: string) =>
    call(endpoint, 'POST', token ?? (await iat()), metadata);

  describe('initial access tokens', function () {
    it('registers an app that then completes the code flow (oauth4webapi)', async function () {
      const as = await discover(server.issuer);
      const res = await oauth.dynamicClientRegistrationRequest(as, APP, {
        ...insecure,
        initialAccessToken: await iat(),
      });
      const client = await oauth.processDynamicClientRegistrationResponse(res);
      expect(client['registration_access_token']).to.be.a('string');
      expect(client['client_id']).to.match(/^chirp_/);

      const app = { client_id: client.client_id };
      const request = await codeRequest(as, app, APP.redirect_uris[0] ?? '', {
        scope: 'tweets:read',
      });
      const callback = await authorizeWithoutPages(server.host.provider, request.url, {
        accountId: 'user-9',
      });
      const tokens = await exchangeCode(as, app, request, callback);
      expect(tokens.access_token).to.be.a('string');
    });

    it('refuses a registration without an initial access token (401)', async function () {
      const res = await call(endpoint, 'POST', undefined, APP);
      expect(res.status).to.equal(401);
      expect(res.body['error']).to.equal('invalid_token');
    });

    it('refuses an unknown initial access token (401)', async function () {
      const res = await register(APP, 'not-a-token');
      expect(res.status).to.equal(401);
      expect(res.body['error']).to.equal('invalid_token');
    });

    it('accepts an initial access token for one registration only', async function () {
      const token = await iat();
      expect((await register(APP, token)).status).to.equal(201);
      const again = await register(APP, token);
      expect(again.status).to.equal(401);
      expect(again.body['error']).to.equal('invalid_token');
    });

    it('lets exactly one of two concurrent registrations spend a token', async function () {
      const token = await iat();
      const answers = await Promise.all([register(APP, token), register(APP, token)]);
      expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 401]);
    });

    it('does not spend the token on a refused registration', async function () {
      const token = await iat();
      expect((await register({ ...APP, scope: 'users:admin' }, token)).status).to.equal(400);
      expect((await register(APP, token)).status).to.equal(201);
    });

    it('refuses an expired initial access token (401)', async function () {
      const clock = sinon.useFakeTimers({
        now: Date.now(),
        toFake: ['Date'],
        shouldAdvanceTime: true,
      });
      const { token } = await initialAccessTokenCreate(server.admin, 60);
      clock.tick(61_000);
      const res = await register(APP, token);
      expect(res.status).to.equal(401);
    });
  });

  describe('registration policy', function () {
    const refused = (name: string, metadata: Record<string, unknown>, error: string) => {
      it(`refuses ${name} with ${error}`, async function () {
        const res = await register({ ...APP, ...metadata });
        expect(res.status, JSON.stringify(res.body)).to.equal(400);
        expect(res.body['error']).to.equal(error);
        expect(res.body['error_description']).to.be.a('string');
      });
    };

    it('gives an app registered without scope sign-in and read-only access', async function () {
      const res = await register(APP);
      expect(res.status).to.equal(201);
      expect(res.body['scope']).to.equal('openid profile users:read tweets:read feeds:read');
      expect(res.body['grant_types']).to.deep.equal(['authorization_code']);
      expect(res.body['response_types']).to.deep.equal(['code']);
    });

    it('adds offline_access to the default scope when the refresh_token grant is registered', async function () {
      const res = await register({ ...APP, grant_types: ['authorization_code', 'refresh_token'] });
      expect(res.status).to.equal(201);
      expect(res.body['scope']).to.equal(
        'openid profile users:read tweets:read feeds:read offline_access',
      );
    });

    it('accepts every user-delegated scope, the three resources and loopback http', async function () {
      const res = await register({
        ...APP,
        scope:
          'openid profile offline_access users:read users:write tweets:read tweets:write feeds:read',
        grant_types: ['authorization_code', 'refresh_token'],
        resources: ['urn:chirp:users', 'urn:chirp:tweets', 'urn:chirp:feeds'],
        redirect_uris: [
          'http://127.0.0.1:9000/cb',
          'http://[::1]:9000/cb',
          'http://localhost:9000/cb',
        ],
        logo_uri: 'https://app.example.com/logo.png',
        client_uri: 'https://app.example.com/',
        policy_uri: 'https://app.example.com/privacy',
        tos_uri: 'https://app.example.com/terms',
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
    });

    refused(
      'the scope users:admin',
      { scope: 'tweets:read users:admin' },
      'invalid_client_metadata',
    );
    refused(
      'the scope users:credentials',
      { scope: 'users:credentials' },
      'invalid_client_metadata',
    );
    refused('an unknown scope', { scope: 'tweets:delete' }, 'invalid_client_metadata');
    refused(
      'the client_credentials grant',
      { grant_types: ['client_credentials'] },
      'invalid_client_metadata',
    );
    refused(
      'client_credentials for a confidential client too',
      {
        grant_types: ['authorization_code', 'client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      'invalid_client_metadata',
    );
    refused(
      'the implicit grant',
      { grant_types: ['implicit'], response_types: ['token'] },
      'invalid_client_metadata',
    );
    refused(
      'a response type other than code',
      { response_types: ['code id_token'] },
      'invalid_client_metadata',
    );
    refused('first_party', { first_party: true }, 'invalid_client_metadata');
    refused('resource_server', { resource_server: 'urn:chirp:users' }, 'invalid_client_metadata');
    refused(
      'an unknown resource',
      { resources: ['urn:chirp:payments'] },
      'invalid_client_metadata',
    );
    refused(
      'http redirect URIs off loopback',
      { redirect_uris: ['http://app.example.com/cb'] },
      'invalid_redirect_uri',
    );
    refused(
      'redirect URIs with a fragment',
      { redirect_uris: ['https://app.example.com/cb#x'] },
      'invalid_redirect_uri',
    );
    refused(
      'javascript: redirect URIs',
      { redirect_uris: ['javascript:alert(1)'] },
      'invalid_redirect_uri',
    );
    refused(
      'data: redirect URIs',
      { redirect_uris: ['data:text/html,hi'] },
      'invalid_redirect_uri',
    );
    refused(
      'custom-scheme redirect URIs',
      { redirect_uris: ['com.example.app:/cb'] },
      'invalid_redirect_uri',
    );
    refused(
      'more than 10 redirect URIs',
      { redirect_uris: Array.from({ length: 11 }, (_, i) => `https://app.example.com/cb${i}`) },
      'invalid_redirect_uri',
    );
    refused(
      'a redirect URI over 2,048 characters',
      { redirect_uris: [`https://app.example.com/${'a'.repeat(2048)}`] },
      'invalid_redirect_uri',
    );
    refused(
      'http post-logout redirect URIs off loopback',
      { post_logout_redirect_uris: ['http://app.example.com/bye'] },
      'invalid_client_metadata',
    );
    refused(
      'post-logout redirect URIs with a fragment',
      { post_logout_redirect_uris: ['https://app.example.com/bye#x'] },
      'invalid_client_metadata',
    );
    refused(
      'a client_name over 100 characters',
      { client_name: 'b'.repeat(101) },
      'invalid_client_metadata',
    );

    const nonPublic: Record<string, string> = {
      'an http logo_uri': 'http://app.example.com/logo.png',
      'a loopback IP': 'https://127.0.0.1/logo.png',
      'a private (RFC 1918) IP': 'https://192.168.1.10/logo.png',
      'a 172.16/12 IP': 'https://172.20.0.1/logo.png',
      'a link-local IP': 'https://169.254.169.254/latest/meta-data',
      'a CGNAT IP': 'https://100.64.0.1/logo.png',
      'an unspecified IP': 'https://0.0.0.0/logo.png',
      'a multicast IP': 'https://224.0.0.1/logo.png',
      'the IPv6 loopback': 'https://[::1]/logo.png',
      'a unique-local IPv6': 'https://[fd00::1]/logo.png',
      'a link-local IPv6': 'https://[fe80::1]/logo.png',
      'an IPv4-mapped loopback': 'https://[::ffff:127.0.0.1]/logo.png',
      localhost: 'https://localhost/logo.png',
      'a *.localhost name': 'https://app.localhost/logo.png',
      'a name resolving to a private IP': 'https://intranet.example.com/logo.png',
      'a name resolving partly to loopback': 'https://sneaky.example.com/logo.png',
      'a name that does not resolve': 'https://nowhere.example.com/logo.png',
    };
    for (const [what, uri] of Object.entries(nonPublic)) {
      refused(`a logo_uri on ${what}`, { logo_uri: uri }, 'invalid_client_metadata');
    }
    for (const field of [
      'jwks_uri',
      'client_uri',
      'policy_uri',
      'tos_uri',
      'sector_identifier_uri',
      'initiate_login_uri',
    ]) {
      refused(
        `a ${field} resolving to the cloud metadata address`,
        { [field]: 'https://metadata.example.com/x' },
        'invalid_client_metadata',
      );
    }

    it('answers 413 to a body over 16 KiB before reading it', async function () {
      const res = await register({ ...APP, contacts: ['a'.repeat(17 * 1024)] });
      expect(res.status).to.equal(413);
      expect(res.body['error']).to.equal('invalid_request');
    });
  });

  describe('management (RFC 7592)', function () {
    const registered = async () => {
      const res = await register({ ...APP, scope: 'tweets:read' });
      expect(res.status).to.equal(201);
      return {
        uri: String(res.body['registration_client_uri']),
        token: String(res.body['registration_access_token']),
        clientId: String(res.body['client_id']),
      };
    };

    it('reads the registration with its registration access token', async function () {
      const { uri, token, clientId } = await registered();
      const res = await call(uri, 'GET', token);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ client_id: clientId, scope: 'tweets:read' });
    });

    it('answers 401 to a wrong or missing registration access token', async function () {
      const { uri } = await registered();
      const other = await registered();
      expect((await call(uri, 'GET', 'wrong')).status).to.equal(401);
      expect((await call(uri, 'GET', undefined)).status).to.equal(401);
      expect((await call(uri, 'GET', other.token)).status).to.equal(401);
      expect((await call(uri, 'DELETE', 'wrong')).status).to.equal(401);
    });

    it('updates through the same policy and rotates the registration access token', async function () {
      const { uri, token, clientId } = await registered();
      const update = { ...APP, client_id: clientId, scope: 'tweets:read tweets:write' };
      const res = await call(uri, 'PUT', token, update);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body['scope']).to.equal('tweets:read tweets:write');
      const rotated = String(res.body['registration_access_token']);
      expect(rotated).not.to.equal(token);
      expect((await call(uri, 'GET', token)).status).to.equal(401);
      expect((await call(uri, 'GET', rotated)).status).to.equal(200);
    });

    it('refuses an update outside the policy', async function () {
      const { uri, token, clientId } = await registered();
      const admin = await call(uri, 'PUT', token, {
        ...APP,
        client_id: clientId,
        scope: 'users:admin',
      });
      expect(admin.status).to.equal(400);
      expect(admin.body['error']).to.equal('invalid_client_metadata');
      const firstParty = await call(uri, 'PUT', token, {
        ...APP,
        client_id: clientId,
        first_party: true,
      });
      expect(firstParty.status).to.equal(400);
      expect((await call(uri, 'GET', token)).body['scope']).to.equal('tweets:read');
    });

    it('deletes the registration; its token and the client stop working', async function () {
      const { uri, token, clientId } = await registered();
      expect((await call(uri, 'DELETE', token)).status).to.equal(204);
      expect((await call(uri, 'GET', token)).status).to.equal(401);
      expect(await server.host.provider.Client.find(clientId)).to.equal(undefined);
    });
  });
});

describe('registration rate limit', function () {
  let server: ProtocolServer;

  before(async function () {
    server = await startProtocolServer({ env: { CHIRP_REGISTRATIONS_PER_IP_HOUR: '2' } });
  });

  after(async function () {
    await server.close();
  });

  it('answers 429 with Retry-After and an OAuth error once an IP used its registrations', async function () {
    const attempt = async () => {
      const { token } = await initialAccessTokenCreate(server.admin);
      return fetch(`${server.issuer}/reg`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'] }),
      });
    };
    expect((await attempt()).status).to.equal(201);
    expect((await attempt()).status).to.equal(201);
    const limited = await attempt();
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 3600);
    const body = (await limited.json()) as Record<string, unknown>;
    expect(body['error']).to.equal('temporarily_unavailable');
    expect(body['error_description']).to.match(/retry in \d+ seconds/);
  });
});
