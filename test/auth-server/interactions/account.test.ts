import { expect } from 'chai';
import { formEndingWith, formsOf } from '../../helpers/form-browser.js';
import type { Browser, Visit } from '../../helpers/form-browser.js';
import {
  PASSWORD,
  POST_LOGOUT_URI,
  REDIRECT_URI,
  startEndUserWorld,
} from '../../helpers/end-user-world.js';
import type { EndUserWorld, TestApp } from '../../helpers/end-user-world.js';
import { oauthErrorOf } from '../../helpers/oauth.js';

const TWEETS = { resource: 'urn:chirp:tweets' };

describe('connected apps and logout', function () {
  let world: EndUserWorld;
  before(async function () {
    world = await startEndUserWorld();
  });
  after(async function () {
    await world.stop();
  });

  /** A full code flow with offline access; resolves to the app's tokens. */
  async function connect(browser: Browser, app: TestApp, handle: string, signedIn = false) {
    const request = await world.authorizationUrl(app, 'openid offline_access tweets:read', {
      ...TWEETS,
      prompt: 'consent',
    });
    let page = await browser.open(request.url);
    if (!signedIn) {
      const login = formEndingWith(page.text, '/login');
      page = await browser.submit(login.action, { ...login.hidden, handle, password: PASSWORD });
    }
    const consent = formEndingWith(page.text, '/consent');
    const done = await browser.submit(consent.action, { ...consent.hidden, decision: 'allow' });
    expect(done.location?.href.startsWith(REDIRECT_URI)).to.equal(true);
    return world.redeem(app, done.location as URL, request.state, request.verifier);
  }

  it('lists the apps holding a grant, and revoking one makes its refresh fail with invalid_grant', async function () {
    const account = await world.createAccount();
    const browser = world.browser();
    const keep = await world.createApp({ name: 'Keeper' });
    const drop = await world.createApp({ name: 'Dropper' });
    const ours = await world.createApp({ name: 'Chirp for Web', firstParty: true });
    const kept = await connect(browser, keep, account.handle);
    const dropped = await connect(browser, drop, account.handle, true);
    // A first-party app gets its grant without a consent page; it is not a "connected app".
    const own = await world.authorizationUrl(ours, 'openid tweets:read', TWEETS);
    expect((await browser.open(own.url)).location?.searchParams.get('code')).to.be.a('string');

    const page = await browser.open('/account/apps');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('Keeper').and.contain('Dropper').and.contain('Read tweets');
    expect(page.text).to.not.contain('Chirp for Web');
    expect(page.text).to.match(/stops working\s+within 5 minutes/);

    const row = page.text.split('<tr>').find((r) => r.includes('Dropper')) ?? '';
    const revoke = formsOf(row)[0];
    expect(revoke, 'a revoke form for Dropper').to.not.equal(undefined);
    const after = await browser.submit(revoke?.action ?? '', revoke?.hidden ?? {});
    expect(after.status).to.equal(200);
    expect(after.text).to.contain('The app was disconnected').and.contain('Keeper');
    expect(after.text).to.not.contain('Dropper');

    expect(await oauthErrorOf(world.refresh(drop, dropped.refresh_token ?? ''))).to.equal(
      'invalid_grant',
    );
    const refreshed = await world.refresh(keep, kept.refresh_token ?? '');
    expect(refreshed.access_token).to.be.a('string');
  });

  it('refuses a revoke without the anti-forgery token', async function () {
    const account = await world.createAccount();
    const browser = world.browser();
    const app = await world.createApp({ name: 'Sticky' });
    await connect(browser, app, account.handle);
    const page = await browser.open('/account/apps');
    const form = formEndingWith(page.text, '/account/apps/revoke');
    const refused = await browser.submit(form.action, { grant: form.hidden['grant'] ?? '' });
    expect(refused.status).to.equal(403);
    expect((await browser.open('/account/apps')).text).to.contain('Sticky');
  });

  it('offers a sign-in when not signed in, which leads to the apps page', async function () {
    const account = await world.createAccount();
    const browser = world.browser();
    const login: Visit = await browser.open('/account/apps');
    expect(login.url.pathname).to.equal('/account/login');
    expect(login.status).to.equal(200);
    const form = formEndingWith(login.text, '/account/login');
    const wrong = await browser.submit(form.action, {
      ...form.hidden,
      handle: account.handle,
      password: 'nope nope',
    });
    expect(wrong.status).to.equal(400);
    const apps = await browser.submit(form.action, {
      ...form.hidden,
      handle: account.handle,
      password: PASSWORD,
    });
    expect(apps.url.pathname).to.equal('/account/apps');
    expect(apps.text).to.contain('No apps are connected');
    // The session is the provider's own: an app now finds the person signed in.
    const app = await world.createApp();
    const request = await world.authorizationUrl(app, 'openid tweets:read', TWEETS);
    const consent = await browser.open(request.url);
    expect(consent.text).to.contain('Allow');
  });

  it('logs out through end_session with id_token_hint and returns to the registered post-logout URI', async function () {
    const account = await world.createAccount();
    const browser = world.browser();
    const app = await world.createApp({ postLogout: true });
    const tokens = await connect(browser, app, account.handle);
    const endSession = new URL('/session/end', world.issuer);
    endSession.searchParams.set('id_token_hint', tokens.id_token ?? '');
    endSession.searchParams.set('post_logout_redirect_uri', POST_LOGOUT_URI);
    endSession.searchParams.set('state', 'bye');
    const confirm = await browser.open(endSession);
    expect(confirm.status).to.equal(200);
    expect(confirm.text).to.contain('Sign out?');
    expect(confirm.headers.get('cache-control')).to.equal('no-store');
    expect(confirm.headers.get('content-security-policy')).to.match(
      /form-action [^;]*http:\/\/127\.0\.0\.1:9/,
    );
    expect(confirm.headers.get('content-security-policy')).to.contain("frame-ancestors 'none'");
    const form = formEndingWith(confirm.text, '/session/end/confirm');
    expect(form.hidden['xsrf']).to.match(/^[0-9a-f]{48}$/);
    const forged = await browser.submit(form.action, { xsrf: 'f'.repeat(48), logout: 'yes' });
    expect(forged.status).to.equal(400);
    const done = await browser.submit(form.action, { ...form.hidden, logout: 'yes' });
    expect(done.status).to.equal(303);
    expect(done.location?.href).to.equal(`${POST_LOGOUT_URI}?state=bye`);
    expect((await browser.open('/account/apps')).url.pathname).to.equal('/account/login');
  });

  it('shows its own page after a logout without a post-logout URI', async function () {
    const account = await world.createAccount();
    const browser = world.browser();
    await connect(browser, await world.createApp(), account.handle);
    const confirm = await browser.open('/session/end');
    const form = formEndingWith(confirm.text, '/session/end/confirm');
    const done = await browser.submit(form.action, { ...form.hidden, logout: 'yes' });
    expect(done.status).to.equal(200);
    expect(done.text).to.contain('You are signed out');
    expect(done.headers.get('content-security-policy')).to.contain("default-src 'none'");
  });
});
