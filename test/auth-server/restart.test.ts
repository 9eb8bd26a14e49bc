import { expect } from 'chai';
import type { JSONWebKeySet } from 'jose';
import { startTestAuthServer } from '../helpers/auth-server.js';
import type { TestAuthServer } from '../helpers/auth-server.js';
import { clientCredentials, discover } from '../helpers/oauth.js';

describe('auth server restart', function () {
  let first: TestAuthServer;
  let second: TestAuthServer | undefined;

  before(async function () {
    first = await startTestAuthServer();
  });

  after(async function () {
    await second?.stop();
    await first.cleanup();
  });

  it('keeps signing keys, cookie keys and clients on the same data folder', async function () {
    const client = await first.createClient({ scope: 'users:read' });
    const kids = async (issuer: string) =>
      ((await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet).keys.map((k) => k.kid);
    const kidsBefore = await kids(first.issuer);
    const cookieKeys = await first.admin.db('secrets').select('value');

    await first.stop();
    second = await first.restart();

    expect(await kids(second.issuer)).to.deep.equal(kidsBefore);
    expect(await second.admin.db('secrets').select('value')).to.deep.equal(cookieKeys);
    const tokens = await clientCredentials(await discover(second.issuer), client, {
      resource: 'urn:chirp:users',
      scope: 'users:read',
    });
    expect(tokens.scope).to.equal('users:read');
  });
});
