import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { pino } from 'pino';
import request from 'supertest';
import { loadConfig } from '../../config/index.js';
import { registerWhileRunning } from '../../platform/component.js';
import type { RegisteredComponent, RunningComponent } from '../../platform/component.js';
import { serviceResolverFor } from '../../platform/registry/discovery.js';
import { FEEDS_RESOURCE, createFeedsService } from '../../resource-services/feeds/app.js';
import type { FeedsService } from '../../resource-services/feeds/app.js';
import { startTweetsService } from '../../resource-services/tweets/app.js';
import { startUsersService } from '../../resource-services/users/app.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';
import { eventually, registryTokens, startRegistryHarness } from '../registry/harness.js';
import type { RegistryHarness } from '../registry/harness.js';
import { mintingTokenSource } from './support.js';

const TTL_SECONDS = 2;

describe('feeds with two tweets instances behind the registry', function () {
  this.timeout(60_000);
  const silent = pino({ level: 'silent' });
  let issuer: TestIssuer;
  let dir: TempDir;
  let registry: RegistryHarness;
  const started: RunningComponent[] = [];
  let users: RegisteredComponent;
  let tweetsA: { running: RunningComponent; registered: RegisteredComponent; failing: () => void };
  let tweetsB: RegisteredComponent;
  let feeds: FeedsService;

  before(async function () {
    issuer = await createTestIssuer();
    dir = await createTempDir('registry-failover');
    registry = await startRegistryHarness({
      issuer,
      env: { CHIRP_REGISTRY_TTL: String(TTL_SECONDS), CHIRP_REGISTRY_REFRESH_MS: '200' },
    });
    const registryConfig = loadConfig('registry', {
      CHIRP_REGISTRY_URL: registry.url,
      CHIRP_REGISTRY_HEARTBEAT: '1',
      CHIRP_REGISTRY_REFRESH_MS: '200',
    });
    const common = {
      CHIRP_DATA_DIR: dir.path,
      CHIRP_LOG_LEVEL: 'silent',
      CHIRP_ISSUER: issuer.issuer,
      CHIRP_SHUTDOWN_TIMEOUT: '1',
    };
    const register = async (running: RunningComponent, service: string, clientId: string) => {
      started.push(running);
      const tokens = registryTokens(issuer, clientId);
      const registered = await registerWhileRunning(running, {
        service,
        registry: registryConfig,
        issuer: issuer.issuer,
        tokens,
      });
      return { registered, failing: () => (tokens.failing = true) };
    };
    const usersEnv = { ...common, CHIRP_USERS_PORT: '0', CHIRP_USERS_METRICS_PORT: '0' };
    users = (
      await register(
        await startUsersService(loadConfig('users', usersEnv), {
          getKey: issuer.getKey,
          logger: silent,
        }),
        'users',
        'users-client',
      )
    ).registered;
    // Two instances of tweets on the same database, as two processes of one deployment would be.
    const startTweets = () =>
      startTweetsService(
        loadConfig('tweets', { ...common, CHIRP_TWEETS_PORT: '0', CHIRP_TWEETS_METRICS_PORT: '0' }),
        { getKey: issuer.getKey, logger: silent },
      );
    const a = await startTweets();
    tweetsA = { running: a, ...(await register(a, 'tweets', 'tweets-client')) };
    tweetsB = (await register(await startTweets(), 'tweets', 'tweets-client')).registered;
    feeds = await createFeedsService(
      loadConfig('feeds', {
        ...common,
        CHIRP_FEEDS_FOLLOWING_CACHE_MS: '0',
        CHIRP_FEEDS_AUTHOR_CACHE_MS: '0',
      }),
      {
        getKey: issuer.getKey,
        logger: silent,
        tokenSource: mintingTokenSource(issuer),
        resolver: serviceResolverFor(registryConfig, {
          issuer: issuer.issuer,
          logger: silent,
          tokens: registryTokens(issuer, 'feeds-client'),
          staticUrls: {},
        }),
      },
    );
  });

  after(async function () {
    await feeds?.close();
    for (const c of [tweetsB, tweetsA?.registered, users]) {
      await c?.registration?.stop();
    }
    await Promise.all(started.map((c) => c.stop().catch(() => undefined)));
    await registry?.close();
    await dir?.remove();
  });

  it('registers every instance on start', async function () {
    const listed = await registry.registry.resolver.instances('tweets');
    expect(listed.map((i) => i.baseUrl).sort()).to.deep.equal(
      [tweetsA.running.url, tweetsB.url].sort(),
    );
    expect(users.registration?.registered).to.equal(true);
  });

  it('keeps answering, with no failed or degraded request, when one tweets instance dies', async function () {
    const author = await createUser();
    const tweet = await post(author, 'still here');
    const token = await issuer.mint({ aud: FEEDS_RESOURCE, scope: 'feeds:read', user: author.id });
    const failures: string[] = [];
    let answered = 0;
    let running = true;
    const reader = async () => {
      while (running) {
        const res = await request(feeds.app.callback())
          .get('/feeds/home')
          .set({ Authorization: `Bearer ${token}` });
        answered += 1;
        const body = res.body as { items?: { id: string }[]; degraded?: boolean };
        if (res.status !== 200 || body.degraded !== false || body.items?.[0]?.id !== tweet.id) {
          failures.push(`${res.status} ${res.text}`);
        }
      }
    };
    const readers = [reader(), reader()];
    await eventually(() => answered >= 20, 10_000, 'feeds answers before the crash');

    expect(await timelineCalls(tweetsA.running), 'instance A served before the crash').to.be.above(
      0,
    );
    expect(await timelineCalls(tweetsB), 'instance B served before the crash').to.be.above(0);

    // The crash: no deregistration, no more heartbeats, nothing listening any more.
    tweetsA.failing();
    await tweetsA.running.stop();
    const ids = () => registry.listed('tweets');
    const goneAfter = await eventually(
      async () => !(await ids()).includes(tweetsA.running.url),
      (TTL_SECONDS + 2) * 1000,
      'the registry drops the crashed instance',
    );
    const answeredAtExpiry = answered;
    await eventually(() => answered >= answeredAtExpiry + 20, 10_000, 'feeds answers after expiry');
    running = false;
    await Promise.all(readers);

    expect(failures, failures.slice(0, 3).join('\n')).to.deep.equal([]);
    expect(goneAfter).to.be.at.most((TTL_SECONDS + 1) * 1000);
    expect(await ids()).to.deep.equal([tweetsB.url]);
  });

  /** POST /internal/timelines answered by one instance, from its own metrics. */
  async function timelineCalls(instance: RunningComponent): Promise<number> {
    const res = await request(instance.metricsUrl).get('/metrics');
    const line = res.text
      .split('\n')
      .find((l) => l.includes('_count{') && l.includes('route="/internal/timelines"'));
    return Number(line?.split(' ').pop() ?? 0);
  }

  async function createUser(): Promise<{ id: string }> {
    const token = await issuer.mint({ aud: 'urn:chirp:users', scope: 'users:admin' });
    const handle = `r_${randomBytes(5).toString('hex')}`;
    const res = await request(users.url)
      .post('/users')
      .set({ Authorization: `Bearer ${token}` })
      .send({ handle, password: 'correct horse battery', displayName: handle });
    expect(res.status, res.text).to.equal(201);
    return res.body as { id: string };
  }

  async function post(author: { id: string }, text: string): Promise<{ id: string }> {
    const token = await issuer.mint({
      aud: 'urn:chirp:tweets',
      scope: 'tweets:write',
      user: author.id,
    });
    const res = await request(tweetsB.url)
      .post('/tweets')
      .set({ Authorization: `Bearer ${token}` })
      .send({ text });
    expect(res.status, res.text).to.equal(201);
    return res.body as { id: string };
  }
});
