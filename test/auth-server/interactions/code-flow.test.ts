import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import type { Visit } from '../../helpers/form-browser.js';
import { formEndingWith } from '../../helpers/form-browser.js';
import { PASSWORD, REDIRECT_URI, startEndUserWorld } from '../../helpers/end-user-world.js';
import type { EndUserWorld, TestApp } from '../../helpers/end-user-world.js';
import type { Browser } from '../../helpers/form-browser.js';

const SCOPE = 'openid profile offline_access tweets:read';
const TWEETS = { resource: 'urn:chirp:tweets' };

describe('authorization code + PKCE through the sign-in and consent pages', function () {
  let world: EndUserWorld;
  before(async function () {
    world = await startEndUserWorld();
  });
  after(async function () {
    await world.stop();
  });

  async function signIn(browser: Browser, page: Visit, handle: string, password = PASSWORD) {
    const form = formEndingWith(page.text, '/login');
    return browser.submit(form.action, { ...form.hidden, handle, password });
  }

  async function decide(browser: Browser, page: Visit, decision: 'allow' | 'deny') {
    const form = formEndingWith(page.text, '/consent');
    return browser.submit(form.action, { ...form.hidden, decision });
  }

  function callbackOf(visit: Visit): URL {
    expect(visit.status, visit.text).to.equal(303);
    expect(visit.location?.href.startsWith(REDIRECT_URI), String(visit.location)).to.equal(true);
    return visit.location as URL;
  }

  it('signs in, asks consent in words, and gives the app a code that redeems for tokens with profile claims', async function () {
    const account = await world.createAccount();
    const app = await world.createApp({ name: 'Birdwatch' });
    const browser = world.browser();
    const request = await world.authorizationUrl(app, SCOPE, { ...TWEETS, prompt: 'consent' });

    const login = await browser.open(request.url);
    expect(login.status).to.equal(200);
    expect(login.text).to.contain('Sign in').and.contain('Birdwatch');
    const consent = await signIn(browser, login, account.handle);
    expect(consent.status, consent.text).to.equal(200);
    expect(consent.text)
      .to.contain('Birdwatch')
      .and.contain('127.0.0.1:9')
      .and.contain('Read tweets')
      .and.contain('See your handle and display name')
      .and.contain('Keep access while you are away');

    const callback = callbackOf(await decide(browser, consent, 'allow'));
    const tokens = await world.redeem(app, callback, request.state, request.verifier);
    expect(tokens.refresh_token).to.be.a('string');
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    expect(claims?.sub).to.equal(account.id);
    expect(claims?.['preferred_username']).to.equal(account.handle);
    expect(claims?.['name']).to.equal(`The ${account.handle}`);
    const access = JSON.parse(
      Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(access['sub']).to.equal(account.id);
    expect(access['aud']).to.equal('urn:chirp:tweets');
  });

  it('remembers consent per app and scopes: the same request again skips the consent page, in a new session too', async function () {
    const account = await world.createAccount();
    const app = await world.createApp();
    const browser = world.browser();
    const scope = 'openid tweets:read';
    const first = await world.authorizationUrl(app, scope, TWEETS);
    const consent = await signIn(browser, await browser.open(first.url), account.handle);
    expect(consent.text).to.contain('Read tweets');
    callbackOf(await decide(browser, consent, 'allow'));

    const again = await world.authorizationUrl(app, scope, TWEETS);
    const sameSession = await browser.open(again.url);
    const code = callbackOf(sameSession);
    expect(code.searchParams.get('code')).to.be.a('string');

    const fresh = world.browser();
    const third = await world.authorizationUrl(app, scope, TWEETS);
    const signedIn = await signIn(fresh, await fresh.open(third.url), account.handle);
    expect(callbackOf(signedIn).searchParams.get('code')).to.be.a('string');

    const more = await world.authorizationUrl(app, 'openid tweets:read tweets:write', TWEETS);
    const asksAgain = await fresh.open(more.url);
    expect(asksAgain.status).to.equal(200);
    expect(asksAgain.text).to.contain('Post and delete tweets as you');
    expect(asksAgain.text).to.not.contain('<li>Read tweets');
  });

  it('remembers consent for an app that asks offline_access without a prompt, and still issues refresh tokens', async function () {
    const account = await world.createAccount();
    const app = await world.createApp();
    const browser = world.browser();
    const first = await world.authorizationUrl(app, SCOPE, TWEETS);
    const consent = await signIn(browser, await browser.open(first.url), account.handle);
    expect(consent.text).to.contain('Keep access while you are away');
    callbackOf(await decide(browser, consent, 'allow'));

    const fresh = world.browser();
    const again = await world.authorizationUrl(app, SCOPE, TWEETS);
    const callback = callbackOf(await signIn(fresh, await fresh.open(again.url), account.handle));
    const tokens = await world.redeem(app, callback, again.state, again.verifier);
    expect(tokens.refresh_token, 'offline_access still granted').to.be.a('string');

    const explicit = await world.authorizationUrl(app, SCOPE, { ...TWEETS, prompt: 'consent' });
    const asked = await fresh.open(explicit.url);
    expect(asked.status, 'an explicit prompt=consent still asks').to.equal(200);
    expect(asked.text).to.contain('Keep access while you are away');
  });

  it('sends access_denied to the app when the user denies', async function () {
    const account = await world.createAccount();
    const app = await world.createApp();
    const browser = world.browser();
    const request = await world.authorizationUrl(app, 'openid tweets:read', TWEETS);
    const consent = await signIn(browser, await browser.open(request.url), account.handle);
    const callback = callbackOf(await decide(browser, consent, 'deny'));
    expect(callback.searchParams.get('error')).to.equal('access_denied');
    expect(callback.searchParams.get('state')).to.equal(request.state);
  });

  it('sends access_denied to the app when the user cancels the sign-in', async function () {
    const app = await world.createApp();
    const browser = world.browser();
    const request = await world.authorizationUrl(app, 'openid tweets:read', TWEETS);
    const login = await browser.open(request.url);
    const cancel = formEndingWith(login.text, '/abort');
    const callback = callbackOf(await browser.submit(cancel.action, cancel.hidden));
    expect(callback.searchParams.get('error')).to.equal('access_denied');
  });

  it('skips the consent page for a first-party app', async function () {
    const account = await world.createAccount();
    const app: TestApp = await world.createApp({ firstParty: true });
    const browser = world.browser();
    const request = await world.authorizationUrl(app, 'openid profile tweets:read', TWEETS);
    const callback = callbackOf(
      await signIn(browser, await browser.open(request.url), account.handle),
    );
    const tokens = await world.redeem(app, callback, request.state, request.verifier);
    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).to.equal(account.id);
  });
});
