import Koa from 'koa';
import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { Metrics } from './observability/metrics.js';
import { healthRoutes } from './observability/health.js';
import type { ReadinessCheck } from './observability/health.js';
import { requestId } from './middleware/request-id.js';
import { accessLog } from './middleware/access-log.js';
import { problemJson } from './middleware/problem-json.js';

export interface ServiceOptions {
  /** Whether /readyz says why a check fails (internal port only). */
  readonly readinessDetail?: boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
}

/**
 * The standard stack every component starts from: request id and trace context, access log,
 * the problem+json renderer, then /healthz and /readyz. The caller adds its own routers.
 */
export function createService(options: ServiceOptions): Koa {
  const app = new Koa();
  app.use(requestId(options.logger));
  app.use(accessLog(options.metrics, options.logger));
  app.use(problemJson());
  app.use(healthRoutes(options.readiness, undefined, options.readinessDetail ?? false));
  app.on('error', (err: unknown) => options.logger.error({ err }, 'error escaped a response'));
  return app;
}

/** Mounts routers on an app in order, with 405 (and its Allow header) or 501 for known paths. */
export function mountRouters(app: Koa, routers: readonly Router[]): Koa {
  for (const r of routers) {
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  return app;
}

/**
 * The internal app on the metrics port: /metrics for Prometheus plus the health routes, so an
 * orchestrator can probe a component without going through its public port.
 */
export function createInternalApp(options: ServiceOptions): Koa {
  const app = createService({ ...options, readinessDetail: true });
  app.use(async function metricsRoute(ctx, next) {
    if (ctx.method !== 'GET' || ctx.path !== '/metrics') {
      await next();
      return;
    }
    ctx.type = options.metrics.registry.contentType;
    ctx.body = await options.metrics.registry.metrics();
  });
  return app;
}
