import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { createAdapterFactory } from '../../auth-server/provider/adapter.js';
import { startUsersService } from '../../resource-services/users/app.js';
import type { RunningUsersService } from '../../resource-services/users/app.js';
import { startTestAuthServer } from './auth-server.js';
import type { TestAuthServer } from './auth-server.js';
import { Browser } from './form-browser.js';
import { clientCredentials, discover, insecure } from './oauth.js';
import { freePort } from './ports.js';
import { createTempDir } from './temp-dir.js';
import type { TempDir } from './temp-dir.js';

/** The scopes the auth server's own client has at users (npm start creates the same). */
export const AUTH_CLIENT_SCOPE = 'users:credentials users:admin users:read';

/** Where the test apps say they receive answers; nothing listens there. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';

/** The password every account made with `createAccount` has. */
export const PASSWORD = 'correct horse battery';

/** A registered app: a confidential client using code + PKCE and refresh tokens. */
export interface TestApp {
  readonly client_id: string;
  readonly client_secret: string;
  readonly client_name: string;
}

/** A real auth server whose sign-in calls a real users service, and helpers to drive them. */
export interface EndUserWorld {
  readonly auth: TestAuthServer;
  readonly users: RunningUsersService;
  readonly issuer: string;
  /** An app; options add `post_logout_redirect_uris` or mark it first-party. */
  createApp(options?: {
    name?: string;
    scope?: string;
    firstParty?: boolean;
    postLogout?: boolean;
  }): Promise<TestApp>;
  /** An account at users (through its API, as the auth server's own client). */
  createAccount(handle?: string): Promise<{ id: string; handle: string }>;
  browser(): Browser;
  /** An authorization request with PKCE; `verifier` redeems the code. */
  authorizationUrl(
    app: TestApp,
    scope: string,
    extra?: Record<string, string>,
  ): Promise<{ url: URL; verifier: string; state: string }>;
  /** Redeems a code at the token endpoint as the app. */
  redeem(
    app: TestApp,
    callback: URL,
    state: string,
    verifier: string,
  ): Promise<oauth.TokenEndpointResponse>;
  refresh(app: TestApp, refreshToken: string): Promise<oauth.TokenEndpointResponse>;
  stop(): Promise<void>;
}

/**
 * Starts the world: the auth server first (to create its own client), the users service
 * trusting its JWKS, then the auth server again on the same port and data with that client's
 * credentials and the users URL, as `npm start` wires them. `env` adds auth-server settings.
 */
export async function startEndUserWorld(
  env: Record<string, string> = {},
  /** Where the auth server reaches users, given its real URL (a test may put a proxy between). */
  route: (usersUrl: string) => Promise<string> | string = (url) => url,
): Promise<EndUserWorld> {
  const authDir = await createTempDir('auth');
  const usersDir = await createTempDir('users');
  const port = String(await freePort());
  const first = await startTestAuthServer({ CHIRP_AUTH_PORT: port }, authDir.path);
  const own = await first.createClient({
    name: 'chirp auth server',
    scope: AUTH_CLIENT_SCOPE,
    resources: ['urn:chirp:users'],
  });
  await first.stop();
  const users = await startUsersService(
    loadConfig('users', {
      CHIRP_DATA_DIR: usersDir.path,
      CHIRP_USERS_PORT: '0',
      CHIRP_USERS_METRICS_PORT: '0',
      CHIRP_ISSUER: first.issuer,
      CHIRP_LOG_LEVEL: 'silent',
    }),
    { logger: pino({ level: 'silent' }) },
  );
  const auth = await startTestAuthServer(
    {
      CHIRP_AUTH_PORT: port,
      CHIRP_USERS_URL: await route(users.url),
      CHIRP_AUTH_CLIENT_ID: own.client_id,
      CHIRP_AUTH_CLIENT_SECRET: own.client_secret,
      ...env,
    },
    authDir.path,
  );
  return world(auth, users, own, [authDir, usersDir]);
}

function world(
  auth: TestAuthServer,
  users: RunningUsersService,
  own: { client_id: string; client_secret: string },
  dirs: readonly TempDir[],
): EndUserWorld {
  const issuer = auth.issuer;
  let as: oauth.AuthorizationServer | undefined;
  const server = async () => (as ??= await discover(issuer));
  const clientAuth = (app: TestApp) => oauth.ClientSecretBasic(app.client_secret);
  return {
    auth,
    users,
    issuer,
    async createApp(options = {}) {
      const name = options.name ?? `app ${randomBytes(3).toString('hex')}`;
      const created = await auth.createClient({
        name,
        grants: ['authorization_code', 'refresh_token'],
        scope: options.scope ?? 'openid profile offline_access users:read tweets:read tweets:write',
        redirectUris: [REDIRECT_URI],
        firstParty: options.firstParty,
      });
      if (options.postLogout === true) {
        const adapter = createAdapterFactory(auth.admin.db, auth.admin.box)('Client');
        const stored = await adapter.find(created.client_id);
        await adapter.upsert(created.client_id, {
          ...stored,
          post_logout_redirect_uris: [POST_LOGOUT_URI],
        });
      }
      return {
        client_id: created.client_id,
        client_secret: created.client_secret,
        client_name: name,
      };
    },
    async createAccount(handle = `u${randomBytes(5).toString('hex')}`) {
      const token = await clientCredentials(await server(), own, {
        resource: 'urn:chirp:users',
        scope: 'users:admin',
      });
      const res = await fetch(`${users.url}/users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token.access_token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ handle, password: PASSWORD, displayName: `The ${handle}` }),
      });
      if (res.status !== 201) {
        throw new Error(`users answered ${res.status}: ${await res.text()}`);
      }
      const user = (await res.json()) as { id: string; handle: string };
      return { id: user.id, handle: user.handle };
    },
    browser: () => new Browser(issuer),
    async authorizationUrl(app, scope, extra = {}) {
      const a = await server();
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(a.authorization_endpoint ?? '');
      const params = {
        client_id: app.client_id,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope,
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...extra,
      };
      for (const [k, v] of Object.entries(params)) {
        url.searchParams.set(k, v);
      }
      return { url, verifier, state };
    },
    async redeem(app, callback, state, verifier) {
      const a = await server();
      const client = { client_id: app.client_id };
      const params = oauth.validateAuthResponse(a, client, callback, state);
      const res = await oauth.authorizationCodeGrantRequest(
        a,
        client,
        clientAuth(app),
        params,
        REDIRECT_URI,
        verifier,
        insecure,
      );
      return oauth.processAuthorizationCodeResponse(a, client, res);
    },
    async refresh(app, refreshToken) {
      const a = await server();
      const client = { client_id: app.client_id };
      const res = await oauth.refreshTokenGrantRequest(
        a,
        client,
        clientAuth(app),
        refreshToken,
        insecure,
      );
      return oauth.processRefreshTokenResponse(a, client, res);
    },
    async stop() {
      await auth.stop();
      await users.stop();
      await Promise.all(dirs.map((d) => d.remove()));
    },
  };
}
