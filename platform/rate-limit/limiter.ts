import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

/** Where counters live: this process's memory, or a Redis shared by every instance. */
export type LimiterStore =
  { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly client: Redis };

/** One fixed-window limit: `points` per `durationSeconds` per key. */
export interface LimitOptions {
  /** Prefix of the keys in the store; unique per limit. */
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
  readonly store: LimiterStore;
}

/** A key's standing after a call: what RateLimit headers and Retry-After are built from. */
export interface LimitState {
  /** False when this call went past the limit. */
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Whole seconds until the window resets (0 when allowed). */
  readonly retryAfterSeconds: number;
  /** Whole seconds until the window resets. */
  readonly resetSeconds: number;
}

/** A counter per key; every method resolves, also when Redis is unreachable (see below). */
export interface Limiter {
  /** Counts `points` (default 1) against `key` and answers whether that stayed within the limit. */
  consume(key: string, points?: number): Promise<LimitState>;
  /** The key's standing without counting anything. */
  peek(key: string): Promise<LimitState>;
  /** Forgets the key (a successful login clears its failures). */
  reset(key: string): Promise<void>;
}

/**
 * A limiter over rate-limiter-flexible. With Redis, a memory limiter insures it: when Redis is
 * down each instance limits on its own instead of failing requests or letting everything pass.
 */
export function createLimiter(options: LimitOptions): Limiter {
  const impl = backend(options);
  const state = (res: RateLimiterRes, allowed: boolean): LimitState => {
    const resetSeconds = Math.max(0, Math.ceil(res.msBeforeNext / 1000));
    return {
      allowed,
      limit: options.points,
      remaining: Math.max(0, res.remainingPoints),
      retryAfterSeconds: allowed ? 0 : Math.max(1, resetSeconds),
      resetSeconds,
    };
  };
  return {
    async consume(key, points = 1) {
      try {
        return state(await impl.consume(key, points), true);
      } catch (rejected: unknown) {
        if (rejected instanceof RateLimiterRes) {
          return state(rejected, false);
        }
        throw rejected;
      }
    },
    async peek(key) {
      const res = await impl.get(key);
      if (res === null) {
        return {
          allowed: true,
          limit: options.points,
          remaining: options.points,
          retryAfterSeconds: 0,
          resetSeconds: 0,
        };
      }
      return state(res, res.consumedPoints <= options.points);
    },
    async reset(key) {
      await impl.delete(key);
    },
  };
}

function backend(options: LimitOptions): RateLimiterAbstract {
  const base = {
    keyPrefix: `chirp:${options.name}`,
    points: options.points,
    duration: options.durationSeconds,
  };
  if (options.store.kind === 'memory') {
    return new RateLimiterMemory(base);
  }
  return new RateLimiterRedis({
    ...base,
    storeClient: options.store.client,
    insuranceLimiter: new RateLimiterMemory(base),
  });
}
