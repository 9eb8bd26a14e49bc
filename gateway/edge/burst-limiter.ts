import { createLimiter } from '../../platform/rate-limit/limiter.js';
import type { LimiterStore } from '../../platform/rate-limit/limiter.js';

/** A rate with bursts: `perMinute` requests a minute, up to `burst` of them at once. */
export interface BurstLimitOptions {
  /** Prefix of the keys in the store; unique per limit. */
  readonly name: string;
  readonly perMinute: number;
  readonly burst: number;
  readonly store: LimiterStore;
}

/** A key's standing after a request, for the RateLimit headers and Retry-After. */
export interface BurstLimitState {
  readonly allowed: boolean;
  /** Requests a full allowance holds (the burst). */
  readonly limit: number;
  readonly remaining: number;
  /** Whole seconds until the full allowance is back. */
  readonly resetSeconds: number;
  /** Whole seconds until one more request is allowed (0 when allowed). */
  readonly retryAfterSeconds: number;
}

export interface BurstLimiter {
  readonly options: Readonly<BurstLimitOptions>;
  /** Counts one request against `key`. */
  consume(key: string): Promise<BurstLimitState>;
}

/**
 * A token bucket made of two rate-limiter-flexible counters (its "bursty" pattern), so that
 * it is shared through Redis by every gateway with one atomic command per counter:
 * - the sustained rate: `perMinute` spread over short windows (10 a second for 600 a minute);
 * - the burst allowance: what a short window lacks of `burst`, refilled every minute.
 * A request spends from the sustained window first and from the allowance when that is empty.
 * Like a bucket of `burst` tokens refilled at `perMinute`, it lets at most `burst` through at
 * once and at most `perMinute + burst` in any minute, and it never stops a steady client.
 */
export function createBurstLimiter(options: Readonly<BurstLimitOptions>): BurstLimiter {
  const window = sustainedWindow(options.perMinute);
  const extra = Math.max(0, options.burst - window.points);
  const sustained = createLimiter({
    ...window,
    name: `${options.name}:rate`,
    store: options.store,
  });
  const allowance =
    extra === 0
      ? undefined
      : createLimiter({
          name: `${options.name}:burst`,
          points: extra,
          durationSeconds: 60,
          store: options.store,
        });
  const limit = window.points + extra;
  return {
    options,
    async consume(key) {
      const [rate, spare] = await Promise.all([sustained.consume(key), allowance?.peek(key)]);
      if (rate.allowed) {
        return state(
          true,
          limit,
          rate.remaining + (spare?.remaining ?? 0),
          rate,
          spare?.resetSeconds,
        );
      }
      const burst = await allowance?.consume(key);
      const allowed = burst?.allowed ?? false;
      return state(allowed, limit, burst?.remaining ?? 0, rate, burst?.resetSeconds);
    },
  };
}

/**
 * The shortest window in whole seconds over which `perMinute` is a whole number of requests:
 * 1 s for 600 or 120 a minute, 3 s for 100, 60 s for a prime such as 7.
 */
export function sustainedWindow(perMinute: number): { points: number; durationSeconds: number } {
  const durationSeconds = 60 / gcd(perMinute, 60);
  return { points: (perMinute * durationSeconds) / 60, durationSeconds };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function state(
  allowed: boolean,
  limit: number,
  remaining: number,
  rate: { resetSeconds: number; retryAfterSeconds: number },
  burstResetSeconds: number | undefined,
): BurstLimitState {
  return {
    allowed,
    limit,
    remaining: Math.min(limit, Math.max(0, remaining)),
    resetSeconds: Math.max(rate.resetSeconds, burstResetSeconds ?? 0),
    // The next sustained window always brings more requests, whatever the allowance holds.
    retryAfterSeconds: allowed ? 0 : Math.max(1, rate.retryAfterSeconds),
  };
}
