import type { Context, Middleware } from 'koa';
import { ProblemError, httpStatusOf, isProblemError } from '../errors.js';
import '../koa-state.js';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * The one place errors become responses: RFC 9457 problem+json carrying the request id. Client
 * errors show their message only when it is safe (`expose`); server errors are logged, not shown.
 */
export function problemJson(): Middleware {
  return async function problemJsonMiddleware(ctx, next) {
    try {
      await next();
      if (
        ctx.status >= 400 &&
        (ctx.body === undefined || ctx.body === null) &&
        ctx.respond !== false
      ) {
        throw emptyErrorResponse(ctx.status);
      }
    } catch (e) {
      render(ctx, toProblem(e));
    }
  };
}

/** An error status set without a body (no route matched, a 405 from the router) gets one. */
function emptyErrorResponse(status: number): ProblemError {
  if (status === 404) {
    return ProblemError.notFound('No route matches this path.');
  }
  return new ProblemError({ status, title: TITLES[status] ?? 'Error' });
}

function toProblem(e: unknown): ProblemError {
  if (isProblemError(e)) {
    return e;
  }
  const status = httpStatusOf(e);
  if (status !== undefined && status >= 500) {
    return new ProblemError({ status, title: TITLES[status] ?? 'Server Error', cause: e });
  }
  if (status !== undefined) {
    const { expose, headers } = e as { expose?: boolean; headers?: Record<string, string> };
    return new ProblemError({
      status,
      title: TITLES[status] ?? 'Error',
      detail: expose === true ? (e as Error).message : undefined,
      // Koa's HTTP errors carry headers the status requires, such as Allow on a 405.
      headers: typeof headers === 'object' ? headers : undefined,
    });
  }
  return new ProblemError({ status: 500, title: 'Internal Server Error', cause: e });
}

function render(ctx: Context, p: ProblemError): void {
  if (p.status >= 500) {
    ctx.state.log.error({ err: p.cause ?? p, status: p.status }, p.title);
  }
  ctx.status = p.status;
  for (const [k, v] of Object.entries(p.headers)) {
    ctx.set(k, v);
  }
  ctx.type = 'application/problem+json';
  ctx.body = {
    type: p.type,
    title: p.title,
    status: p.status,
    ...(p.expose && p.detail !== undefined ? { detail: p.detail } : {}),
    ...p.extensions,
    requestId: ctx.state.requestId,
  };
}
