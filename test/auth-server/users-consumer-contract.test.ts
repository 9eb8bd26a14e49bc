import { expect } from 'chai';
import { z } from 'zod';
import { PasswordCheckAnswer, UserAnswer } from '../../auth-server/interactions/users-client.js';
import { formEndingWith } from '../helpers/form-browser.js';
import { PASSWORD, startEndUserWorld } from '../helpers/end-user-world.js';
import type { EndUserWorld } from '../helpers/end-user-world.js';
import { openApiContract } from '../helpers/openapi.js';
import type { JsonSchema, OpenApiContract } from '../helpers/openapi.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';
import type { RecordingProxy } from '../helpers/recording-proxy.js';
import * as oauth from 'oauth4webapi';

const TWEETS = { resource: 'urn:chirp:tweets' };

describe('the auth server as a consumer of the users API', function () {
  let world: EndUserWorld;
  let proxy: RecordingProxy;
  let document: OpenApiContract;

  before(async function () {
    // The users service behind a recording proxy: every call the auth server makes is kept.
    world = await startEndUserWorld({}, async (usersUrl) => {
      proxy = await startRecordingProxy(usersUrl);
      return proxy.url;
    });
    document = openApiContract(
      await (await fetch(`${world.users.url}/openapi.json`)).json(),
      'users',
    );
    await driveEveryCall();
  });
  after(async function () {
    await world.stop();
    await proxy.close();
  });

  /** Every kind of call: password checks (right, wrong), sign-ups (new, taken), profile reads. */
  async function driveEveryCall(): Promise<void> {
    const account = await world.createAccount();
    const app = await world.createApp();
    const browser = world.browser();
    const request = await world.authorizationUrl(app, 'openid profile tweets:read', TWEETS);
    const login = formEndingWith((await browser.open(request.url)).text, '/login');
    await browser.submit(login.action, {
      ...login.hidden,
      handle: account.handle,
      password: 'wrong one',
    });
    const consent = await browser.submit(login.action, {
      ...login.hidden,
      handle: account.handle,
      password: PASSWORD,
    });
    const form = formEndingWith(consent.text, '/consent');
    const done = await browser.submit(form.action, { ...form.hidden, decision: 'allow' });
    const tokens = await world.redeem(app, done.location as URL, request.state, request.verifier);
    expect(oauth.getValidatedIdTokenClaims(tokens)?.['preferred_username']).to.equal(
      account.handle,
    );
    for (const handle of [`s${Date.now() % 1e8}`, account.handle]) {
      const other = world.browser();
      const next = await world.authorizationUrl(app, 'openid tweets:read', TWEETS);
      const page = await other.open(next.url);
      const signup = await other.open(
        formEndingWith(page.text, '/login').action.replace(/login$/, 'signup'),
      );
      const f = formEndingWith(signup.text, '/signup');
      await other.submit(f.action, {
        ...f.hidden,
        handle,
        displayName: 'Someone',
        password: 'long enough pw',
      });
    }
  }

  it('sends only documented requests, with bodies the users document describes', function () {
    expect(proxy.exchanges).to.not.be.empty;
    for (const x of proxy.exchanges) {
      document.checkRequest(x);
    }
  });

  it('gets only documented answers, which validate against the document', function () {
    for (const x of proxy.exchanges) {
      document.checkResponse(x);
    }
  });

  it('exercised every call and answer the auth server handles', function () {
    const seen = new Set(
      proxy.exchanges.map(
        (x) => `${x.method} ${document.templateOf(x.method, x.path)} ${x.status}`,
      ),
    );
    expect([...seen].sort()).to.deep.equal([
      'GET /users/{id} 200',
      'POST /internal/password-checks 200',
      'POST /users 201',
      'POST /users 409',
    ]);
  });

  it('reads only fields the document promises, with the documented types', function () {
    const reads: [string, string, number, z.ZodType][] = [
      ['POST', '/internal/password-checks', 200, PasswordCheckAnswer],
      ['POST', '/users', 201, UserAnswer],
      ['GET', '/users/{id}', 200, UserAnswer],
    ];
    for (const [method, template, status, schema] of reads) {
      const consumer = z.toJSONSchema(schema, { io: 'output' }) as JsonSchema;
      expectDeclares(
        document,
        document.responseSchema(method, template, status),
        consumer,
        template,
      );
    }
  });

  it('calls each route with a users token carrying the scope the document asks for', function () {
    for (const x of proxy.exchanges) {
      const template = document.templateOf(x.method, x.path);
      const payload =
        String(x.requestHeaders['authorization'] ?? '')
          .replace(/^Bearer /, '')
          .split('.')[1] ?? '';
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      expect(claims['aud']).to.equal('urn:chirp:users');
      expect(String(claims['scope']).split(' ')).to.include.members(
        document.scopes(x.method, template),
      );
    }
  });
});

/** Fails unless every field `consumer` reads is declared (and required when read as required). */
function expectDeclares(
  document: OpenApiContract,
  provider: JsonSchema,
  consumer: JsonSchema,
  at: string,
): void {
  const variants = ((document.resolve(provider)['anyOf'] ?? document.resolve(provider)['oneOf']) as
    JsonSchema[] | undefined) ?? [document.resolve(provider)];
  const declared = new Map<string, JsonSchema>();
  for (const v of variants.map((s) => document.resolve(s))) {
    for (const [k, s] of Object.entries((v['properties'] ?? {}) as Record<string, JsonSchema>)) {
      declared.set(k, s);
    }
  }
  for (const [field, schema] of Object.entries(
    (consumer['properties'] ?? {}) as Record<string, JsonSchema>,
  )) {
    const documented = declared.get(field);
    expect(documented, `${at}.${field} is documented`).to.be.an('object');
    const type = schema['type'];
    const resolved = document.resolve(documented ?? {});
    if (typeof type === 'string' && type !== 'object' && resolved['type'] !== undefined) {
      expect(resolved['type'], `${at}.${field} type`).to.equal(type);
    }
    if (type === 'object') {
      expectDeclares(document, resolved, schema, `${at}.${field}`);
    }
  }
}
