import { pino } from 'pino';
import {
  POSTGRES_SKIP_REASON,
  dropSchema,
  postgresUrl,
  uniqueSchemaName,
} from '../helpers/postgres.js';
import { createMemoryStore } from '../../gateway/registry/stores/memory.js';
import { createPostgresStore } from '../../gateway/registry/stores/postgres.js';
import { createRedisStore } from '../../gateway/registry/stores/redis.js';
import type { RegistryStore } from '../../gateway/registry/stores/store.js';
import { REDIS_SKIP_REASON, redisUrl } from '../helpers/redis.js';

export { REDIS_SKIP_REASON, redisUrl };

/** One registry backend as the contract tests drive it. */
export interface Backend {
  readonly name: 'memory' | 'Redis' | 'PostgreSQL';
  /** Why the suite is skipped, or undefined when the backend is available. */
  skipReason(): string | undefined;
  /** Registry settings that select this backend, for a whole registry. */
  env(): Record<string, string>;
  /** An isolation (key prefix or schema) shared by every store opened with the same `space`. */
  isolation(space: string): { redisKeyPrefix?: string; postgresSchema?: string };
  open(space: string): Promise<RegistryStore>;
  /** Removes what the tests of `space` left behind. */
  cleanUp(space: string): Promise<void>;
}

const logger = pino({ level: 'silent' });
const schemas = new Map<string, string>();
const schemaOf = (space: string) => {
  const known = schemas.get(space) ?? uniqueSchemaName(`registry_${space}`);
  schemas.set(space, known);
  return known;
};

export const BACKENDS: readonly Backend[] = [
  {
    name: 'memory',
    skipReason: () => undefined,
    env: () => ({ CHIRP_REGISTRY_BACKEND: 'memory' }),
    isolation: () => ({}),
    open: () => Promise.resolve(createMemoryStore()),
    cleanUp: () => Promise.resolve(),
  },
  {
    name: 'Redis',
    skipReason: () => (redisUrl() === undefined ? REDIS_SKIP_REASON : undefined),
    env: () => ({ CHIRP_REGISTRY_BACKEND: 'redis', CHIRP_REGISTRY_REDIS_URL: redisUrl() ?? '' }),
    isolation: (space) => ({ redisKeyPrefix: `chirp-test:registry:${space}` }),
    open: (space) =>
      Promise.resolve(
        createRedisStore({
          url: redisUrl() ?? '',
          keyPrefix: `chirp-test:registry:${space}`,
          logger,
        }),
      ),
    // Every key carries a TTL of seconds, and each space is unique: nothing to remove.
    cleanUp: () => Promise.resolve(),
  },
  {
    name: 'PostgreSQL',
    skipReason: () => (postgresUrl() === undefined ? POSTGRES_SKIP_REASON : undefined),
    env: () => ({
      CHIRP_REGISTRY_BACKEND: 'postgres',
      CHIRP_REGISTRY_DATABASE_URL: postgresUrl() ?? '',
    }),
    isolation: (space) => ({ postgresSchema: schemaOf(space) }),
    open: (space) =>
      createPostgresStore({ url: postgresUrl() ?? '', schema: schemaOf(space), logger }),
    async cleanUp(space) {
      const url = postgresUrl();
      if (url !== undefined && schemas.has(space)) {
        await dropSchema(url, schemaOf(space));
        schemas.delete(space);
      }
    },
  },
];
