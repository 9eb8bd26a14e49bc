import type { Middleware } from 'koa';
import type { ResourceId } from '../../config/resources.js';
import { bearer } from '../../platform/auth/bearer.js';
import type { AccessTokenVerifier } from '../../platform/auth/verify-access-token.js';
import { isProblemError } from '../../platform/errors.js';
import '../state.js';

/** A verifier per audience the route table names. */
export type EdgeVerifiers = Readonly<Partial<Record<ResourceId, AccessTokenVerifier>>>;

/**
 * Verifies the bearer token with the platform verifier for the matched route's audience, and
 * sets `ctx.state.auth` when it is good. A refusal (no token, a bad one, one for another
 * audience) is kept in `ctx.state.edgeRefusal`, not thrown yet: the rate limit runs first, so
 * that a flood of bad tokens is limited per IP. Unmatched paths are left anonymous.
 */
export function edgeAuth(verifiers: EdgeVerifiers): Middleware {
  const checks = new Map(
    Object.entries(verifiers).map(([audience, v]) => [audience, bearer(v)] as const),
  );
  const done = (): Promise<void> => Promise.resolve();
  return async function edgeAuthMiddleware(ctx, next) {
    const match = ctx.state.routeMatch;
    const check = match?.ok === true ? checks.get(match.match.route.audience) : undefined;
    if (check !== undefined) {
      try {
        await check(ctx, done);
      } catch (e) {
        if (!isProblemError(e)) {
          throw e;
        }
        ctx.state.edgeRefusal = e;
      }
    }
    await next();
  };
}

/** Throws the refusal {@link edgeAuth} kept, so no bad token ever reaches a service. */
export function requireEdgeAuth(): Middleware {
  return async function requireEdgeAuthMiddleware(ctx, next) {
    if (ctx.state.edgeRefusal !== undefined) {
      throw ctx.state.edgeRefusal;
    }
    await next();
  };
}
