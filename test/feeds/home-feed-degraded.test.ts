import { expect } from 'chai';
import request from 'supertest';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { pageOf, timed, useWorld } from './world.js';
import type { TestUser, World } from './world.js';

/** The answer must come well within a second, whatever the dependencies do. */
const ONE_SECOND = 1000;

/** A user who follows one other, with `count` tweets between them, and their first page cached. */
async function cachedReader(world: World, count = 3, limit = 20): Promise<TestUser> {
  const [me, ada] = await Promise.all([world.createUser(), world.createUser('Ada')]);
  await world.follow(me, ada);
  for (let i = 0; i < count; i += 1) {
    await world.post(i % 2 === 0 ? ada : me, `tweet ${i}`);
  }
  const res = await world.home(me, { limit });
  expect(res.status, res.text).to.equal(200);
  expect(pageOf(res).degraded).to.equal(false);
  return me;
}

/** The value of `dependency_circuit_state` for `dependency` on feeds' internal /metrics. */
async function circuitState(world: World, dependency: string): Promise<number | undefined> {
  const res = await request(world.feeds.internalApp.callback()).get('/metrics');
  const line = res.text
    .split('\n')
    .find(
      (l) => l.startsWith('dependency_circuit_state{') && l.includes(`dependency="${dependency}"`),
    );
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

for (const kind of DATABASE_KINDS) {
  describe(`GET /feeds/home while tweets is down [${kind}]`, function () {
    const world = useWorld(kind, { per: 'each' });

    it('answers the cached first page marked degraded within 1 s', async function () {
      const me = await cachedReader(world);
      const before = pageOf(await world.home(me));
      await world.stopTweets();
      const { result: res, ms } = await timed(() => world.home(me));
      expect(res.status, res.text).to.equal(200);
      expect(pageOf(res)).to.deep.equal({ ...before, degraded: true });
      expect(ms).to.be.below(ONE_SECOND);
    });

    it('logs a warning naming the failed dependency when it serves degraded', async function () {
      const me = await cachedReader(world);
      await world.stopTweets();
      await world.home(me);
      const warning = world.logs.find(
        (l) => l['level'] === 40 && String(l['msg']).includes('degraded'),
      );
      expect(warning?.['dependency']).to.equal('tweets');
      expect(warning?.['kind']).to.equal('unavailable');
      expect(warning?.['requestId']).to.be.a('string');
    });

    it('serves the first page composed last: each composition replaces it, a later page does not', async function () {
      const me = await cachedReader(world, 3, 2);
      const newest = await world.post(me, 'posted after the first composition');
      const latest = pageOf(await world.home(me, { limit: 2 }));
      expect(latest.items[0]?.id).to.equal(newest.id);
      const page2 = await world.home(me, { limit: 2, cursor: latest.nextCursor ?? '' });
      expect(page2.status, page2.text).to.equal(200);
      await world.stopTweets();
      const degraded = pageOf(await world.home(me, { limit: 2 }));
      expect(degraded).to.deep.equal({ ...latest, degraded: true });
    });

    it('answers 503 with Retry-After within 1 s for a user with no cached page', async function () {
      const [newcomer, ada] = await Promise.all([world.createUser(), world.createUser()]);
      await world.follow(newcomer, ada);
      await world.stopTweets();
      const { result: res, ms } = await timed(() => world.home(newcomer));
      expect(res.status, res.text).to.equal(503);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.headers['retry-after']).to.match(/^\d+$/);
      expect(ms).to.be.below(ONE_SECOND);
    });

    it('answers 503 for a later page, which is never cached', async function () {
      const me = await cachedReader(world, 3, 2);
      const cursor = pageOf(await world.home(me, { limit: 2 })).nextCursor;
      expect(cursor).to.be.a('string');
      await world.stopTweets();
      const res = await world.home(me, { limit: 2, cursor: cursor ?? '' });
      expect(res.status, res.text).to.equal(503);
      expect(res.headers['retry-after']).to.match(/^\d+$/);
    });

    it('cuts the cached page to a smaller limit, and its cursor resumes there once tweets is back', async function () {
      const me = await cachedReader(world, 3);
      const full = pageOf(await world.home(me)).items.map((i) => i.id);
      await world.stopTweets();
      const degraded = pageOf(await world.home(me, { limit: 2 }));
      expect(degraded.degraded).to.equal(true);
      expect(degraded.items.map((i) => i.id)).to.deep.equal(full.slice(0, 2));
      await world.startTweets();
      const rest = await eventually(async () => {
        const res = await world.home(me, { limit: 2, cursor: degraded.nextCursor ?? '' });
        return res.status === 200 ? pageOf(res) : undefined;
      });
      expect(rest.items.map((i) => i.id)).to.deep.equal(full.slice(2));
    });

    it('opens the circuit, then composes again once a new tweets instance answers', async function () {
      const me = await cachedReader(world);
      await world.stopTweets();
      for (let i = 0; i < 6; i += 1) {
        const { result: res, ms } = await timed(() => world.home(me));
        expect(pageOf(res).degraded).to.equal(true);
        expect(ms).to.be.below(ONE_SECOND);
      }
      expect(await circuitState(world, 'tweets')).to.equal(1);
      await world.startTweets();
      const recovered = await eventually(async () => {
        const page = pageOf(await world.home(me));
        return page.degraded ? undefined : page;
      });
      expect(recovered.items).to.have.length(3);
      expect(await circuitState(world, 'tweets')).to.equal(0);
      const [author] = recovered.items;
      expect(author?.author.displayName).to.be.a('string');
    });
  });
}

/** Polls `probe` until it yields a value, for at most 10 s (the breaker half-opens after 300 ms). */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error('no full answer within 10 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
