import type { Context, Middleware } from 'koa';
import { ProblemError } from '../../platform/errors.js';
import type { BurstLimitState, BurstLimiter } from './burst-limiter.js';
import '../state.js';

/** The two limits of the edge: per caller with a valid token, per IP without one. */
export interface EdgeLimits {
  /** Keyed `client:<client_id>` for client tokens, `user:<sub>` for user tokens. */
  readonly callers: BurstLimiter;
  /** Keyed `ip:<address>` for requests without a valid token. */
  readonly anonymous: BurstLimiter;
}

/** Which limit refused a request, for the metric. */
export type LimitKind = 'caller' | 'anonymous';

/**
 * Counts the request against its caller's limit (after edge auth) or its IP's, sets the
 * RateLimit headers on the response whatever happens next, and answers 429 with Retry-After
 * when the limit is spent.
 */
export function rateLimit(limits: EdgeLimits, onLimited: (kind: LimitKind) => void): Middleware {
  return async function rateLimitMiddleware(ctx, next) {
    const auth = ctx.state.auth;
    const kind: LimitKind = auth === undefined ? 'anonymous' : 'caller';
    const limiter = auth === undefined ? limits.anonymous : limits.callers;
    const key =
      auth === undefined
        ? `ip:${ctx.state.clientOrigin?.ip ?? 'unknown'}`
        : auth.isUser
          ? `user:${auth.sub}`
          : `client:${auth.clientId}`;
    const counted = limiter.consume(key);
    const state = counted instanceof Promise ? await counted : counted;
    setRateLimitHeaders(ctx, state, limiter);
    if (!state.allowed) {
      onLimited(kind);
      throw ProblemError.tooManyRequests(state.retryAfterSeconds);
    }
    await next();
  };
}

/**
 * RateLimit-Limit / -Remaining / -Reset as Kong and the IETF httpapi draft (-06) name them, and
 * RateLimit-Policy saying the rate and the burst: `600;w=60;burst=100`.
 */
function setRateLimitHeaders(ctx: Context, s: BurstLimitState, limiter: BurstLimiter): void {
  ctx.set('RateLimit-Limit', String(s.limit));
  ctx.set('RateLimit-Remaining', String(s.remaining));
  ctx.set('RateLimit-Reset', String(s.resetSeconds));
  ctx.set('RateLimit-Policy', `${limiter.options.perMinute};w=60;burst=${limiter.options.burst}`);
}
