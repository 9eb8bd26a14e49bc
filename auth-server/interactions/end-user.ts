import type Router from '@koa/router';
import type { Configuration, FindAccount, Provider } from 'oidc-provider';
import type { AuthConfig } from '../../config/index.js';
import type { Knex } from '../../platform/db/knex.js';
import { discoveredTokenSource } from '../../platform/http/discovered-token-source.js';
import type { AttemptTarget } from '../../platform/http/resilient-client.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { Metrics } from '../../platform/observability/metrics.js';
import type { LimiterStore } from '../../platform/rate-limit/limiter.js';
import { findAccountAt } from './account.js';
import type { SessionSettings } from './account-session.js';
import { createCsrf } from './csrf.js';
import { endUserConfiguration } from './provider-options.js';
import { endUserRouter } from './routes.js';
import { createLoginThrottle } from './throttle.js';
import { createUsersClient } from './users-client.js';
import type { UsersClient } from './users-client.js';

/** What the end-user half of the auth server is built from. */
export interface EndUserOptions {
  readonly config: AuthConfig;
  /** The provider's storage (grants of an account are listed from it). */
  readonly db: Knex;
  readonly cookieKeys: readonly string[];
  readonly limiterStore: LimiterStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Where users is found before each call; default the configured CHIRP_USERS_URL. */
  readonly usersUrl?: () => Promise<AttemptTarget>;
}

/** The end-user half, wired: hand `configure` and `findAccount` to the provider host. */
export interface EndUser {
  readonly configure: (base: Configuration) => Configuration;
  readonly findAccount: FindAccount;
  /** The pages; call once the provider exists, with a getter (key rotation swaps it). */
  router(provider: () => Provider): Router;
  close(): void;
}

/**
 * Builds the pages, the users client, the login throttle and the provider hooks. Without
 * CHIRP_AUTH_CLIENT_ID/SECRET the server still starts (the CLI and protocol-only tests need
 * none); sign-in then says it is not configured, and a warning says why at start.
 */
export function createEndUser(o: EndUserOptions): EndUser {
  const users = usersClientOf(o);
  const options = endUserConfiguration({ issuer: o.config.issuer, db: o.db });
  let session: SessionSettings | undefined;
  const configure = (base: Configuration): Configuration => {
    session = {
      cookie: base.cookies?.long ?? {},
      ttlSeconds: typeof base.ttl?.Session === 'number' ? base.ttl.Session : 14 * 86400,
    };
    return options(base);
  };
  const throttle = createLoginThrottle({
    maxFailuresPerHandle: o.config.loginMaxFailuresPerHandle,
    maxFailuresPerIp: o.config.loginMaxFailuresPerIp,
    windowSeconds: o.config.loginFailureWindowSeconds,
    store: o.limiterStore,
  });
  return {
    configure,
    findAccount: findAccountAt(users, o.logger),
    router: (provider) =>
      endUserRouter({
        issuer: o.config.issuer,
        provider,
        csrf: createCsrf(o.cookieKeys, o.config.issuer),
        db: o.db,
        users,
        throttle,
        logger: o.logger,
        accessTokenTtlSeconds: o.config.accessTokenTtlSeconds,
        session: () => {
          if (session === undefined) {
            throw new Error('the provider is not configured yet');
          }
          return session;
        },
      }),
    close: () => users?.close(),
  };
}

function usersClientOf(o: EndUserOptions): UsersClient | undefined {
  const { clientId, clientSecret } = o.config;
  if (clientId === undefined || clientSecret === undefined) {
    o.logger.warn(
      'CHIRP_AUTH_CLIENT_ID/CHIRP_AUTH_CLIENT_SECRET are not set: sign-in and sign-up pages answer 503 until they are (npm start creates this client)',
    );
    return undefined;
  }
  const tokens = discoveredTokenSource({
    issuer: o.config.issuer,
    clientId,
    clientSecret,
    timeoutMs: o.config.usersTimeoutMs,
  });
  return createUsersClient({
    baseUrl: o.usersUrl ?? o.config.usersUrl,
    timeoutMs: o.config.usersTimeoutMs,
    tokens,
    logger: o.logger,
    metrics: o.metrics,
  });
}
