import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { LimiterStore } from './limiter.js';

/**
 * The store limiters share: Redis when a URL is configured, else memory. Commands fail fast
 * while Redis is unreachable (no offline queue), so a limiter falls back to its insurance at
 * once instead of holding requests; ioredis keeps reconnecting in the background.
 */
export function openLimiterStore(
  redisUrl: string | undefined,
  logger: Logger,
): LimiterStore & { close(): Promise<void> } {
  if (redisUrl === undefined) {
    return { kind: 'memory', close: () => Promise.resolve() };
  }
  const client = new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 500,
  });
  client.on('error', (err: Error) =>
    logger.warn(
      { err: err.message },
      'redis unavailable; limits are per instance until it returns',
    ),
  );
  return {
    kind: 'redis',
    client,
    async close() {
      client.disconnect();
      await Promise.resolve();
    },
  };
}
