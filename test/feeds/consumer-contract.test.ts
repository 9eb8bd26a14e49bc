import { expect } from 'chai';
import request from 'supertest';
import { z } from 'zod';
import { TimelineAnswer } from '../../resource-services/feeds/clients/tweets.js';
import { BatchAnswer, FollowingIdsAnswer } from '../../resource-services/feeds/clients/users.js';
import { openApiContract } from '../helpers/openapi.js';
import type { JsonSchema, OpenApiContract } from '../helpers/openapi.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';
import type { RecordedExchange, RecordingProxy } from '../helpers/recording-proxy.js';
import { pageOf, useWorld } from './world.js';

/** What each dependency's document and recorded traffic are. */
interface Provider {
  proxy?: RecordingProxy;
  document?: OpenApiContract;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('feeds as a consumer of the users and tweets APIs', function () {
  const providers: Record<'users' | 'tweets', Provider> = { users: {}, tweets: {} };
  const world = useWorld('SQLite', {
    per: 'all',
    async route(real) {
      providers.users.proxy = await startRecordingProxy(real.users);
      providers.tweets.proxy = await startRecordingProxy(real.tweets);
      return { users: providers.users.proxy.url, tweets: providers.tweets.proxy.url };
    },
  });
  after(async function () {
    await providers.users.proxy?.close();
    await providers.tweets.proxy?.close();
  });

  before(async function () {
    for (const [name, url] of [
      ['users', world.usersUrl],
      ['tweets', world.tweetsUrl],
    ] as const) {
      const res = await request(url).get('/openapi.json');
      providers[name].document = openApiContract(res.body, name);
    }
    await driveEveryCall();
  });

  /** Every kind of call feeds makes: a paged timeline, an unknown user, an empty one. */
  async function driveEveryCall(): Promise<void> {
    const [me, ada] = await Promise.all([world.createUser(), world.createUser()]);
    await world.follow(me, ada);
    for (let i = 0; i < 3; i += 1) {
      await world.post(i === 1 ? me : ada, `tweet ${i}`);
    }
    const token = await world.feedsToken(me);
    const first = await request(world.feeds.app.callback())
      .get('/feeds/home?limit=2')
      .set({
        Authorization: `Bearer ${token}`,
        'X-Request-Id': 'consumer-contract-1',
        traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
      });
    expect(first.status, first.text).to.equal(200);
    await world.home(me, { limit: 2, cursor: pageOf(first).nextCursor ?? '' });
    await world.home({ ...me, id: 'u_nobodyHasThisId000000' });
    await world.home(await world.createUser());
  }

  const all = (): { provider: Provider; x: RecordedExchange }[] =>
    Object.values(providers).flatMap((provider) =>
      (provider.proxy?.exchanges ?? []).map((x) => ({ provider, x })),
    );

  it('sends only documented requests, with bodies the providers document', function () {
    expect(all()).to.not.be.empty;
    for (const { provider, x } of all()) {
      provider.document?.checkRequest(x);
    }
  });

  it('gets only documented answers, which validate against the providers documents', function () {
    for (const { provider, x } of all()) {
      provider.document?.checkResponse(x);
    }
  });

  it('exercised every call and every answer feeds handles', function () {
    const seen = new Set(
      all().map(({ provider, x }) => {
        const template = provider.document?.templateOf(x.method, x.path) ?? '';
        return `${x.method} ${template} ${x.status}`;
      }),
    );
    expect([...seen].sort()).to.deep.equal([
      'GET /internal/users/{id}/following-ids 200',
      'GET /internal/users/{id}/following-ids 404',
      'POST /internal/timelines 200',
      'POST /internal/users/batch 200',
    ]);
  });

  it('reads only fields that the documents promise, with the types they document', function () {
    const reads: [Provider, string, string, z.ZodType][] = [
      [providers.users, 'GET', '/internal/users/{id}/following-ids', FollowingIdsAnswer],
      [providers.users, 'POST', '/internal/users/batch', BatchAnswer],
      [providers.tweets, 'POST', '/internal/timelines', TimelineAnswer],
    ];
    for (const [provider, method, template, schema] of reads) {
      const document = provider.document;
      if (document === undefined) {
        throw new Error('no document');
      }
      const consumer = z.toJSONSchema(schema, { io: 'output' }) as JsonSchema;
      expectDeclares(document, document.responseSchema(method, template, 200), consumer, template);
    }
  });

  it('sends a token for the provider with the scopes its document asks for', function () {
    for (const { provider, x } of all()) {
      const template = provider.document?.templateOf(x.method, x.path) ?? '';
      const claims = claimsOf(String(x.requestHeaders['authorization'] ?? ''));
      const scope = claims['scope'];
      const granted = typeof scope === 'string' ? scope.split(' ') : [];
      expect(granted, `${x.method} ${template}`).to.include.members(
        provider.document?.scopes(x.method, template) ?? [],
      );
      expect(claims['aud']).to.equal(
        x.path.includes('/timelines') ? 'urn:chirp:tweets' : 'urn:chirp:users',
      );
    }
  });

  it('passes the request id and the trace on to every call of a request', function () {
    const calls = all().filter(
      ({ x }) => x.requestHeaders['x-request-id'] === 'consumer-contract-1',
    );
    expect(
      calls.map(
        ({ x }) =>
          `${x.method} ${x.path.replace(/^\/internal\/users\/[^/]+\/following-ids$/, '/internal/users/…/following-ids')}`,
      ),
    ).to.have.members([
      'GET /internal/users/…/following-ids',
      'POST /internal/timelines',
      'POST /internal/users/batch',
    ]);
    for (const { x } of calls) {
      expect(x.requestHeaders['traceparent']).to.match(
        new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`),
      );
      expect(x.requestHeaders['authorization']).to.match(/^Bearer /);
    }
  });
});

/**
 * Fails unless every property `consumer` reads is declared in `provider` (and required there
 * when feeds requires it), with the same JSON type, all the way down.
 */
function expectDeclares(
  document: OpenApiContract,
  provider: JsonSchema,
  consumer: JsonSchema,
  at: string,
): void {
  const p = document.resolve(provider);
  const type = consumer['type'];
  if (typeof type === 'string' && typeof p['type'] === 'string') {
    expect(p['type'], `${at} type`).to.equal(type);
  }
  if (type === 'array') {
    expectDeclares(document, p['items'] as JsonSchema, consumer['items'] as JsonSchema, `${at}[]`);
    return;
  }
  if (type !== 'object') {
    return;
  }
  const declared = (p['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((p['required'] ?? []) as string[]);
  const reads = (consumer['properties'] ?? {}) as Record<string, JsonSchema>;
  for (const field of (consumer['required'] ?? []) as string[]) {
    expect(required.has(field), `${at}.${field} is required by the provider`).to.equal(true);
  }
  for (const [field, schema] of Object.entries(reads)) {
    const documented = declared[field];
    expect(documented, `${at}.${field} is documented`).to.be.an('object');
    expectDeclares(document, documented ?? {}, schema, `${at}.${field}`);
  }
}

/** The payload of the bearer JWT in an Authorization header (already verified by the provider). */
function claimsOf(authorization: string): Record<string, unknown> {
  const payload = authorization.replace(/^Bearer /, '').split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}
