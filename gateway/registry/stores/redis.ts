import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../../../platform/observability/logger.js';
import type { InstanceRecord, NewInstanceRecord, RegistryStore } from './store.js';

export interface RedisStoreOptions {
  readonly url: string;
  /** Prefix of every key (tests isolate themselves with one); default `chirp:registry`. */
  readonly keyPrefix?: string;
  readonly logger: Logger;
}

/** What is kept under an instance's key; its expiry is the key's own TTL. */
const Stored = z.object({
  name: z.string(),
  instanceId: z.string(),
  baseUrl: z.string(),
  healthUrl: z.string(),
  version: z.string(),
  openapiUrl: z.string().optional(),
  owner: z.string(),
  registeredAt: z.number(),
});

/**
 * The shared store on Redis, for several gateways. Each instance is one key whose TTL is the
 * registration's, so Redis itself drops a crashed instance; a set per service indexes the ids and
 * is pruned of expired ones as it is read.
 */
export function createRedisStore(options: RedisStoreOptions): RegistryStore {
  const redis = new Redis(options.url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
  });
  redis.on('error', (err: Error) =>
    options.logger.warn({ err: err.message }, 'registry redis unavailable'),
  );
  const prefix = options.keyPrefix ?? 'chirp:registry';
  const instanceKey = (name: string, id: string) => `${prefix}:instance:${name}:${id}`;
  const indexKey = (name: string) => `${prefix}:service:${name}`;
  const read = async (name: string, id: string): Promise<InstanceRecord | undefined> => {
    const [[, json], [, pttl]] = (await redis
      .multi()
      .get(instanceKey(name, id))
      .pttl(instanceKey(name, id))
      .exec()) as [[Error | null, string | null], [Error | null, number]];
    return typeof json === 'string' && pttl > 0 ? parse(json, Date.now() + pttl) : undefined;
  };
  return {
    async put(record: NewInstanceRecord, ttlMs) {
      const stored: z.input<typeof Stored> = { ...record, openapiUrl: record.openapiUrl };
      await redis
        .multi()
        .set(instanceKey(record.name, record.instanceId), JSON.stringify(stored), 'PX', ttlMs)
        .sadd(indexKey(record.name), record.instanceId)
        .exec();
      return { ...record, expiresAt: Date.now() + ttlMs };
    },
    get: read,
    async touch(name, id, ttlMs) {
      const extended = await redis.pexpire(instanceKey(name, id), ttlMs);
      if (extended !== 1) {
        return undefined;
      }
      // Repairs the index should a concurrent prune have raced a re-registration.
      await redis.sadd(indexKey(name), id);
      return read(name, id);
    },
    async remove(name, id) {
      const [[, removed]] = (await redis
        .multi()
        .del(instanceKey(name, id))
        .srem(indexKey(name), id)
        .exec()) as [[Error | null, number]];
      return removed === 1;
    },
    async list(name) {
      const ids = await redis.smembers(indexKey(name));
      const found = await Promise.all(ids.map(async (id) => [id, await read(name, id)] as const));
      const gone = found.filter(([, r]) => r === undefined).map(([id]) => id);
      if (gone.length > 0) {
        // Checked again inside Redis: an id registered again since we read it must stay.
        await redis.eval(PRUNE, 1, indexKey(name), `${prefix}:instance:${name}:`, ...gone);
      }
      return found
        .map(([, r]) => r)
        .filter((r) => r !== undefined)
        .sort(
          (a, b) => a.registeredAt - b.registeredAt || a.instanceId.localeCompare(b.instanceId),
        );
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** KEYS[1]: the service's index; ARGV[1]: instance key prefix; ARGV[2..]: ids seen expired. */
const PRUNE = `
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then redis.call('SREM', KEYS[1], ARGV[i]) end
end
return 0`;

function parse(json: string, expiresAt: number): InstanceRecord | undefined {
  const parsed = Stored.safeParse(JSON.parse(json));
  if (!parsed.success) {
    return undefined;
  }
  return { ...parsed.data, openapiUrl: parsed.data.openapiUrl, expiresAt };
}
