import type { JWTVerifyGetKey } from 'jose';
import type { TweetsConfig } from '../../config/index.js';
import { serviceVerifier, startComponent } from '../../platform/component.js';
import type { ComponentApps, RunningComponent } from '../../platform/component.js';
import { pingDatabase } from '../../platform/db/knex.js';
import { openSqliteReader } from '../../platform/db/sqlite-reader.js';
import type { Knex } from '../../platform/db/knex.js';
import { createLogger } from '../../platform/observability/logger.js';
import type { Logger } from '../../platform/observability/logger.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import { createInternalApp, createService, mountRouters } from '../../platform/service.js';
import { openTweetsDatabase } from './database.js';
import { createHandlers } from './handlers.js';
import { createIdGenerator, randomWorkerId } from './ids.js';
import { tweetsOpenApi } from './openapi.js';
import { createTweetsRepository } from './repository.js';
import { tweetsRouter } from './routes.js';
import { createTweets } from './tweets.js';
import type { Tweets } from './tweets.js';

/** The resource indicator (token audience) of this service. */
export const TWEETS_RESOURCE = 'urn:chirp:tweets';

/** How often idempotency keys older than 24 hours are deleted. */
export const KEY_PURGE_INTERVAL_MS = 10 * 60 * 1000;

/** What tests and the launcher may supply instead of the defaults. */
export interface TweetsDeps {
  readonly logger?: Logger;
  /** The issuer's keys; default its JWKS endpoint. Tests pass a local key set. */
  readonly getKey?: JWTVerifyGetKey;
  /** PostgreSQL schema (tests isolate themselves with one). */
  readonly schema?: string;
  /** Milliseconds since the Unix epoch, for idempotency-key expiry; default `Date.now`. */
  readonly now?: () => number;
}

/** The running parts of the tweets service. */
export interface TweetsService extends ComponentApps {
  /** The worker id in this instance's tweet ids (configured or picked at random). */
  readonly workerId: number;
  /** Deletes idempotency keys older than 24 hours now (also runs on a timer); returns how many. */
  purgeExpiredKeys(): Promise<number>;
}

/** Composition root: config → database → use cases → routes, on the standard service stack. */
export async function createTweetsService(
  config: TweetsConfig,
  deps: TweetsDeps = {},
): Promise<TweetsService> {
  const logger = deps.logger ?? createLogger('tweets', config.logLevel);
  const metrics = createMetrics('tweets');
  const { db } = await openTweetsDatabase(config, deps.schema);
  const reader = openSqliteReader(db);
  const ids = createIdGenerator({ workerId: config.workerId ?? randomWorkerId() });
  const tweets = createTweets({
    repository: createTweetsRepository(db, reader),
    ids,
    now: deps.now ?? Date.now,
  });
  const verifier = serviceVerifier(config.issuer, TWEETS_RESOURCE, deps.getKey);
  const options = { logger, metrics, readiness: { database: () => pingDatabase(db) } };
  const app = createService(options);
  mountRouters(app, [tweetsRouter(verifier, createHandlers(tweets, tweetsOpenApi()))]);
  const purge = startKeyPurge(tweets, logger);
  return {
    app,
    internalApp: createInternalApp(options),
    logger,
    workerId: ids.workerId,
    purgeExpiredKeys: () => tweets.purgeExpiredKeys(),
    close: async () => {
      reader?.close();
      await closeAll(purge, db);
    },
  };
}

/** Starts both listeners; `stop` drains them within the shutdown deadline, then closes storage. */
export async function startTweetsService(
  config: TweetsConfig,
  deps: TweetsDeps = {},
): Promise<RunningComponent<TweetsService>> {
  return startComponent(await createTweetsService(config, deps), config);
}

/** The periodic purge of expired keys; unref'd so it never keeps a process alive. */
function startKeyPurge(tweets: Tweets, logger: Logger): NodeJS.Timeout {
  const timer = setInterval(() => {
    tweets.purgeExpiredKeys().then(
      (purged) => {
        if (purged > 0) {
          logger.info({ purged }, 'purged expired idempotency keys');
        }
      },
      (err: unknown) => logger.error({ err }, 'idempotency key purge failed'),
    );
  }, KEY_PURGE_INTERVAL_MS);
  timer.unref();
  return timer;
}

async function closeAll(purge: NodeJS.Timeout, db: Knex): Promise<void> {
  clearInterval(purge);
  await db.destroy();
}
