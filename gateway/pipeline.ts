import type { Middleware } from 'koa';
import { ProblemError } from '../platform/errors.js';
import { invalidInput } from '../platform/middleware/validate.js';
import type { ClientOrigin } from './edge/client-ip.js';
import type { IncomingMessage } from 'node:http';
import type { MatchResult } from './route-match.js';
import './state.js';

/** Sets the request's deadline and its client's IP, which every later step reads. */
export function requestContext(
  timeoutMs: number,
  originOf: (req: IncomingMessage) => ClientOrigin,
): Middleware {
  return async function requestContextMiddleware(ctx, next) {
    ctx.state.deadline = Date.now() + timeoutMs;
    ctx.state.clientOrigin = originOf(ctx.req);
    await next();
  };
}

/**
 * Looks the request up in the route table and keeps the verdict; a miss is only thrown by
 * {@link requireRoute}, after the rate limit has counted it (scanners are limited per IP).
 */
export function matchRoute(match: (method: string, path: string) => MatchResult): Middleware {
  return async function matchRouteMiddleware(ctx, next) {
    const result = match(ctx.method, ctx.path);
    ctx.state.routeMatch = result;
    if (result.ok) {
      // The access log and the request histogram label requests by template, not raw path.
      ctx._matchedRoute = result.match.route.path;
    }
    await next();
  };
}

/** 404 for a path the table lacks, 405 (with Allow) for a known path and another method. */
export function requireRoute(): Middleware {
  return async function requireRouteMiddleware(ctx, next) {
    const result = ctx.state.routeMatch;
    if (result === undefined || result.ok) {
      await next();
      return;
    }
    switch (result.status) {
      case 404:
        throw ProblemError.notFound('No route matches this path.');
      case 405:
        throw new ProblemError({
          status: 405,
          title: 'Method Not Allowed',
          headers: { Allow: result.allow.join(', ') },
        });
      case 400:
        throw invalidInput([{ field: result.field, message: result.message }]);
    }
  };
}
