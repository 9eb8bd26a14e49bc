import type { Context } from 'koa';
import type { ResourceId } from '../../config/resources.js';
import { authenticate } from '../../platform/auth/bearer.js';
import type { AccessTokenVerifier } from '../../platform/auth/verify-access-token.js';
import { isProblemError } from '../../platform/errors.js';
import type { Step } from '../pipeline.js';
import '../state.js';

/** A verifier per audience the route table names. */
export type EdgeVerifiers = Readonly<Partial<Record<ResourceId, AccessTokenVerifier>>>;

/**
 * Verifies the bearer token with the platform verifier for the matched route's audience, and
 * sets `ctx.state.auth` when it is good. A refusal (no token, a bad one, one for another
 * audience) is kept in `ctx.state.edgeRefusal`, not thrown yet: the rate limit runs first, so
 * that a flood of bad tokens is limited per IP. Unmatched paths are left anonymous.
 */
export function edgeAuth(verifiers: EdgeVerifiers): Step {
  return function edgeAuthStep(ctx) {
    const match = ctx.state.routeMatch;
    const verifier = match?.ok === true ? verifiers[match.match.route.audience] : undefined;
    if (verifier === undefined) {
      return undefined;
    }
    try {
      const claims = authenticate(ctx, verifier);
      if (!(claims instanceof Promise)) {
        ctx.state.auth = claims;
        return undefined;
      }
      return claims.then(
        (c) => {
          ctx.state.auth = c;
        },
        (e: unknown) => keepRefusal(ctx, e),
      );
    } catch (e) {
      keepRefusal(ctx, e);
      return undefined;
    }
  };
}

function keepRefusal(ctx: Context, e: unknown): void {
  if (!isProblemError(e)) {
    throw e;
  }
  ctx.state.edgeRefusal = e;
}

/** Throws the refusal {@link edgeAuth} kept, so no bad token ever reaches a service. */
export function requireEdgeAuth(): Step {
  return function requireEdgeAuthStep(ctx) {
    if (ctx.state.edgeRefusal !== undefined) {
      throw ctx.state.edgeRefusal;
    }
  };
}
