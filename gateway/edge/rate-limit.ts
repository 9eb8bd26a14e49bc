import type { ServerResponse } from 'node:http';
import { ProblemError } from '../../platform/errors.js';
import type { BurstLimitState, BurstLimiter } from './burst-limiter.js';
import type { Step } from '../pipeline.js';
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
 * when the limit is spent. In memory the count is synchronous; with Redis it is awaited.
 */
export function rateLimit(limits: EdgeLimits, onLimited: (kind: LimitKind) => void): Step {
  const callerPolicy = policyOf(limits.callers);
  const anonymousPolicy = policyOf(limits.anonymous);
  return function rateLimitStep(ctx) {
    const auth = ctx.state.auth;
    const kind: LimitKind = auth === undefined ? 'anonymous' : 'caller';
    const limiter = auth === undefined ? limits.anonymous : limits.callers;
    const policy = auth === undefined ? anonymousPolicy : callerPolicy;
    const key =
      auth === undefined
        ? `ip:${ctx.state.clientOrigin?.ip ?? 'unknown'}`
        : auth.isUser
          ? `user:${auth.sub}`
          : `client:${auth.clientId}`;
    const judge = (state: BurstLimitState): void => {
      setRateLimitHeaders(ctx.res, state, policy);
      if (!state.allowed) {
        onLimited(kind);
        throw ProblemError.tooManyRequests(state.retryAfterSeconds);
      }
    };
    const counted = limiter.consume(key);
    return counted instanceof Promise ? counted.then(judge) : judge(counted);
  };
}

/** RateLimit-Policy: the rate and the burst, `600;w=60;burst=100`. */
function policyOf(limiter: BurstLimiter): string {
  return `${limiter.options.perMinute};w=60;burst=${limiter.options.burst}`;
}

/**
 * RateLimit-Limit / -Remaining / -Reset as Kong and the IETF httpapi draft (-06) name them, and
 * RateLimit-Policy. Set on Node's response: Koa's `ctx.set` adds nothing for plain strings.
 */
function setRateLimitHeaders(res: ServerResponse, s: BurstLimitState, policy: string): void {
  res.setHeader('RateLimit-Limit', String(s.limit));
  res.setHeader('RateLimit-Remaining', String(s.remaining));
  res.setHeader('RateLimit-Reset', String(s.resetSeconds));
  res.setHeader('RateLimit-Policy', policy);
}
