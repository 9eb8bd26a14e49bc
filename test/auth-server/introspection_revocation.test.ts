import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import { startTestAuthServer } from '../helpers/auth-server.js';
import type { TestAuthServer } from '../helpers/auth-server.js';
import { clientCredentials, discover, insecure } from '../helpers/oauth.js';

type Creds = { client_id: string; client_secret: string };

describe('introspection and revocation policy', function () {
  let server: TestAuthServer;
  let as: oauth.AuthorizationServer;
  let owner: Creds;
  let stranger: Creds;
  let tweetsService: Creds;

  before(async function () {
    server = await startTestAuthServer();
    as = await discover(server.issuer);
    owner = await server.createClient({ scope: 'tweets:read' });
    stranger = await server.createClient({ scope: 'tweets:read' });
    tweetsService = await server.createClient({ scope: 'users:read', serves: 'urn:chirp:tweets' });
  });

  after(async function () {
    await server.stop();
    await server.cleanup();
  });

  /** A stored (opaque) access token of `owner` for the tweets audience, as later grants make. */
  async function storedToken(): Promise<string> {
    const { provider } = server.running.apps.host;
    const client = await provider.Client.find(owner.client_id);
    const token = new provider.ClientCredentials({ client: client!, scope: 'tweets:read' });
    token.resourceServer = new provider.ResourceServer('urn:chirp:tweets', {
      scope: 'tweets:read',
      audience: 'urn:chirp:tweets',
      accessTokenFormat: 'opaque',
    });
    return token.save();
  }

  async function introspect(by: Creds, token: string): Promise<oauth.IntrospectionResponse> {
    const c = { client_id: by.client_id };
    const res = await oauth.introspectionRequest(
      as,
      c,
      oauth.ClientSecretBasic(by.client_secret),
      token,
      insecure,
    );
    return oauth.processIntrospectionResponse(as, c, res);
  }

  async function revoke(by: Creds, token: string): Promise<void> {
    const c = { client_id: by.client_id };
    const res = await oauth.revocationRequest(
      as,
      c,
      oauth.ClientSecretBasic(by.client_secret),
      token,
      insecure,
    );
    await oauth.processRevocationResponse(res);
  }

  it('shows a client its own token', async function () {
    const token = await storedToken();
    const info = await introspect(owner, token);
    expect(info.active).to.equal(true);
    expect(info.client_id).to.equal(owner.client_id);
  });

  it('shows the resource server a token issued for its audience', async function () {
    const info = await introspect(tweetsService, await storedToken());
    expect(info.active).to.equal(true);
    expect(info.aud).to.equal('urn:chirp:tweets');
  });

  it('tells another client nothing but active: false', async function () {
    const info = await introspect(stranger, await storedToken());
    expect(info).to.deep.equal({ active: false });
  });

  it('reports JWT access tokens inactive, since they are not stored', async function () {
    const tokens = await clientCredentials(as, owner, { resource: 'urn:chirp:tweets' });
    expect(await introspect(owner, tokens.access_token)).to.deep.equal({ active: false });
  });

  it('refuses introspection without client authentication', async function () {
    const res = await fetch(as.introspection_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${await storedToken()}`,
    });
    expect(res.status).to.be.oneOf([400, 401]);
    expect(((await res.json()) as { error: string }).error).to.be.oneOf([
      'invalid_request',
      'invalid_client',
    ]);
  });

  it('lets another client revoke nothing, and says nothing about it', async function () {
    const token = await storedToken();
    await revoke(stranger, token);
    expect((await introspect(owner, token)).active).to.equal(true);
  });

  it('lets the owner revoke its token', async function () {
    const token = await storedToken();
    await revoke(owner, token);
    expect((await introspect(owner, token)).active).to.equal(false);
  });

  it('answers 200 to revoking an unknown token (RFC 7009)', async function () {
    await revoke(owner, 'not-a-token');
  });
});
