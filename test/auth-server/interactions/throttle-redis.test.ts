import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { formEndingWith } from '../../helpers/form-browser.js';
import { PASSWORD, startEndUserWorld } from '../../helpers/end-user-world.js';
import type { EndUserWorld } from '../../helpers/end-user-world.js';
import { REDIS_SKIP_REASON, redisUrl } from '../../helpers/redis.js';

const TWEETS = { resource: 'urn:chirp:tweets' };

describe('failed-login limits shared through Redis by two auth server instances', function () {
  const worlds: EndUserWorld[] = [];
  before(async function () {
    const url = redisUrl();
    if (url === undefined) {
      console.log(`    ${REDIS_SKIP_REASON}`);
      this.skip();
    }
    const env = {
      CHIRP_REDIS_URL: url,
      CHIRP_LOGIN_MAX_FAILURES_PER_HANDLE: '3',
      // Other runs against the same Redis count against 127.0.0.1 too: only handles are tested.
      CHIRP_LOGIN_MAX_FAILURES_PER_IP: '1000000',
    };
    worlds.push(await startEndUserWorld(env), await startEndUserWorld(env));
  });
  after(async function () {
    await Promise.all(worlds.map((w) => w.stop()));
  });

  async function attempt(world: EndUserWorld, handle: string, password: string) {
    const app = await world.createApp();
    const browser = world.browser();
    const request = await world.authorizationUrl(app, 'openid tweets:read', TWEETS);
    const form = formEndingWith((await browser.open(request.url)).text, '/login');
    return browser.submit(form.action, { ...form.hidden, handle, password });
  }

  it('counts failures at one instance against the handle at the other', async function () {
    const [a, b] = worlds as [EndUserWorld, EndUserWorld];
    // A handle of this run only: the counters outlive the test in a shared Redis.
    const handle = `r${randomBytes(6).toString('hex')}`;
    for (let i = 0; i < 3; i += 1) {
      expect((await attempt(a, handle, `wrong ${i}`)).status).to.equal(400);
    }
    const refused = await attempt(b, handle, PASSWORD);
    expect(refused.status).to.equal(429);
    expect(refused.headers.get('retry-after')).to.match(/^\d+$/);
  });
});
