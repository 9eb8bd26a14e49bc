import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { pino } from 'pino';
import request from 'supertest';
import type { Response } from 'supertest';
import { loadConfig } from '../../config/index.js';
import type { FeedsConfig } from '../../config/index.js';
import type { RunningComponent } from '../../platform/component.js';
import { FEEDS_RESOURCE, createFeedsService } from '../../resource-services/feeds/app.js';
import type { FeedsDeps, FeedsService } from '../../resource-services/feeds/app.js';
import { startTweetsService } from '../../resource-services/tweets/app.js';
import { startUsersService } from '../../resource-services/users/app.js';
import { openApiContract } from '../helpers/openapi.js';
import type { OpenApiContract } from '../helpers/openapi.js';
import {
  POSTGRES_SKIP_REASON,
  dropSchema,
  postgresUrl,
  uniqueSchemaName,
} from '../helpers/postgres.js';
import type { DatabaseKind } from '../helpers/postgres.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';
import { memoryLogger, mintingTokenSource } from './support.js';
import type { MintingTokenSource, TestTweet, TestUser } from './support.js';

export { FEEDS_RESOURCE };
export { memoryLogger, mintingTokenSource, pageOf, timed } from './support.js';
export type {
  FeedItemJson,
  HomePageJson,
  MintingTokenSource,
  TestTweet,
  TestUser,
} from './support.js';

/** Real users and tweets services listening on ports, and feeds in-process in front of them. */
export interface World {
  readonly kind: DatabaseKind;
  readonly issuer: TestIssuer;
  readonly feeds: FeedsService;
  readonly feedsConfig: FeedsConfig;
  /** Where users and tweets really listen (feeds may be routed through something else). */
  readonly usersUrl: string;
  readonly tweetsUrl: string;
  /** feeds' log lines, parsed. */
  readonly logs: readonly Record<string, unknown>[];
  readonly tokens: MintingTokenSource;
  /** feeds' own /openapi.json; {@link home} checks every answer against it. */
  readonly feedsDocument: OpenApiContract;
  /** GET /feeds/home as `token` (default: a feeds:read token of `user`), checked against the document. */
  home(
    user: TestUser | undefined,
    query?: Record<string, string | number> | string,
    token?: string,
  ): Promise<Response>;
  /** A user token for urn:chirp:feeds. */
  feedsToken(user: TestUser, scope?: string): Promise<string>;
  createUser(displayName?: string): Promise<TestUser>;
  follow(follower: TestUser, followee: TestUser): Promise<void>;
  post(author: TestUser, text: string): Promise<TestTweet>;
  /** Stops the tweets service (its data stays). */
  stopTweets(): Promise<void>;
  /** Starts a new tweets instance on the same data and the same port. */
  startTweets(): Promise<void>;
}

/** What a suite may change about its world. */
export interface WorldOptions {
  /** A fresh world for each test ('each'), or one for the whole suite ('all'). */
  readonly per: 'each' | 'all';
  /** Policy overrides; by default the breaker half-opens after 300 ms so recovery tests are quick. */
  readonly policies?: FeedsDeps['policies'];
  /** The URLs feeds calls, given where users and tweets listen (to put a proxy in between). */
  readonly route?: (real: {
    users: string;
    tweets: string;
  }) => Promise<{ users: string; tweets: string }>;
  /** The issuer the services trust (a test may need its own URL); default a fresh test issuer. */
  readonly issuer?: () => Promise<TestIssuer>;
  /** Extra feeds dependencies (a test may leave out the token source). */
  readonly feedsDeps?: (issuer: TestIssuer) => Partial<FeedsDeps>;
  /** Extra feeds configuration variables. */
  readonly feedsEnv?: () => Record<string, string>;
}

const FAST_RECOVERY = { halfOpenAfterMs: 300 };

/**
 * Mocha hooks for the enclosing describe: a world on `kind` (PostgreSQL skipped with the printed
 * reason when CHIRP_TEST_DATABASE_URL is unset). Read it only inside tests and hooks.
 */
export function useWorld(kind: DatabaseKind, options: WorldOptions): World {
  let current: Started | undefined;
  const [setUp, tearDown] = options.per === 'each' ? [beforeEach, afterEach] : [before, after];
  before(function () {
    if (kind === 'PostgreSQL' && postgresUrl() === undefined) {
      console.log(`    ${POSTGRES_SKIP_REASON}`);
      this.skip();
    }
  });
  setUp(async function () {
    current = await startWorld(kind, options);
  });
  tearDown(async function () {
    await current?.cleanup();
    current = undefined;
  });
  const need = (): Started => {
    if (current === undefined) {
      throw new Error('the world exists only while a test runs');
    }
    return current;
  };
  return new Proxy({} as World, { get: (_t, key): unknown => Reflect.get(need().world, key) });
}

interface Started {
  readonly world: World;
  cleanup(): Promise<void>;
}

type Running = RunningComponent;

