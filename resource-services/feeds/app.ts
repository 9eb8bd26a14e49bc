import type { JWTVerifyGetKey } from 'jose';
import type { FeedsConfig } from '../../config/index.js';
import type { ResourceId } from '../../config/resources.js';
import { serviceVerifier, startComponent } from '../../platform/component.js';
import type { ComponentApps, RunningComponent } from '../../platform/component.js';
import type { DependencyPolicyOptions } from '../../platform/http/policies.js';
import type { TokenSource } from '../../platform/http/token-source.js';
import { createLogger } from '../../platform/observability/logger.js';
import type { Logger } from '../../platform/observability/logger.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import type { Metrics } from '../../platform/observability/metrics.js';
import { staticResolver } from '../../platform/registry/resolver.js';
import type { ServiceResolver } from '../../platform/registry/resolver.js';
import { createInternalApp, createService, mountRouters } from '../../platform/service.js';
import { createTimelineCache } from './cache.js';
import { discoveredTokenSource } from '../../platform/http/discovered-token-source.js';
import { createTweetsClient } from './clients/tweets.js';
import { createUsersClient } from './clients/users.js';
import { requireClientCredentials } from './credentials.js';
import { feedsHandlers } from './handlers.js';
import { buildOpenApi } from './openapi.js';
import { openFeedsRepository } from './repository.js';
import { feedsRouter } from './routes.js';
import { createTimeline } from './timeline.js';
import { memoizedUsers } from './users-memo.js';

/** The resource indicator (token audience) of this service. */
export const FEEDS_RESOURCE: ResourceId = 'urn:chirp:feeds';

/** What tests and the launcher may substitute; everything defaults to the real thing. */
export interface FeedsDeps {
  readonly logger?: Logger;
  /** Keys that sign access tokens; default: the issuer's JWKS. Tests pass a local key set. */
  readonly getKey?: JWTVerifyGetKey;
  /** PostgreSQL schema to work in (tests isolate themselves with one). */
  readonly schema?: string;
  /**
   * Tokens for the calls to users and tweets; default: client_credentials with
   * CHIRP_FEEDS_CLIENT_ID/SECRET at the issuer's token endpoint (found by discovery).
   */
  readonly tokenSource?: TokenSource;
  /**
   * How feeds finds users and tweets; default CHIRP_USERS_URL and CHIRP_TWEETS_URL (static).
   * main.ts passes a registry resolver when CHIRP_REGISTRY_URL is set. Feeds closes it.
   */
  readonly resolver?: ServiceResolver;
  /** Overrides of each dependency's policy (tests shorten the breaker's half-open delay). */
  readonly policies?: Readonly<{
    users?: Readonly<DependencyPolicyOptions>;
    tweets?: Readonly<DependencyPolicyOptions>;
  }>;
}

/** The feeds service: public and internal apps plus the cleanup that closes what it holds. */
export type FeedsService = ComponentApps;

export type RunningFeedsService = RunningComponent<FeedsService>;

/**
 * Composition root: config → token source and one resilient client per dependency → cache →
 * timeline → routes on the standard service stack.
 *
 * @throws ConfigError when CHIRP_FEEDS_CLIENT_ID/SECRET are missing and no token source is given.
 */
export async function createFeedsService(
  config: FeedsConfig,
  deps: FeedsDeps = {},
): Promise<FeedsService> {
  const tokens = deps.tokenSource ?? defaultTokenSource(config);
  const logger = deps.logger ?? createLogger('feeds', config.logLevel);
  const metrics = createMetrics('feeds');
  const repo = await openFeedsRepository(config, deps.schema);
  const resolver =
    deps.resolver ?? staticResolver({ users: config.usersUrl, tweets: config.tweetsUrl });
  const clientOptions = { tokens, logger, metrics, resolver };
  const users = memoizedUsers(
    createUsersClient({ ...clientOptions, policy: deps.policies?.users }),
    { followingMs: config.followingCacheMs, authorsMs: config.authorCacheMs },
  );
  const tweets = createTweetsClient({ ...clientOptions, policy: deps.policies?.tweets });
  const timeline = createTimeline({
    users,
    tweets,
    cache: createTimelineCache(repo),
    fallbacks: fallbackCounter(metrics),
  });
  const handlers = feedsHandlers({
    timeline,
    timeBudgetMs: config.timeBudgetMs,
    openapi: buildOpenApi(config.issuer),
  });
  const verifier = serviceVerifier(config.issuer, FEEDS_RESOURCE, deps.getKey);
  const options = { logger, metrics, readiness: { database: () => repo.ping() } };
  return {
    app: mountRouters(createService(options), [feedsRouter(verifier, handlers)]),
    internalApp: createInternalApp(options),
    logger,
    async close() {
      users.close();
      tweets.close();
      resolver.close();
      await repo.close();
    },
  };
}

/** Starts both listeners; `stop` drains them within the shutdown deadline, then closes storage. */
export async function startFeedsService(
  config: FeedsConfig,
  deps: FeedsDeps = {},
): Promise<RunningFeedsService> {
  return startComponent(await createFeedsService(config, deps), config);
}

function defaultTokenSource(config: FeedsConfig): TokenSource {
  return discoveredTokenSource({
    issuer: config.issuer,
    ...requireClientCredentials(config),
    // A token that takes longer than the whole request budget would come too late anyway.
    timeoutMs: config.timeBudgetMs,
  });
}

function fallbackCounter(metrics: Metrics) {
  return metrics.counter(
    'feeds_home_fallbacks_total',
    'Home timelines not composed because a dependency failed: served degraded, or 503.',
    ['outcome', 'dependency'],
  );
}
