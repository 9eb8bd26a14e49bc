import { createLimiter } from '../../platform/rate-limit/limiter.js';
import type { LimitState, LimiterStore } from '../../platform/rate-limit/limiter.js';

/** Limits on failed logins (DESIGN.md: 10 per handle and 100 per IP in 15 minutes). */
export interface LoginThrottleOptions {
  readonly maxFailuresPerHandle: number;
  readonly maxFailuresPerIp: number;
  readonly windowSeconds: number;
  readonly store: LimiterStore;
}

/** Counts failed logins per handle and per client IP. */
export interface LoginThrottle {
  /** Seconds until a login for `handle` from `ip` may be tried again; 0 when it may now. */
  waitSeconds(handle: string, ip: string): Promise<number>;
  /** Counts a failed login against the handle and the IP. */
  failed(handle: string, ip: string): Promise<void>;
  /** A successful login clears the handle's failures (the IP's stay: they may be someone else's). */
  succeeded(handle: string): Promise<void>;
}

/**
 * Failed logins are counted in fixed windows, in memory or in the Redis that every instance
 * shares. Past either limit, logins are refused before the password is checked at all, so a
 * guesser learns nothing more and the users service is spared the work.
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const limiter = (name: string, points: number) =>
    createLimiter({ name, points, durationSeconds: options.windowSeconds, store: options.store });
  const perHandle = limiter('login-failures-handle', options.maxFailuresPerHandle);
  const perIp = limiter('login-failures-ip', options.maxFailuresPerIp);
  // Handles are unique regardless of case, so ADA and ada share one counter.
  const handleKey = (handle: string) => handle.toLowerCase();
  return {
    async waitSeconds(handle, ip) {
      const states = await Promise.all([perHandle.peek(handleKey(handle)), perIp.peek(ip)]);
      return Math.max(0, ...states.map(exhaustedFor));
    },
    async failed(handle, ip) {
      await Promise.all([perHandle.consume(handleKey(handle)), perIp.consume(ip)]);
    },
    async succeeded(handle) {
      await perHandle.reset(handleKey(handle));
    },
  };
}

/** Once every allowed failure is used up, the rest of the window must pass. */
function exhaustedFor(state: LimitState): number {
  return state.remaining > 0 ? 0 : Math.max(1, state.resetSeconds);
}
