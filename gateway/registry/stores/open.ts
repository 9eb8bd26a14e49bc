import { ConfigError, registrySettings } from '../../../config/index.js';
import type { RegistryConfig } from '../../../config/index.js';
import type { Logger } from '../../../platform/observability/logger.js';
import { createMemoryStore } from './memory.js';
import { createPostgresStore } from './postgres.js';
import { createRedisStore } from './redis.js';
import type { RegistryStore } from './store.js';

/** Test isolation for the shared backends. */
export interface StoreIsolation {
  /** Redis key prefix (default `chirp:registry`). */
  readonly redisKeyPrefix?: string;
  /** PostgreSQL schema (default: the URL's search path). */
  readonly postgresSchema?: string;
}

/**
 * Opens the store CHIRP_REGISTRY_BACKEND names (`static` has none: undefined).
 *
 * @throws ConfigError when a shared backend is chosen without its URL.
 */
export async function openRegistryStore(
  config: RegistryConfig,
  logger: Logger,
  isolation: StoreIsolation = {},
): Promise<RegistryStore | undefined> {
  switch (config.backend) {
    case 'static':
      return undefined;
    case 'memory':
      return createMemoryStore();
    case 'redis':
      return createRedisStore({
        url: required(config.redisUrl, registrySettings.redisUrl.env, 'redis'),
        keyPrefix: isolation.redisKeyPrefix,
        logger,
      });
    case 'postgres':
      return createPostgresStore({
        url: required(config.databaseUrl, registrySettings.databaseUrl.env, 'postgres'),
        schema: isolation.postgresSchema,
        logger,
      });
  }
}

function required(url: string | undefined, env: string, backend: string): string {
  if (url === undefined) {
    throw new ConfigError([`${env}: required with CHIRP_REGISTRY_BACKEND=${backend}`]);
  }
  return url;
}
