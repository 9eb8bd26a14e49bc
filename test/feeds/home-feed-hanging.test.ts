import { expect } from 'chai';
import type { TokenSource } from '../../platform/http/token-source.js';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { startTcpSwitch } from './tcp-switch.js';
import type { TcpSwitch } from './tcp-switch.js';
import { pageOf, timed, useWorld } from './world.js';
import type { TestUser, World } from './world.js';

const ONE_SECOND = 1000;

/** A user with a tweet of someone they follow, and their first page cached. */
async function cachedReader(world: World): Promise<TestUser> {
  const [me, ada] = await Promise.all([world.createUser(), world.createUser()]);
  await world.follow(me, ada);
  await world.post(ada, 'cached before the outage');
  const res = await world.home(me);
  expect(pageOf(res).items, res.text).to.have.length(1);
  return me;
}

for (const kind of DATABASE_KINDS) {
  describe(`GET /feeds/home while a dependency accepts connections but never answers [${kind}]`, function () {
    const switches: Partial<Record<'users' | 'tweets', TcpSwitch>> = {};
    const world = useWorld(kind, {
      per: 'each',
      async route(real) {
        switches.users = await startTcpSwitch(real.users);
        switches.tweets = await startTcpSwitch(real.tweets);
        return { users: switches.users.url, tweets: switches.tweets.url };
      },
    });
    afterEach(async function () {
      await switches.users?.close();
      await switches.tweets?.close();
    });

    for (const dependency of ['tweets', 'users'] as const) {
      it(`answers the cached page marked degraded within 1 s while ${dependency} hangs`, async function () {
        const me = await cachedReader(world);
        const cached = pageOf(await world.home(me));
        switches[dependency]?.set('black-hole');
        const { result: res, ms } = await timed(() => world.home(me));
        expect(res.status, res.text).to.equal(200);
        expect(pageOf(res)).to.deep.equal({ ...cached, degraded: true });
        expect(ms).to.be.below(ONE_SECOND);
        expect(switches[dependency]?.connections()).to.be.above(0);
      });

      it(`answers 503 with Retry-After within 1 s for an uncached user while ${dependency} hangs`, async function () {
        const [newcomer, ada] = await Promise.all([world.createUser(), world.createUser()]);
        await world.follow(newcomer, ada);
        await world.post(ada, 'never composed for the newcomer');
        switches[dependency]?.set('black-hole');
        const { result: res, ms } = await timed(() => world.home(newcomer));
        expect(res.status, res.text).to.equal(503);
        expect(res.headers['retry-after']).to.match(/^\d+$/);
        expect(ms).to.be.below(ONE_SECOND);
      });
    }

    it('keeps answering within 1 s request after request while tweets hangs', async function () {
      const me = await cachedReader(world);
      switches.tweets?.set('black-hole');
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => timed(() => world.home(me))),
      );
      for (const { result: res, ms } of answers) {
        expect(pageOf(res).degraded, res.text).to.equal(true);
        expect(ms).to.be.below(ONE_SECOND);
      }
    });
  });

  describe(`GET /feeds/home when no access token comes [${kind}]`, function () {
    const never: TokenSource = {
      token: () => new Promise<string>(() => undefined),
      invalidate: () => undefined,
    };
    const world = useWorld(kind, {
      per: 'all',
      feedsDeps: () => ({ tokenSource: never }),
      // Smaller than the default, to show the answer follows the configured budget.
      feedsEnv: () => ({ CHIRP_FEEDS_TIME_BUDGET_MS: '500' }),
    });

    it('answers 503 once the time budget is spent, though the token request never settles', async function () {
      const me = await world.createUser();
      const { result: res, ms } = await timed(() => world.home(me));
      expect(res.status, res.text).to.equal(503);
      expect(ms).to.be.at.least(world.feedsConfig.timeBudgetMs - 50);
      expect(ms).to.be.below(ONE_SECOND);
    });
  });
}
