import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import '../koa-state.js';

/** One JSON log line and one histogram sample per request, after the response is decided. */
export function accessLog(metrics: Metrics, logger: Logger): Middleware {
  return async function accessLogMiddleware(ctx, next) {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // A response written straight to res (the mounted provider) has its status there.
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      const route = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : 'unmatched';
      metrics.httpDuration.observe({ method: ctx.method, route, status: String(status) }, seconds);
      if (logger.isLevelEnabled('info')) {
        ctx.state.log.info(
          { method: ctx.method, path: ctx.path, status, ms: Math.round(seconds * 1e4) / 10 },
          'request',
        );
      }
    }
  };
}