async function startWorld(kind: DatabaseKind, options: WorldOptions): Promise<Started> {
  const issuer = await (options.issuer ?? (() => createTestIssuer()))();
  const dir = await createTempDir('feeds');
  const pgUrl = kind === 'PostgreSQL' ? postgresUrl() : undefined;
  const schemas = {
    users: pgUrl && uniqueSchemaName('feeds_users'),
    tweets: pgUrl && uniqueSchemaName('feeds_tweets'),
    feeds: pgUrl && uniqueSchemaName('feeds'),
  };
  const silent = pino({ level: 'silent' });
  const common = {
    CHIRP_DATA_DIR: dir.path,
    CHIRP_LOG_LEVEL: 'silent',
    CHIRP_ISSUER: issuer.issuer,
    CHIRP_SHUTDOWN_TIMEOUT: '1',
  };
  const users = await startUsersService(
    loadConfig('users', {
      ...common,
      CHIRP_USERS_PORT: '0',
      CHIRP_USERS_METRICS_PORT: '0',
      CHIRP_USERS_DATABASE_URL: pgUrl,
    }),
    { getKey: issuer.getKey, logger: silent, ...(schemas.users ? { schema: schemas.users } : {}) },
  );
  const tweetsEnv = { ...common, CHIRP_TWEETS_METRICS_PORT: '0', CHIRP_TWEETS_DATABASE_URL: pgUrl };
  const tweetsDeps = {
    getKey: issuer.getKey,
    logger: silent,
    ...(schemas.tweets ? { schema: schemas.tweets } : {}),
  };
  let tweets: Running | undefined = await startTweetsService(
    loadConfig('tweets', { ...tweetsEnv, CHIRP_TWEETS_PORT: '0' }),
    tweetsDeps,
  );
  const tweetsUrl = tweets.url;
  const routed = (await options.route?.({ users: users.url, tweets: tweetsUrl })) ?? {
    users: users.url,
    tweets: tweetsUrl,
  };
  const feedsConfig = loadConfig('feeds', {
    ...common,
    CHIRP_USERS_URL: routed.users,
    CHIRP_TWEETS_URL: routed.tweets,
    CHIRP_FEEDS_DATABASE_URL: pgUrl,
    // The composition tests expect every change at once; users-memo.test.ts covers the memo.
    CHIRP_FEEDS_FOLLOWING_CACHE_MS: '0',
    CHIRP_FEEDS_AUTHOR_CACHE_MS: '0',
    ...options.feedsEnv?.(),
  });
  const log = memoryLogger();
  const tokens = mintingTokenSource(issuer);
  const feeds = await createFeedsService(feedsConfig, {
    getKey: issuer.getKey,
    logger: log.logger,
    tokenSource: tokens,
    policies: options.policies ?? { users: FAST_RECOVERY, tweets: FAST_RECOVERY },
    ...(schemas.feeds ? { schema: schemas.feeds } : {}),
    ...options.feedsDeps?.(issuer),
  });
  const document = await request(feeds.app.callback()).get('/openapi.json');
  const feedsDocument = openApiContract(document.body, 'feeds');
  const world = buildWorld({
    kind,
    issuer,
    feeds,
    feedsConfig,
    users,
    tweetsUrl,
    log,
    tokens,
    feedsDocument,
  });
  const restartable = {
    async stopTweets() {
      await tweets?.stop();
      tweets = undefined;
    },
    async startTweets() {
      const port = new URL(tweetsUrl).port;
      tweets = await startTweetsService(
        loadConfig('tweets', { ...tweetsEnv, CHIRP_TWEETS_PORT: port }),
        tweetsDeps,
      );
    },
  };
  return {
    world: { ...world, ...restartable },
    async cleanup() {
      await feeds.close();
      await tweets?.stop();
      await users.stop();
      for (const schema of Object.values(schemas)) {
        if (pgUrl && schema) {
          await dropSchema(pgUrl, schema);
        }
      }
      await dir.remove();
    },
  };
}

interface Parts {
  readonly kind: DatabaseKind;
  readonly issuer: TestIssuer;
  readonly feeds: FeedsService;
  readonly feedsConfig: FeedsConfig;
  readonly users: Running;
  readonly tweetsUrl: string;
  readonly log: { readonly lines: Record<string, unknown>[] };
  readonly tokens: MintingTokenSource;
  readonly feedsDocument: OpenApiContract;
}

function buildWorld(p: Parts): Omit<World, 'stopTweets' | 'startTweets'> {
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const world: Omit<World, 'stopTweets' | 'startTweets'> = {
    kind: p.kind,
    issuer: p.issuer,
    feeds: p.feeds,
    feedsConfig: p.feedsConfig,
    usersUrl: p.users.url,
    tweetsUrl: p.tweetsUrl,
    logs: p.log.lines,
    tokens: p.tokens,
    feedsDocument: p.feedsDocument,
    feedsToken: (user, scope = 'feeds:read') =>
      p.issuer.mint({ aud: FEEDS_RESOURCE, scope, user: user.id }),
    async home(user, query = {}, token) {
      const t = token ?? (user === undefined ? undefined : await world.feedsToken(user));
      const req = request(p.feeds.app.callback()).get('/feeds/home').query(query);
      const res = await (t === undefined ? req : req.set(bearer(t)));
      p.feedsDocument.checkResponse(res, { method: 'GET', template: '/feeds/home' });
      return res;
    },
    async createUser(displayName) {
      const handle = `f_${randomBytes(5).toString('hex')}`;
      const token = await p.issuer.mint({ aud: 'urn:chirp:users', scope: 'users:admin' });
      const res = await request(p.users.url)
        .post('/users')
        .set(bearer(token))
        .send({ handle, password: 'correct horse battery', displayName: displayName ?? handle });
      expect(res.status, res.text).to.equal(201);
      return res.body as TestUser;
    },
    async follow(follower, followee) {
      const token = await p.issuer.mint({
        aud: 'urn:chirp:users',
        scope: 'users:write',
        user: follower.id,
      });
      const res = await request(p.users.url).put(`/me/following/${followee.id}`).set(bearer(token));
      expect(res.status, res.text).to.equal(204);
    },
    async post(author, text) {
      const token = await p.issuer.mint({
        aud: 'urn:chirp:tweets',
        scope: 'tweets:write',
        user: author.id,
      });
      const res = await request(p.tweetsUrl).post('/tweets').set(bearer(token)).send({ text });
      expect(res.status, res.text).to.equal(201);
      return res.body as TestTweet;
    },
  };
  return world;
}
