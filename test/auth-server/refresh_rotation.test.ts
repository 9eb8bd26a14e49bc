import { expect } from 'chai';
import type * as oauth from 'oauth4webapi';
import sinon from 'sinon';
import { authorizeWithoutPages } from '../helpers/interaction.js';
import { codeRequest, discover, exchangeCode, oauthErrorOf, refresh } from '../helpers/oauth.js';
import type { CodeFlowClient } from '../helpers/oauth.js';
import { usePostgresSchema } from '../helpers/postgres.js';
import type { PostgresSchema } from '../helpers/postgres.js';
import { startProtocolServer } from './protocol-server.js';
import type { ProtocolServer } from './protocol-server.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const GRACE_SECONDS = 10;
const REFRESH_TTL_SECONDS = 3600;

describe('refresh tokens', function () {
  describe('on SQLite', function () {
    refreshSuite(() => ({}));
  });

  describe('on PostgreSQL', function () {
    const pg = usePostgresSchema('refresh_rotation');
    refreshSuite(() => postgresOptions(pg));
  });
});

function postgresOptions(pg: PostgresSchema) {
  return { env: { CHIRP_AUTH_DATABASE_URL: pg.url }, schema: pg.schema };
}

function refreshSuite(storage: () => { env?: Record<string, string>; schema?: string }) {
  let server: ProtocolServer;
  let as: oauth.AuthorizationServer;
  let app: CodeFlowClient;

  before(async function () {
    const { env, schema } = storage();
    server = await startProtocolServer({
      env: {
        ...env,
        CHIRP_REFRESH_GRACE: String(GRACE_SECONDS),
        CHIRP_REFRESH_TOKEN_TTL: String(REFRESH_TTL_SECONDS),
      },
      schema,
    });
    as = await discover(server.issuer);
    app = await server.createClient({
      grants: ['authorization_code', 'refresh_token'],
      authMethod: 'none',
      redirectUris: [REDIRECT],
      scope: 'openid offline_access tweets:read tweets:write',
    });
  });

  after(async function () {
    await server?.close();
  });

  afterEach(function () {
    sinon.restore();
  });

  /** Signs a user in with offline_access (no prompt parameter) and returns the first pair. */
  async function signIn(scope = 'offline_access tweets:read') {
    const request = await codeRequest(as, app, REDIRECT, { scope });
    const callback = await authorizeWithoutPages(server.host.provider, request.url, {
      accountId: 'user-1',
    });
    const tokens = await exchangeCode(as, app, request, callback);
    expect(tokens.refresh_token, 'refresh token for offline_access').to.be.a('string');
    return tokens.refresh_token ?? '';
  }

  it('issues a refresh token for offline_access without prompt=consent, living the configured TTL', async function () {
    const token = await signIn();
    const stored = await server.host.provider.RefreshToken.find(token);
    expect((stored?.exp ?? 0) - (stored?.iat ?? 0)).to.equal(REFRESH_TTL_SECONDS);
  });

  it('rotates the refresh token on every use', async function () {
    const first = await signIn();
    const second = await refresh(as, app, first);
    expect(second.refresh_token).to.be.a('string').and.not.equal(first);
    const third = await refresh(as, app, second.refresh_token ?? '');
    expect(third.refresh_token).to.be.a('string').and.not.equal(second.refresh_token);
    expect(third.access_token).to.be.a('string');
  });

  it('accepts a rotated token again within the grace window, keeping every token valid', async function () {
    const first = await signIn();
    const a = await refresh(as, app, first);
    const b = await refresh(as, app, first);
    expect(b.refresh_token).not.to.equal(a.refresh_token);
    expect((await refresh(as, app, a.refresh_token ?? '')).access_token).to.be.a('string');
    expect((await refresh(as, app, b.refresh_token ?? '')).access_token).to.be.a('string');
  });

  it('lets two parallel refreshes of one token both succeed, and the grant stays usable', async function () {
    const first = await signIn();
    const [a, b] = await Promise.all([refresh(as, app, first), refresh(as, app, first)]);
    expect(a.refresh_token).to.be.a('string');
    expect(b.refresh_token).to.be.a('string').and.not.equal(a.refresh_token);
    const next = await refresh(as, app, b.refresh_token ?? '');
    expect((await refresh(as, app, next.refresh_token ?? '')).access_token).to.be.a('string');
  });

  it('revokes the whole grant when a rotated token comes back after the grace window', async function () {
    const clock = sinon.useFakeTimers({
      now: Date.now(),
      toFake: ['Date'],
      shouldAdvanceTime: true,
    });
    const first = await signIn();
    const newest = await refresh(as, app, first);
    clock.tick((GRACE_SECONDS + 1) * 1000);

    expect(await oauthErrorOf(refresh(as, app, first))).to.equal('invalid_grant');
    expect(await oauthErrorOf(refresh(as, app, newest.refresh_token ?? ''))).to.equal(
      'invalid_grant',
    );
  });

  it('refuses a scope that was not granted with invalid_scope, and the token still works', async function () {
    const token = await signIn();
    expect(await oauthErrorOf(refresh(as, app, token, { scope: 'tweets:write' }))).to.equal(
      'invalid_scope',
    );
    const narrowed = await refresh(as, app, token, { scope: 'tweets:read' });
    expect(narrowed.scope).to.equal('tweets:read');
  });

  it("refuses another client's refresh token without harming the owner's grant", async function () {
    const token = await signIn();
    const other = await server.createClient({
      grants: ['authorization_code', 'refresh_token'],
      authMethod: 'none',
      redirectUris: [REDIRECT],
      scope: 'offline_access tweets:read',
    });
    expect(await oauthErrorOf(refresh(as, other, token))).to.equal('invalid_grant');
    expect((await refresh(as, app, token)).access_token).to.be.a('string');
  });

  it('drops offline_access when the request names another prompt (OpenID Connect rule)', async function () {
    const request = await codeRequest(as, app, REDIRECT, {
      scope: 'offline_access tweets:read',
      prompt: 'login',
    });
    const callback = await authorizeWithoutPages(server.host.provider, request.url, {
      accountId: 'user-1',
    });
    const tokens = await exchangeCode(as, app, request, callback);
    expect(tokens.refresh_token).to.equal(undefined);
  });
}
