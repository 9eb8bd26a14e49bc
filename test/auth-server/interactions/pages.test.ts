import { expect } from 'chai';
import { formEndingWith } from '../../helpers/form-browser.js';
import type { Browser, Visit } from '../../helpers/form-browser.js';
import { PASSWORD, startEndUserWorld } from '../../helpers/end-user-world.js';
import type { EndUserWorld } from '../../helpers/end-user-world.js';

const TWEETS = { resource: 'urn:chirp:tweets' };

/** Every page: strict CSP without script, no framing, no caching, no referrer, no sniffing. */
function expectPageHeaders(page: Visit): void {
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp, `CSP of ${page.url.pathname}`).to.contain("default-src 'none'");
  expect(csp)
    .to.contain("style-src 'self'")
    .and.contain("frame-ancestors 'none'")
    .and.contain("base-uri 'none'");
  expect(csp).to.not.contain('unsafe-inline');
  expect(csp).to.not.contain('script-src');
  expect(page.headers.get('cache-control')).to.equal('no-store');
  expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
  expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
  expect(page.headers.get('content-type')).to.match(/^text\/html/);
  expect(page.text).to.match(/^<!DOCTYPE html>\s*<html lang="en">/);
  expect(page.text).to.not.contain('<script');
}

describe('the sign-in, sign-up and consent pages', function () {
  let world: EndUserWorld;
  before(async function () {
    world = await startEndUserWorld();
  });
  after(async function () {
    await world.stop();
  });

  async function loginPage(browser: Browser, name?: string): Promise<Visit> {
    const app = await world.createApp({ name });
    const request = await world.authorizationUrl(app, 'openid tweets:read', TWEETS);
    return browser.open(request.url);
  }

  it('says the same thing for a wrong password and an unknown handle, and keeps the handle', async function () {
    const account = await world.createAccount();
    const browser = world.browser();
    const page = await loginPage(browser);
    const form = formEndingWith(page.text, '/login');
    const wrong = await browser.submit(form.action, {
      ...form.hidden,
      handle: account.handle,
      password: 'not the password',
    });
    const unknown = await browser.submit(form.action, {
      ...form.hidden,
      handle: 'nobody_here',
      password: PASSWORD,
    });
    expect(wrong.status).to.equal(400);
    expect(unknown.status).to.equal(400);
    const message = 'The handle or password is not right.';
    expect(wrong.text).to.contain(message).and.contain(`value="${account.handle}"`);
    expect(unknown.text).to.contain(message);
    expectPageHeaders(wrong);
  });

  it('refuses a form without or with a wrong anti-forgery token with a 403 page', async function () {
    const account = await world.createAccount();
    const browser = world.browser();
    const page = await loginPage(browser);
    const form = formEndingWith(page.text, '/login');
    const fields = { handle: account.handle, password: PASSWORD };
    const missing = await browser.submit(form.action, fields);
    const wrong = await browser.submit(form.action, { ...fields, csrf: 'A'.repeat(43) });
    const otherBrowser = world.browser();
    await otherBrowser.open('/account/login');
    const stolen = await otherBrowser.submit(form.action, { ...form.hidden, ...fields });
    for (const refused of [missing, wrong]) {
      expect(refused.status).to.equal(403);
      expect(refused.text).to.contain('This form has expired');
      expectPageHeaders(refused);
    }
    // Without this browser's interaction cookie the token alone gets nowhere either.
    expect(stolen.status).to.be.oneOf([400, 403]);
    const ok = await browser.submit(form.action, { ...form.hidden, ...fields });
    expect(ok.status).to.equal(200);
    expect(ok.text).to.contain('Allow');
  });

  it('escapes a hostile app name on the consent page', async function () {
    const account = await world.createAccount();
    const hostile = '<img src=x onerror=alert(1)>"\'&';
    const browser = world.browser();
    const page = await loginPage(browser, hostile);
    expect(page.text).to.not.contain('<img');
    expect(page.text).to.contain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    const form = formEndingWith(page.text, '/login');
    const consent = await browser.submit(form.action, {
      ...form.hidden,
      handle: account.handle,
      password: PASSWORD,
    });
    expect(consent.status).to.equal(200);
    expect(consent.text).to.not.contain('<img');
    expect(consent.text).to.contain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('sends the security headers on every page, and a form-action that allows the app', async function () {
    const account = await world.createAccount();
    const browser = world.browser();
    const login = await loginPage(browser);
    expectPageHeaders(login);
    // The consent POST ends in a redirect to the app: Chromium checks that against form-action.
    expect(login.headers.get('content-security-policy')).to.match(
      /form-action [^;]*'self'[^;]* http:\/\/127\.0\.0\.1:9(;|$| )/,
    );
    const signup = await browser.open(
      formEndingWith(login.text, '/login').action.replace(/login$/, 'signup'),
    );
    expectPageHeaders(signup);
    const form = formEndingWith(login.text, '/login');
    const consent = await browser.submit(form.action, {
      ...form.hidden,
      handle: account.handle,
      password: PASSWORD,
    });
    expectPageHeaders(consent);
    expectPageHeaders(await browser.open('/account/login'));
    expectPageHeaders(await browser.open('/interaction/not-a-real-one'));
    const providerError = await browser.open('/auth?client_id=nope&response_type=code');
    expect(providerError.status).to.equal(400);
    expectPageHeaders(providerError);
    const css = await browser.open('/assets/chirp.css');
    expect(css.status).to.equal(200);
    expect(css.headers.get('content-type')).to.match(/^text\/css/);
  });

  it('creates an account on the sign-up page and continues to consent; a taken handle is shown on the form', async function () {
    const browser = world.browser();
    const login = await loginPage(browser);
    const signupUrl = formEndingWith(login.text, '/login').action.replace(/login$/, 'signup');
    const signup = await browser.open(signupUrl);
    expect(signup.text).to.contain('Create your Chirp account');
    const form = formEndingWith(signup.text, '/signup');
    const handle = `new_${Date.now() % 1_000_000}`;
    const fields = {
      ...form.hidden,
      handle,
      displayName: 'Newcomer',
      password: 'a good long password',
    };
    const consent = await browser.submit(form.action, fields);
    expect(consent.status, consent.text).to.equal(200);
    expect(consent.text).to.contain('Allow');

    const second = world.browser();
    const again = await second.open(signupUrl.replace(/\/interaction\/.*/, '/account/login'));
    expect(again.status).to.equal(200);
    const other = await loginPage(second);
    const otherSignup = await second.open(
      formEndingWith(other.text, '/login').action.replace(/login$/, 'signup'),
    );
    const otherForm = formEndingWith(otherSignup.text, '/signup');
    const taken = await second.submit(otherForm.action, {
      ...otherForm.hidden,
      handle: handle.toUpperCase(),
      displayName: 'Copycat',
      password: 'another long password',
    });
    expect(taken.status).to.equal(409);
    expect(taken.text)
      .to.contain('That handle is taken')
      .and.contain('aria-invalid="true"')
      .and.contain('value="Copycat"');
    expect(taken.text).to.not.contain('another long password');
  });

  it('refuses bad sign-up input field by field without calling users', async function () {
    const browser = world.browser();
    const login = await loginPage(browser);
    const signup = await browser.open(
      formEndingWith(login.text, '/login').action.replace(/login$/, 'signup'),
    );
    const form = formEndingWith(signup.text, '/signup');
    const bad = await browser.submit(form.action, {
      ...form.hidden,
      handle: 'no spaces!',
      displayName: '',
      password: 'short',
    });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('Use 1 to 15 letters').and.contain('Use 8 to 256 characters');
  });

  it('answers an oversized or non-form body with a page, not a 500', async function () {
    const browser = world.browser();
    const login = await loginPage(browser);
    const action = new URL(formEndingWith(login.text, '/login').action, world.issuer);
    const big = await browser.request('POST', action, `handle=${'a'.repeat(20_000)}`);
    expect(big.status).to.equal(413);
    const json = await browser.request('POST', action, '{}', {
      'content-type': 'application/json',
    });
    expect(json.status).to.equal(415);
    expectPageHeaders(json);
  });
});
