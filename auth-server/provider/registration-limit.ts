import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Limiter } from '../../platform/rate-limit/limiter.js';
import { REGISTRATION_LIMITS } from './registration-policy.js';

/**
 * Provider middleware in front of dynamic registration (POST to `path`): a declared body over
 * the size limit is 413 before it is read, and each client IP may attempt `limiter`'s number of
 * registrations an hour (429 with Retry-After after that). Both answer an OAuth error body.
 * Every attempt counts, refused ones too, so guessing initial access tokens is slow as well.
 */
export function limitRegistrations(path: string, limiter: Limiter) {
  return async function registrationLimits(
    ctx: KoaContextWithOIDC,
    next: () => Promise<void>,
  ): Promise<void> {
    if (ctx.method !== 'POST' || ctx.path !== path) {
      return next();
    }
    if ((ctx.request.length ?? 0) > REGISTRATION_LIMITS.bodyBytes) {
      refuse(
        ctx,
        413,
        'invalid_request',
        `the body must be at most ${REGISTRATION_LIMITS.bodyBytes} bytes`,
      );
      return;
    }
    const state = await limiter.consume(ctx.ip);
    if (!state.allowed) {
      ctx.set('Retry-After', String(state.retryAfterSeconds));
      refuse(
        ctx,
        429,
        'temporarily_unavailable',
        `too many registrations from this address; retry in ${state.retryAfterSeconds} seconds`,
      );
      return;
    }
    await next();
  };
}

function refuse(ctx: KoaContextWithOIDC, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, error_description: description };
}
