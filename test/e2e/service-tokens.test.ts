import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { startUsersService } from '../../resource-services/users/app.js';
import type { RunningUsersService } from '../../resource-services/users/app.js';
import { keysRotate } from '../../auth-server/admin/keys.js';
import { startTestAuthServer } from '../helpers/auth-server.js';
import type { TestAuthServer } from '../helpers/auth-server.js';
import { clientCredentials, discover } from '../helpers/oauth.js';

/**
 * The real chain, no test signer: the auth server issues a client_credentials token and the
 * users service verifies it against the auth server's published keys.
 */
describe('service tokens end to end (real auth server and users service)', function () {
  let auth: TestAuthServer;
  let users: RunningUsersService;

  before(async function () {
    auth = await startTestAuthServer({ CHIRP_KEY_REFRESH_INTERVAL: '1' });
    users = await startUsersService(
      loadConfig('users', {
        CHIRP_DATA_DIR: auth.config.dataDir,
        CHIRP_ISSUER: auth.issuer,
        CHIRP_USERS_PORT: '0',
        CHIRP_USERS_METRICS_PORT: '0',
      }),
      { logger: pino({ level: 'silent' }) },
    );
  });

  after(async function () {
    await users.stop();
    await auth.stop();
    await auth.cleanup();
  });

  async function tokenFor(resource: string, scope: string): Promise<string> {
    const client = await auth.createClient({ scope });
    return (await clientCredentials(await discover(auth.issuer), client, { resource, scope }))
      .access_token;
  }

  const call = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${users.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });

  it('creates and reads a user with tokens from the auth server', async function () {
    const admin = await tokenFor('urn:chirp:users', 'users:admin users:read');
    const created = await call('/users', admin, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'e2e_user', password: 'a long enough password' }),
    });
    expect(created.status).to.equal(201);
    const read = await call('/users/by-handle/E2E_USER', admin);
    expect(read.status).to.equal(200);
    expect(((await read.json()) as { handle: string }).handle).to.equal('e2e_user');
  });

  it('refuses a real token issued for another service', async function () {
    const res = await call(
      '/users/by-handle/e2e_user',
      await tokenFor('urn:chirp:tweets', 'tweets:read'),
    );
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.include('invalid_token');
  });

  it('accepts tokens signed with the rotated-in key, and tokens signed before the rotation', async function () {
    const before = await tokenFor('urn:chirp:users', 'users:read');
    expect((await call('/users/by-handle/e2e_user', before)).status).to.equal(200);
    await keysRotate(auth.admin);
    await auth.running.apps.host.refresh();
    const after = await tokenFor('urn:chirp:users', 'users:read');
    const kid = (t: string) =>
      (JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    expect(kid(after)).not.to.equal(kid(before));
    expect((await call('/users/by-handle/e2e_user', after)).status).to.equal(200);
    expect((await call('/users/by-handle/e2e_user', before)).status).to.equal(200);
  });
});
