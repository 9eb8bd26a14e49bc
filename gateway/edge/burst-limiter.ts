import { createLimiter } from '../../platform/rate-limit/limiter.js';
import type { LimiterStore } from '../../platform/rate-limit/limiter.js';
import { MemoryWindows } from './memory-windows.js';
import type { WindowCount } from './memory-windows.js';

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
  /**
   * Counts one request against `key`: at once in memory, through a promise with Redis. The
   * caller awaits only a promise, so the in-memory count costs no microtask per request.
   */
  consume(key: string): BurstLimitState | Promise<BurstLimitState>;
}

/**
 * A token bucket made of two fixed-window counters (rate-limiter-flexible's "bursty" pattern):
 * with Redis, rate-limiter-flexible counters shared by every gateway with one atomic command
 * per counter; without, {@link MemoryWindows} counting the same windows synchronously.
 * - the sustained rate: `perMinute` spread over short windows (10 a second for 600 a minute);
 * - the burst allowance: what a short window lacks of `burst`, refilled every minute.
 * A request spends from the sustained window first and from the allowance when that is empty.
 * Like a bucket of `burst` tokens refilled at `perMinute`, it lets at most `burst` through at
 * once and at most `perMinute + burst` in any minute, and it never stops a steady client.
 */
export function createBurstLimiter(options: Readonly<BurstLimitOptions>): BurstLimiter {
  const window = sustainedWindow(options.perMinute);
  const extra = Math.max(0, options.burst - window.points);
  return options.store.kind === 'memory'
    ? memoryBurstLimiter(options, window, extra)
    : sharedBurstLimiter(options, window, extra);
}

/** The bucket in this process's memory: the same two counters, counted synchronously. */
function memoryBurstLimiter(
  options: Readonly<BurstLimitOptions>,
  window: { points: number; durationSeconds: number },
  extra: number,
): BurstLimiter {
  const sustained = new MemoryWindows(window.durationSeconds);
  const allowance = extra === 0 ? undefined : new MemoryWindows(60);
  const limit = window.points + extra;
  return {
    options,
    consume(key) {
      const rate = windowState(sustained.consume(key), window.points);
      if (rate.allowed) {
        return withinRate(limit, rate, allowance && windowState(allowance.peek(key), extra));
      }
      return fromAllowance(limit, rate, allowance && windowState(allowance.consume(key), extra));
    },
  };
}

/** The bucket in Redis, shared by every gateway (with a memory insurance while it is down). */
function sharedBurstLimiter(
  options: Readonly<BurstLimitOptions>,
  window: { points: number; durationSeconds: number },
  extra: number,
): BurstLimiter {
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
        return withinRate(limit, rate, spare);
      }
      return fromAllowance(limit, rate, await allowance?.consume(key));
    },
  };
}

/** A window's count as platform/rate-limit's createLimiter reports it (LimitState). */
function windowState(
  count: WindowCount | undefined,
  points: number,
): { allowed: boolean; remaining: number; resetSeconds: number; retryAfterSeconds: number } {
  if (count === undefined) {
    return { allowed: true, remaining: points, resetSeconds: 0, retryAfterSeconds: 0 };
  }
  const allowed = count.consumed <= points;
  const resetSeconds = Math.max(0, Math.ceil(count.msBeforeNext / 1000));
  return {
    allowed,
    remaining: Math.max(0, points - count.consumed),
    resetSeconds,
    retryAfterSeconds: allowed ? 0 : Math.max(1, resetSeconds),
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

/** What a window says: the sustained rate, or the burst allowance. */
type WindowVerdict = ReturnType<typeof windowState>;

/** Allowed by the sustained rate; what is left counts the unspent allowance too. */
function withinRate(
  limit: number,
  rate: WindowVerdict,
  spare: WindowVerdict | undefined,
): BurstLimitState {
  return state(true, limit, rate.remaining + (spare?.remaining ?? 0), rate, spare?.resetSeconds);
}

/** Past the sustained rate: allowed only while the allowance lasts. */
function fromAllowance(
  limit: number,
  rate: WindowVerdict,
  burst: WindowVerdict | undefined,
): BurstLimitState {
  return state(burst?.allowed ?? false, limit, burst?.remaining ?? 0, rate, burst?.resetSeconds);
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
