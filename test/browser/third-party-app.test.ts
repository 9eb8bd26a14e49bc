import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { initialAccessTokenCreate } from '../../auth-server/admin/initial-access-tokens.js';
import { startTweetsService } from '../../resource-services/tweets/app.js';
import type { RunningComponent } from '../../platform/component.js';
import {
  BROWSER_SKIP_REASON,
  accessibilityViolations,
  chromiumPath,
  launchChromium,
  screenshot,
} from '../helpers/chromium.js';
import { startEndUserWorld } from '../helpers/end-user-world.js';
import type { EndUserWorld } from '../helpers/end-user-world.js';
import { discover, insecure } from '../helpers/oauth.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';

/** A registered app as RFC 7591 answers it. */
interface Registration {
  readonly client_id: string;
  readonly client_secret: string;
  readonly client_name: string;
}

/** The third-party app's own web server: it only has to receive the redirect. */
async function startAppServer(): Promise<{ server: Server; callback: string }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!doctype html><html lang="en"><title>Photo app</title><h1>Signed in</h1></html>');
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, callback: `http://127.0.0.1:${port}/callback` };
}

async function register(world: EndUserWorld, redirectUri: string): Promise<Registration> {
  const iat = await initialAccessTokenCreate(world.auth.admin, 600);
  const res = await fetch(`${world.issuer}/reg`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iat.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Photo Sharing App',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'openid profile offline_access tweets:read tweets:write',
      token_endpoint_auth_method: 'client_secret_basic',
    }),
  });
  expect(res.status, await res.clone().text()).to.equal(201);
  return (await res.json()) as Registration;
}

async function expectAccessible(page: Page, what: string): Promise<void> {
  expect(await accessibilityViolations(page), `axe-core on the ${what} page`).to.deep.equal([]);
}

describe('a third-party app in a real browser (Chromium through playwright-core)', function () {
  this.timeout(120_000);
  const executable = chromiumPath();
  let world: EndUserWorld;
  let tweets: RunningComponent;
  let tweetsDir: TempDir;
  let app: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;

  before(async function () {
    if (executable === undefined) {
      console.log(`      ${BROWSER_SKIP_REASON}`);
      this.skip();
    }
    world = await startEndUserWorld();
    tweetsDir = await createTempDir('tweets');
    tweets = await startTweetsService(
      loadConfig('tweets', {
        CHIRP_DATA_DIR: tweetsDir.path,
        CHIRP_TWEETS_PORT: '0',
        CHIRP_TWEETS_METRICS_PORT: '0',
        CHIRP_ISSUER: world.issuer,
        CHIRP_LOG_LEVEL: 'silent',
      }),
      { logger: pino({ level: 'silent' }) },
    );
    app = await startAppServer();
    browser = await launchChromium(executable);
  });

  after(async function () {
    await browser?.close();
    app?.server.close();
    await tweets?.stop();
    await tweetsDir?.remove();
    await world?.stop();
  });

  it('registers, signs up, consents, posts a tweet, refreshes, and loses access once revoked', async function () {
    // Register the app with an initial access token (RFC 7591).
    const registration = await register(world, app.callback);
    const as = await discover(world.issuer);
    const client: oauth.Client = { client_id: registration.client_id };
    const clientAuth = oauth.ClientSecretBasic(registration.client_secret);

    // The app sends the user to the authorization endpoint with PKCE.
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const authorize = new URL(as.authorization_endpoint ?? '');
    for (const [k, v] of Object.entries({
      client_id: client.client_id,
      redirect_uri: app.callback,
      response_type: 'code',
      scope: 'openid profile offline_access tweets:read tweets:write',
      resource: 'urn:chirp:tweets',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })) {
      authorize.searchParams.set(k, v);
    }

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorize.href);

    // Sign-in page, then sign-up.
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).to.equal(1);
    await screenshot(page, 'login');
    await expectAccessible(page, 'sign-in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Handle').fill('browser_user');
    await page.getByLabel('Display name').fill('Browser User');
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Create account' }).click();

    // Consent: the app's name, its redirect host and the scopes in words.
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    const consent = await page.textContent('main');
    expect(consent).to.include('Photo Sharing App').and.include('127.0.0.1');
    await screenshot(page, 'consent');
    await expectAccessible(page, 'consent');
    await Promise.all([
      page.waitForURL(/\/callback\?/),
      page.getByRole('button', { name: 'Allow' }).click(),
    ]);

    // The app redeems the code (RFC 9207 iss included) and calls the tweets API as the user.
    const params = oauth.validateAuthResponse(as, client, new URL(page.url()), state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth,
        params,
        app.callback,
        verifier,
        insecure,
      ),
    );
    expect(tokens.refresh_token).to.be.a('string');
    const posted = await fetch(`${tweets.url}/tweets`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ text: 'hello from a third-party app' }),
    });
    expect(posted.status).to.equal(201);

    // Refresh rotates the refresh token.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(
        as,
        client,
        clientAuth,
        tokens.refresh_token ?? '',
        insecure,
      ),
    );
    expect(refreshed.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);

    // The user disconnects the app on the connected-apps page.
    await page.goto(`${world.issuer}/account/apps`);
    const row = page.getByRole('row', { name: /Photo Sharing App/ });
    await row.getByRole('button', { name: /disconnect|revoke/i }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('row', { name: /Photo Sharing App/ }).count()).to.equal(0);
    await context.close();

    // The app's refresh token stops working at once.
    const after = await oauth.refreshTokenGrantRequest(
      as,
      client,
      clientAuth,
      refreshed.refresh_token ?? '',
      insecure,
    );
    const failure = await oauth.processRefreshTokenResponse(as, client, after).then(
      () => 'refreshed',
      (e: unknown) => (e instanceof oauth.ResponseBodyError ? e.error : String(e)),
    );
    expect(failure).to.equal('invalid_grant');
  });
});
