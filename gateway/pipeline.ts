import type { Context, Middleware } from 'koa';
import { ProblemError } from '../platform/errors.js';
import { invalidInput } from '../platform/middleware/validate.js';
import type { ClientOrigin } from './edge/client-ip.js';
import type { IncomingMessage } from 'node:http';
import type { MatchResult } from './route-match.js';
import './state.js';

/**
 * One step of the gateway's edge: it reads and sets `ctx.state`, throws a ProblemError to
 * refuse, and returns a promise only when it must wait (a new token, Redis, a request body).
 */
export type Step = (ctx: Context) => void | Promise<void>;

/**
 * Runs the steps in order as one middleware. A Koa middleware per step cost an async frame,
 * a promise and a compose hop each on every request; most steps finish synchronously, so
 * they are plain functions here and only a pending step is awaited.
 */
export function runSteps(steps: readonly Step[]): Middleware {
  return async function edgeStepsMiddleware(ctx, next) {
    for (const step of steps) {
      const pending = step(ctx);
      if (pending !== undefined) {
        await pending;
      }
    }
    await next();
  };
}

/** Sets the request's deadline and its client's IP, which every later step reads. */
export function requestContext(
  timeoutMs: number,
  originOf: (req: IncomingMessage) => ClientOrigin,
): Step {
  return function requestContextStep(ctx) {
    ctx.state.deadline = Date.now() + timeoutMs;
    ctx.state.clientOrigin = originOf(ctx.req);
  };
}

/**
 * Looks the request up in the route table and keeps the verdict; a miss is only thrown by
 * {@link requireRoute}, after the rate limit has counted it (scanners are limited per IP).
 */
export function matchRoute(match: (method: string, path: string) => MatchResult): Step {
  return function matchRouteStep(ctx) {
    const result = match(ctx.method, ctx.path);
    ctx.state.routeMatch = result;
    if (result.ok) {
      // The access log and the request histogram label requests by template, not raw path.
      ctx._matchedRoute = result.match.route.path;
    }
  };
}

/** 404 for a path the table lacks, 405 (with Allow) for a known path and another method. */
export function requireRoute(): Step {
  return function requireRouteStep(ctx) {
    const result = ctx.state.routeMatch;
    if (result === undefined || result.ok) {
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
