import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { Logger } from 'pino';
import request from 'supertest';
import type { Response } from 'supertest';
import { loadConfig } from '../../config/index.js';
import type { TweetsConfig } from '../../config/index.js';
import { createTweetsService } from '../../resource-services/tweets/app.js';
import type { TweetsService } from '../../resource-services/tweets/app.js';
import { usePostgresSchema } from '../helpers/postgres.js';
import type { DatabaseKind } from '../helpers/postgres.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';

export const AUD = 'urn:chirp:tweets';

/** A tweets service running in-process for one suite, with a test issuer it trusts. */
export interface TweetsHarness {
  readonly service: TweetsService;
  readonly issuer: TestIssuer;
  /** A supertest agent on the service's public app. */
  http(): ReturnType<typeof request>;
  /** A user token (authorization_code) for `user`, by default with both tweets scopes. */
  userToken(user: string, scope?: string): Promise<string>;
  /** A client_credentials token, as feeds would hold. */
  serviceToken(scope?: string): Promise<string>;
  /** Moves the clock the service uses for idempotency-key expiry. */
  advanceClock(ms: number): void;
}

/** A fresh user id, so that every test builds its own data on the shared suite database. */
export function newUserId(): string {
  return `u_${randomUUID().replace(/-/g, '')}`;
}

/** What a suite may set beyond the defaults. */
export interface HarnessOptions {
  /** CHIRP_TWEETS_WORKER_ID; unset lets the service pick one at random. */
  readonly workerId?: number;
  readonly logger?: Logger;
}

export const BOTH_SCOPES = 'tweets:read tweets:write';

/**
 * Mocha hooks for the enclosing `describe`: a tweets service on `kind` (SQLite in a temp folder;
 * PostgreSQL in a schema of its own, skipped with a printed reason without
 * CHIRP_TEST_DATABASE_URL), created before the suite's tests and closed after them.
 */
export function useTweetsService(
  kind: DatabaseKind,
  label: string,
  options: HarnessOptions = {},
): TweetsHarness {
  let service: TweetsService | undefined;
  let issuer: TestIssuer | undefined;
  let dir: TempDir | undefined;
  let offsetMs = 0;
  // Registered before usePostgresSchema's hooks: mocha runs `after` hooks in order, and the pool
  // must close before the schema is dropped.
  after(async function closeTweetsService() {
    await service?.close();
    await dir?.remove();
    service = undefined;
  });
  const pg = kind === 'PostgreSQL' ? usePostgresSchema(`tweets_${label}`) : undefined;
  before(async function startTweetsService() {
    dir = await createTempDir(`tweets-${label}`);
    issuer = await createTestIssuer();
    offsetMs = 0;
    const config = configFor(dir.path, issuer.issuer, pg?.url, options.workerId);
    service = await createTweetsService(config, {
      logger: options.logger ?? pino({ level: 'silent' }),
      getKey: issuer.getKey,
      schema: pg?.schema,
      now: () => Date.now() + offsetMs,
    });
  });
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) {
      throw new Error('the tweets service exists only while its suite runs');
    }
    return value;
  };
  return {
    get service() {
      return need(service);
    },
    get issuer() {
      return need(issuer);
    },
    http: () => request(need(service).app.callback()),
    userToken: (user, scope = BOTH_SCOPES) => need(issuer).mint({ aud: AUD, scope, user }),
    serviceToken: (scope = 'tweets:read') =>
      need(issuer).mint({ aud: AUD, scope, clientId: 'feeds' }),
    advanceClock(ms) {
      offsetMs += ms;
    },
  };
}

function configFor(
  dataDir: string,
  issuer: string,
  databaseUrl: string | undefined,
  workerId: number | undefined,
): TweetsConfig {
  return loadConfig('tweets', {
    CHIRP_DATA_DIR: dataDir,
    CHIRP_ISSUER: issuer,
    CHIRP_LOG_LEVEL: 'silent',
    CHIRP_TWEETS_DATABASE_URL: databaseUrl,
    CHIRP_TWEETS_WORKER_ID: workerId === undefined ? undefined : String(workerId),
  });
}

/** A tweet as the API returns it. */
export interface TweetJson {
  readonly id: string;
  readonly authorId: string;
  readonly text: string;
  readonly createdAt: string;
}

/** A problem+json body as the platform renders it. */
export interface ProblemJson {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

/** The body of a response that carries a tweet. */
export function tweetOf(res: Response): TweetJson {
  return res.body as TweetJson;
}

/** The body of a problem response. */
export function problemOf(res: Response): ProblemJson {
  return res.body as ProblemJson;
}

/** The first invalid field a 400 names. */
export function firstError(res: Response): { readonly field: string; readonly message: string } {
  const first = problemOf(res).errors?.[0];
  if (first === undefined) {
    throw new Error(`no errors in ${JSON.stringify(res.body)}`);
  }
  return first;
}

/** Posts a tweet as `user` and returns the created tweet's JSON. */
export async function postTweet(h: TweetsHarness, user: string, text: string): Promise<TweetJson> {
  const res = await h
    .http()
    .post('/tweets')
    .set('Authorization', `Bearer ${await h.userToken(user)}`)
    .send({ text });
  if (res.status !== 201) {
    throw new Error(`POST /tweets answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return tweetOf(res);
}
