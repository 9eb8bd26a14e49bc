import { expect } from 'chai';
import { isTokenRequestError } from '../../platform/http/errors.js';
import { discoveredTokenSource } from '../../platform/http/discovered-token-source.js';
import { STUB_CLIENT, startStubIssuer } from './stub-issuer.js';
import type { StubIssuer } from './stub-issuer.js';
import { pageOf, useWorld } from './world.js';

const USERS = 'urn:chirp:users';

describe('the token source feeds builds from the issuer metadata', function () {
  let stub: StubIssuer;

  beforeEach(async function () {
    stub = await startStubIssuer();
  });
  afterEach(async function () {
    await stub.close();
  });

  const source = () =>
    discoveredTokenSource({
      issuer: stub.url,
      clientId: STUB_CLIENT.id,
      clientSecret: STUB_CLIENT.secret,
      timeoutMs: 900,
    });

  it('asks the issuer nothing until the first token is needed, then reuses the token', async function () {
    const tokens = source();
    expect(stub.requests).to.deep.equal([]);
    const first = await tokens.token(USERS, 'users:read');
    const again = await tokens.token(USERS, 'users:read');
    expect(again).to.equal(first);
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal([
      'GET /.well-known/oauth-authorization-server',
      'POST /token',
    ]);
  });

  it('asks the discovered token endpoint for the resource and scope with client_secret_basic', async function () {
    await source().token(USERS, 'users:read');
    const tokenRequest = stub.requests.find((r) => r.path === '/token');
    expect(tokenRequest?.headers.authorization).to.match(/^Basic /);
    expect(Object.fromEntries(tokenRequest?.form ?? [])).to.deep.equal({
      grant_type: 'client_credentials',
      resource: USERS,
      scope: 'users:read',
    });
  });

  it('refuses metadata that names another issuer, and sends it no secret', async function () {
    stub.metadata.issuer = 'http://evil.example';
    const e = await source()
      .token(USERS, 'users:read')
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(isTokenRequestError(e)).to.equal(true);
    expect(stub.requests.map((r) => r.path)).to.deep.equal([
      '/.well-known/oauth-authorization-server',
    ]);
  });

  it('tries discovery again on the next call after a failed one', async function () {
    const tokens = source();
    stub.metadata.status = 503;
    const e = await tokens.token(USERS, 'users:read').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isTokenRequestError(e)).to.equal(true);
    stub.metadata.status = 200;
    expect(await tokens.token(USERS, 'users:read')).to.be.a('string');
  });
});

describe('feeds with its default token source', function () {
  let stub: StubIssuer | undefined;
  const world = useWorld('SQLite', {
    per: 'all',
    async issuer() {
      stub = await startStubIssuer();
      return stub.issuer;
    },
    // Leaves out the test's token source, so feeds builds its own from the configuration.
    feedsDeps: () => ({ tokenSource: undefined }),
    feedsEnv: () => ({
      CHIRP_FEEDS_CLIENT_ID: STUB_CLIENT.id,
      CHIRP_FEEDS_CLIENT_SECRET: STUB_CLIENT.secret,
    }),
  });
  after(async function () {
    await stub?.close();
  });

  it('composes timelines with tokens from the token endpoint it discovered', async function () {
    const [me, ada] = await Promise.all([world.createUser(), world.createUser()]);
    await world.follow(me, ada);
    await world.post(ada, 'through real client_credentials');
    const res = await world.home(me);
    expect(pageOf(res).items.map((i) => i.text)).to.deep.equal(['through real client_credentials']);
    const asked = (stub?.requests ?? [])
      .filter((r) => r.path === '/token')
      .map((r) => `${r.form.get('resource')} ${r.form.get('scope')}`);
    expect(asked.sort()).to.deep.equal([
      'urn:chirp:tweets tweets:read',
      'urn:chirp:users users:read',
    ]);
  });
});
