import { randomBytes, randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import '../koa-state.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Keeps a caller's X-Request-Id when it is 1–128 of [A-Za-z0-9._-], otherwise makes one. */
export function requestIdOf(header: string | undefined): string {
  return header !== undefined && REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Continues the caller's W3C trace when its traceparent is valid (with a new span id for this
 * hop), or starts a new trace.
 */
export function traceparentOf(header: string | undefined): string {
  const m = header === undefined ? null : TRACEPARENT.exec(header);
  // One call for both ids: this runs on every request.
  const ids = randomBytes(24).toString('hex');
  const span = ids.slice(32);
  if (m && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN) {
    return `00-${m[1]}-${span}-${m[3]}`;
  }
  return `00-${ids.slice(0, 32)}-${span}-01`;
}

/** Sets request id and traceparent on state, echoes X-Request-Id, and binds a child logger. */
export function requestId(logger: Logger): Middleware {
  return async function requestIdMiddleware(ctx, next) {
    const id = requestIdOf(ctx.get('X-Request-Id') || undefined);
    const traceparent = traceparentOf(ctx.get('traceparent') || undefined);
    ctx.state.requestId = id;
    ctx.state.traceparent = traceparent;
    // The child logger is built on first use: most requests at level warn never log.
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', {
      get: () => (log ??= logger.child({ requestId: id, traceId: traceparent.slice(3, 35) })),
      configurable: true,
    });
    ctx.set('X-Request-Id', id);
    await next();
  };
}
