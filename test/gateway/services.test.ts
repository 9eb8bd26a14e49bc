import { expect } from 'chai';
import request from 'supertest';
import type { Gateway } from '../../gateway/app.js';
import {
  TWEETS,
  USERS,
  createUser,
  postTweet,
  roundRobinResolver,
  startServices,
  testGateway,
} from './support.js';
import type { Services } from './support.js';

const GENEROUS = {
  CHIRP_GATEWAY_RATE_LIMIT: '100000',
  CHIRP_GATEWAY_RATE_LIMIT_BURST: '100000',
};

interface ProfileBody {
  user: { id: string; handle: string };
  recentTweets: { id: string; authorId: string; text: string }[];
  degraded: boolean;
}

describe('gateway in front of real services', function () {
  let s: Services;
  let gateway: Gateway;

  afterEach(async function () {
    await gateway.close();
    await s.stop();
  });

  describe('GET /profiles/{handle}', function () {
    beforeEach(async function () {
      s = await startServices(1);
      const tweets = s.tweets.map((t) => t.url);
      const resolver = roundRobinResolver({ users: [s.users.url], tweets });
      gateway = testGateway(s.issuer, GENEROUS, { resolver });
    });

    const profile = async (handle: string, scope = 'users:read') => {
      const token = await s.issuer.mint({ aud: USERS, scope, user: 'reader' });
      return request(gateway.app.callback())
        .get(`/profiles/${handle}`)
        .set('Authorization', `Bearer ${token}`);
    };

    it('answers the user and their newest tweets in one response', async function () {
      const id = await createUser(s, 'alice');
      await postTweet(s, id, 'first');
      await postTweet(s, id, 'second');
      const res = await profile('Alice');
      expect(res.status).to.equal(200);
      const body = res.body as ProfileBody;
      expect(body.user).to.include({ id, handle: 'alice' });
      expect(body.recentTweets.map((t) => t.text)).to.deep.equal(['second', 'first']);
      expect(body.degraded).to.equal(false);
      // A second read runs users and tweets in parallel (the handle's id is known).
      const again = await profile('alice');
      expect((again.body as ProfileBody).recentTweets).to.have.length(2);
    });

    it('still answers the profile, marked degraded, when tweets is down', async function () {
      const id = await createUser(s, 'bob');
      await postTweet(s, id, 'hello');
      await s.tweets[0]?.stop();
      const res = await profile('bob');
      expect(res.status).to.equal(200);
      const body = res.body as ProfileBody;
      expect(body.user.id).to.equal(id);
      expect(body.recentTweets).to.deep.equal([]);
      expect(body.degraded).to.equal(true);
    });

    it('answers 404 problem+json for an unknown handle, 400 for a malformed one, 403 without users:read', async function () {
      const unknown = await profile('nobody');
      expect(unknown.status).to.equal(404);
      expect(unknown.headers['content-type']).to.match(/^application\/problem\+json/);
      const malformed = await profile('not-a-handle!');
      expect(malformed.status).to.equal(400);
      const noScope = await profile('nobody', 'users:write');
      expect(noScope.status).to.equal(403);
      expect(noScope.headers['www-authenticate']).to.match(/insufficient_scope/);
    });

    it('answers 503 problem+json with the request id when users is down', async function () {
      await s.users.stop();
      const res = await profile('carol');
      expect(res.status).to.be.oneOf([502, 503]);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect((res.body as { requestId: string }).requestId).to.equal(res.headers['x-request-id']);
    });
  });

  describe('two tweets instances', function () {
    it('moves GETs to the live instance when one dies, with no failed GET', async function () {
      this.timeout(60_000);
      s = await startServices(2);
      const [a, b] = s.tweets.map((t) => t.url);
      // Lists both instances throughout, as a registry does until the dead one's TTL runs out.
      const resolver = roundRobinResolver({ tweets: [a ?? '', b ?? ''] });
      gateway = testGateway(s.issuer, GENEROUS, { resolver, breaker: { breakAfter: 2 } });
      const id = await postTweet(s, 'u1', 'still here');
      const token = await s.issuer.mint({ aud: TWEETS, scope: 'tweets:read' });
      const api = request(gateway.app.callback());
      const get = () => api.get(`/tweets/${id}`).set('Authorization', `Bearer ${token}`);

      const before = await Promise.all(Array.from({ length: 10 }, get));
      expect(before.map((r) => r.status)).to.deep.equal(Array(10).fill(200));
      expect(new Set(resolver.picks)).to.have.property('size', 2);

      await s.tweets[0]?.stop();
      resolver.picks.length = 0;
      const statuses: number[] = [];
      for (let round = 0; round < 10; round += 1) {
        const answers = await Promise.all(Array.from({ length: 5 }, get));
        statuses.push(...answers.map((r) => r.status));
      }
      expect(statuses).to.deep.equal(Array(50).fill(200));
      // The dead instance's breaker opened: it stopped being tried long before the 50 GETs ended.
      const triesOfDead = resolver.picks.filter((p) => p === a).length;
      expect(triesOfDead).to.be.below(10);
      const metrics = await request(gateway.internalApp.callback()).get('/metrics');
      expect(metrics.text).to.include(`gateway_circuit_state{service="tweets",instance="${a}"`);
    });
  });
});
