import cors from '@koa/cors';
import type { Context, Middleware } from 'koa';

/** Request headers a browser app may send cross-origin. */
const ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'X-Request-Id',
  'traceparent',
];

/** Response headers a browser app may read. */
const EXPOSE_HEADERS = [
  'X-Request-Id',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
  'Retry-After',
  'WWW-Authenticate',
  'Location',
  'Idempotent-Replayed',
];

/**
 * CORS (@koa/cors) for the configured origins only: any other origin gets no CORS header at
 * all, so the browser keeps the answer from it. Credentials are never allowed, for anyone:
 * the API takes bearer tokens in the Authorization header, which needs no cookies.
 */
export function corsFor(origins: readonly string[]): Middleware {
  const allowed = new Set(origins);
  return cors({
    // @koa/cors treats an empty string as "no CORS headers".
    origin: (ctx: Context) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    credentials: false,
    maxAge: 600,
    // Headers are set on ctx before the problem renderer runs, which keeps them.
    keepHeadersOnError: false,
  });
}
