import { expect } from 'chai';
import sinon from 'sinon';
import { isTokenRequestError } from '../../../platform/http/errors.js';
import { createTokenSource } from '../../../platform/http/token-source.js';
import type { TokenSource, TokenSourceOptions } from '../../../platform/http/token-source.js';
import { sendJson, startStub } from './stub-server.js';
import type { StubHandler, StubServer } from './stub-server.js';

const USERS = 'urn:chirp:users';
const READ = 'users:read';

/** Issues `tok-1`, `tok-2`, … with the given lifetime. */
function issuing(expiresIn: number): StubHandler {
  let n = 0;
  return (_req, res) => {
    n += 1;
    sendJson(res, 200, { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: expiresIn });
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('createTokenSource', function () {
  let stub: StubServer;
  let answer: StubHandler;
  let clock: sinon.SinonFakeTimers | undefined;

  beforeEach(async function () {
    answer = issuing(300);
    stub = await startStub((req, res) => answer(req, res));
  });

  afterEach(async function () {
    clock?.restore();
    clock = undefined;
    await stub.close();
  });

  function source(extra: Partial<TokenSourceOptions> = {}): TokenSource {
    return createTokenSource({
      tokenUrl: `${stub.url}/token`,
      clientId: 'feeds',
      clientSecret: 'secret',
      ...extra,
    });
  }

  /** Fakes only Date: the token endpoint is a real server, so real timers must keep running. */
  function fakeDate(): sinon.SinonFakeTimers {
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    return clock;
  }

  it('reuses a token until earlyRefreshSeconds before it expires', async function () {
    const time = fakeDate();
    const tokens = source({ earlyRefreshSeconds: 30 });
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    time.tick(269_999);
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    expect(stub.requests).to.have.length(1);
    time.tick(1);
    expect(await tokens.token(USERS, READ)).to.equal('tok-2');
    expect(stub.requests).to.have.length(2);
  });

  it('keeps a short-lived token for at least half its lifetime', async function () {
    answer = issuing(40);
    const time = fakeDate();
    const tokens = source({ earlyRefreshSeconds: 30 });
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    time.tick(19_999);
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    time.tick(1);
    expect(await tokens.token(USERS, READ)).to.equal('tok-2');
  });

  it('fetches a new token once the old one has expired', async function () {
    const time = fakeDate();
    const tokens = source();
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    time.tick(301_000);
    expect(await tokens.token(USERS, READ)).to.equal('tok-2');
    expect(await tokens.token(USERS, READ)).to.equal('tok-2');
    expect(stub.requests).to.have.length(2);
  });

  it('makes exactly one token request for 100 concurrent callers', async function () {
    const tokens = source();
    const all = await Promise.all(Array.from({ length: 100 }, () => tokens.token(USERS, READ)));
    expect(new Set(all)).to.deep.equal(new Set(['tok-1']));
    expect(stub.requests).to.have.length(1);
  });

  it('caches each (resource, scope) pair on its own', async function () {
    const tokens = source();
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    expect(await tokens.token('urn:chirp:tweets', READ)).to.equal('tok-2');
    expect(await tokens.token(USERS, 'users:read users:credentials')).to.equal('tok-3');
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    expect(stub.requests).to.have.length(3);
  });

  it('rejects every waiter with a typed error and caches nothing when the request fails', async function () {
    answer = (_req, res) => sendJson(res, 401, { error: 'invalid_client' });
    const tokens = source();
    const failures = await Promise.all(
      Array.from({ length: 10 }, () => rejectionOf(tokens.token(USERS, READ))),
    );
    expect(stub.requests).to.have.length(1);
    for (const e of failures) {
      expect(isTokenRequestError(e)).to.equal(true);
      expect(e).to.include({ status: 401, oauthError: 'invalid_client' });
    }
    answer = issuing(300);
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    expect(stub.requests).to.have.length(2);
  });

  it('does not cache an answer without an access token', async function () {
    answer = (_req, res) => sendJson(res, 200, { token_type: 'Bearer', expires_in: 300 });
    const tokens = source();
    expect(isTokenRequestError(await rejectionOf(tokens.token(USERS, READ)))).to.equal(true);
    answer = issuing(300);
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
  });

  it('gives up on a token endpoint that does not answer within timeoutMs', async function () {
    answer = () => undefined;
    const tokens = source({ timeoutMs: 100 });
    const started = performance.now();
    const e = await rejectionOf(tokens.token(USERS, READ));
    expect(isTokenRequestError(e)).to.equal(true);
    expect(performance.now() - started).to.be.lessThan(1000);
  });

  it('sends a form-encoded client_credentials request with form-encoded Basic credentials', async function () {
    const tokens = source({ clientId: 'svc:feeds/1 ü', clientSecret: 'p@ss word+/=%:' });
    await tokens.token(USERS, 'users:read users:credentials');
    const seen = stub.requests[0];
    // RFC 6749 2.3.1: each part form-urlencoded, then joined with ':' and base64ed.
    const expected = Buffer.from('svc%3Afeeds%2F1+%C3%BC:p%40ss+word%2B%2F%3D%25%3A').toString(
      'base64',
    );
    expect(seen?.headers.authorization).to.equal(`Basic ${expected}`);
    expect(seen?.headers['content-type']).to.equal('application/x-www-form-urlencoded');
    expect(seen?.method).to.equal('POST');
    expect(seen?.url).to.equal('/token');
    expect(Object.fromEntries(new URLSearchParams(seen?.body))).to.deep.equal({
      grant_type: 'client_credentials',
      resource: USERS,
      scope: 'users:read users:credentials',
    });
  });

  it('fetches a new token after invalidate', async function () {
    const tokens = source();
    expect(await tokens.token(USERS, READ)).to.equal('tok-1');
    tokens.invalidate(USERS, READ);
    expect(await tokens.token(USERS, READ)).to.equal('tok-2');
    expect(stub.requests).to.have.length(2);
  });

  it('keeps a newer token when invalidate names an older one', async function () {
    const tokens = source();
    await tokens.token(USERS, READ);
    tokens.invalidate(USERS, READ, 'tok-1');
    expect(await tokens.token(USERS, READ)).to.equal('tok-2');
    tokens.invalidate(USERS, READ, 'tok-1');
    expect(await tokens.token(USERS, READ)).to.equal('tok-2');
    expect(stub.requests).to.have.length(2);
  });
});
