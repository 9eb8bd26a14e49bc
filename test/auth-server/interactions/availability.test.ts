import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startTestAuthServer } from '../../helpers/auth-server.js';
import type { TestAuthServer } from '../../helpers/auth-server.js';
import { formEndingWith } from '../../helpers/form-browser.js';
import { PASSWORD, REDIRECT_URI, startEndUserWorld } from '../../helpers/end-user-world.js';
import type { EndUserWorld } from '../../helpers/end-user-world.js';
import { freePort } from '../../helpers/ports.js';

const TWEETS = { resource: 'urn:chirp:tweets' };

/** A TCP server that accepts connections and never answers. */
async function blackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

describe('sign-in when the users service is unavailable', function () {
  for (const [what, target] of [
    [
      'down (nothing listens)',
      async () => ({ url: `http://127.0.0.1:${await freePort()}`, close: () => Promise.resolve() }),
    ],
    ['hanging (never answers)', blackHole],
  ] as const) {
    describe(`users ${what}`, function () {
      let world: EndUserWorld;
      let users: { url: string; close(): Promise<void> };
      before(async function () {
        users = await target();
        world = await startEndUserWorld({ CHIRP_USERS_URL: users.url });
      });
      after(async function () {
        await world.stop();
        await users.close();
      });

      it('says sign-in is temporarily unavailable within two seconds', async function () {
        const app = await world.createApp();
        const browser = world.browser();
        const request = await world.authorizationUrl(app, 'openid tweets:read', TWEETS);
        const login = await browser.open(request.url);
        const form = formEndingWith(login.text, '/login');
        const started = Date.now();
        const page = await browser.submit(form.action, {
          ...form.hidden,
          handle: 'ada',
          password: PASSWORD,
        });
        expect(Date.now() - started).to.be.below(2000);
        expect(page.status).to.equal(503);
        expect(page.headers.get('retry-after')).to.match(/^\d+$/);
        expect(page.text).to.contain('Sign-in is temporarily unavailable');
      });
    });
  }
});

describe('sign-in without the auth server own client configured', function () {
  let auth: TestAuthServer;
  before(async function () {
    auth = await startTestAuthServer();
  });
  after(async function () {
    await auth.stop();
    await auth.cleanup();
  });

  it('starts, and its sign-in page says sign-in is not configured (503)', async function () {
    const app = await auth.createClient({
      grants: ['authorization_code'],
      scope: 'openid tweets:read',
      redirectUris: [REDIRECT_URI],
    });
    const url = new URL('/auth', auth.issuer);
    const params = {
      client_id: app.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid tweets:read',
      resource: 'urn:chirp:tweets',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
    Object.entries(params).forEach(([k, v]) => url.searchParams.set(k, v));
    const { Browser } = await import('../../helpers/form-browser.js');
    const page = await new Browser(auth.issuer).open(url);
    expect(page.status).to.equal(503);
    expect(page.text).to.contain('Sign-in is not configured');
  });
});

describe('failed-login limits', function () {
  let world: EndUserWorld;
  before(async function () {
    world = await startEndUserWorld({
      CHIRP_LOGIN_MAX_FAILURES_PER_HANDLE: '3',
      CHIRP_LOGIN_MAX_FAILURES_PER_IP: '8',
      CHIRP_LOGIN_FAILURE_WINDOW: '900',
    });
  });
  after(async function () {
    await world.stop();
  });

  async function attempt(handle: string, password: string) {
    const app = await world.createApp();
    const browser = world.browser();
    const request = await world.authorizationUrl(app, 'openid tweets:read', TWEETS);
    const form = formEndingWith((await browser.open(request.url)).text, '/login');
    return browser.submit(form.action, { ...form.hidden, handle, password });
  }

  it('refuses a handle (in any case) after its failures, even with the right password, with 429 and Retry-After; a success first clears its count', async function () {
    const account = await world.createAccount();
    expect((await attempt(account.handle, 'wrong password 1')).status).to.equal(400);
    expect((await attempt(account.handle, 'wrong password 2')).status).to.equal(400);
    expect((await attempt(account.handle, PASSWORD)).status).to.equal(200);
    for (const n of [1, 2, 3]) {
      const failed = await attempt(
        n === 2 ? account.handle.toUpperCase() : account.handle,
        'wrong',
      );
      expect(failed.status).to.equal(400);
    }
    const refused = await attempt(account.handle, PASSWORD);
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 900);
    expect(refused.text).to.contain('Too many failed attempts. Try again in 15 minutes.');
  });

  it('refuses every handle from an IP past its failures', async function () {
    // The test above already counted 5 failures against this IP (127.0.0.1); the limit is 8.
    const others = await Promise.all([1, 2, 3, 4].map(() => world.createAccount()));
    const statuses: number[] = [];
    for (const other of others.slice(0, 3)) {
      statuses.push((await attempt(other.handle, 'wrong')).status);
    }
    expect(statuses).to.deep.equal([400, 400, 400]);
    const refused = await attempt(others[3]?.handle ?? '', PASSWORD);
    expect(refused.status).to.equal(429);
    expect(refused.text).to.contain('Too many failed attempts');
  });
});
