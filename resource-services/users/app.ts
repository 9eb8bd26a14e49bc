import type { JWTVerifyGetKey } from 'jose';
import type { UsersConfig } from '../../config/index.js';
import type { ResourceId } from '../../config/resources.js';
import { serviceVerifier, startComponent } from '../../platform/component.js';
import type { ComponentApps, RunningComponent } from '../../platform/component.js';
import { createLogger } from '../../platform/observability/logger.js';
import type { Logger } from '../../platform/observability/logger.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import { createInternalApp, createService, mountRouters } from '../../platform/service.js';
import { buildOpenApi } from './openapi.js';
import { openUsersRepository } from './repository.js';
import { usersRouter } from './routes.js';
import { createUsers } from './users.js';

/** The resource indicator (token audience) of this service. */
export const USERS_RESOURCE: ResourceId = 'urn:chirp:users';

/** What tests and the launcher may substitute; everything defaults to the real thing. */
export interface UsersDeps {
  readonly logger?: Logger;
  /** Keys that sign access tokens; default: the issuer's JWKS. Tests pass a local key set. */
  readonly getKey?: JWTVerifyGetKey;
  /** PostgreSQL schema to work in (tests isolate themselves with one). */
  readonly schema?: string;
  /** Clock in milliseconds since the epoch; tests step it to order follows. */
  readonly now?: () => number;
}

/** The users service: public and internal apps plus the cleanup that closes its database. */
export type UsersService = ComponentApps;

export type RunningUsersService = RunningComponent<UsersService>;

/** Composition root: config → database → use cases → routes on the standard service stack. */
export async function createUsersService(
  config: UsersConfig,
  deps: UsersDeps = {},
): Promise<UsersService> {
  const logger = deps.logger ?? createLogger('users', config.logLevel);
  const metrics = createMetrics('users');
  const { repo } = await openUsersRepository(config, deps.schema);
  const options = { logger, metrics, readiness: { database: () => repo.ping() } };
  const router = usersRouter({
    verifier: serviceVerifier(config.issuer, USERS_RESOURCE, deps.getKey),
    users: createUsers(repo, deps.now),
    openapi: buildOpenApi(config.issuer),
  });
  return {
    app: mountRouters(createService(options), [router]),
    internalApp: createInternalApp(options),
    logger,
    close: () => repo.close(),
  };
}

/** Starts both listeners; `stop` drains them within the shutdown deadline, then closes storage. */
export async function startUsersService(
  config: UsersConfig,
  deps: UsersDeps = {},
): Promise<RunningUsersService> {
  return startComponent(await createUsersService(config, deps), config);
}
