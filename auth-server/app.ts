import type Koa from 'koa';
import type { AuthConfig } from '../config/index.js';
import { createInternalApp, createService, mountRouters } from '../platform/service.js';
import { startComponent } from '../platform/component.js';
import type { ComponentApps, RunningComponent } from '../platform/component.js';
import { pingDatabase } from '../platform/db/knex.js';
import type { Knex } from '../platform/db/knex.js';
import { createLogger } from '../platform/observability/logger.js';
import type { Logger } from '../platform/observability/logger.js';
import { leaseFrom } from '../platform/registry/resolver.js';
import type { ServiceResolver } from '../platform/registry/resolver.js';
import { createMetrics } from '../platform/observability/metrics.js';
import { openLimiterStore } from '../platform/rate-limit/redis.js';
import { openAuthStorage } from './storage/open.js';
import { loadCookieKeys } from './storage/cookie-keys.js';
import { ensureKeys, purgeRetiredKeys } from './provider/keys.js';
import { purgeExpired } from './provider/adapter.js';
import { createProviderHost } from './provider/provider-host.js';
import type { ProviderHost } from './provider/provider-host.js';
import { providerCounters } from './provider/events.js';
import { createEndUser } from './interactions/end-user.js';
import { setProviderHeaders } from './interactions/security-headers.js';

/** oidc-provider's clock tolerance: a row is purged only after it could no longer be accepted. */
const PURGE_GRACE_MS = 60_000;

export interface AuthServerOptions {
  readonly logger?: Logger;
  /** PostgreSQL schema (tests isolate themselves with one). */
  readonly schema?: string;
  /** How the users service is found (the registry); default the configured CHIRP_USERS_URL. */
  readonly resolver?: ServiceResolver;
}

export interface AuthServer extends ComponentApps {
  readonly app: Koa;
  readonly internalApp: Koa;
  readonly db: Knex;
  readonly host: ProviderHost;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Composition root: config → storage → keys → provider → public and internal apps. */
export async function createAuthServer(
  config: AuthConfig,
  options: AuthServerOptions = {},
): Promise<AuthServer> {
  const logger = options.logger ?? createLogger('auth-server', config.logLevel);
  const metrics = createMetrics('auth-server');
  const { db, box } = await openAuthStorage(config, options.schema);
  const limiterStore = openLimiterStore(config.redisUrl, logger);
  await ensureKeys(db, box);
  const cookieKeys = await loadCookieKeys(db, box);
  const resolver = options.resolver;
  // Each password check leases a users instance (least-outstanding picking, passive ejection).
  const usersUrl =
    resolver &&
    (async () => {
      const lease = await leaseFrom(resolver, 'users');
      return {
        baseUrl: lease.instance.baseUrl,
        release: (outcome?: { readonly failed: boolean }) => lease.release(outcome),
      };
    });
  const endUser = createEndUser({
    config,
    db,
    cookieKeys,
    limiterStore,
    logger,
    metrics,
    ...(usersUrl && { usersUrl }),
  });
  const host = await createProviderHost({
    issuer: config.issuer,
    db,
    box,
    cookieKeys,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    cacheClients: true,
    logger,
    counters: providerCounters(metrics),
    config,
    limiterStore,
    findAccount: endUser.findAccount,
    configure: endUser.configure,
  });
  const serviceOptions = { logger, metrics, readiness: { database: () => pingDatabase(db) } };
  // Interaction and account pages first; the provider is terminal and answers everything else.
  const pages = endUser.router(() => host.provider);
  const app = mountRouters(createService(serviceOptions), [pages]);
  app.use(function provider(ctx) {
    ctx.respond = false;
    setProviderHeaders(ctx.res);
    return host.handle(ctx.req, ctx.res);
  });
  const timers = startMaintenance(config, db, host, logger);
  return {
    app,
    internalApp: createInternalApp(serviceOptions),
    db,
    host,
    logger,
    async close() {
      timers.forEach(clearInterval);
      endUser.close();
      await limiterStore.close();
      await db.destroy();
    },
  };
}

/** Key refresh (rotations reach a running server) and purge of expired rows, off the hot path. */
function startMaintenance(config: AuthConfig, db: Knex, host: ProviderHost, logger: Logger) {
  const run = (what: string, task: () => Promise<unknown>) => () => {
    task().catch((err: unknown) => logger.error({ err }, `${what} failed`));
  };
  const refresh = setInterval(
    run('key refresh', () => host.refresh()),
    config.keyRefreshSeconds * 1000,
  );
  const purge = setInterval(
    run('purge', async () => {
      const rows = await purgeExpired(db, PURGE_GRACE_MS);
      const keys = await purgeRetiredKeys(db);
      if (rows + keys > 0) {
        logger.info({ rows, keys }, 'purged expired rows and retired keys');
      }
    }),
    config.purgeIntervalSeconds * 1000,
  );
  refresh.unref();
  purge.unref();
  return [refresh, purge];
}

export type RunningAuthServer = RunningComponent<AuthServer>;

/** Starts both listeners; `stop` drains them within the shutdown deadline, then closes storage. */
export async function startAuthServer(
  config: AuthConfig,
  options: AuthServerOptions = {},
): Promise<RunningAuthServer> {
  return startComponent(await createAuthServer(config, options), config);
}
