import type Koa from 'koa';
import { pino } from 'pino';
import { createMetrics } from '../../platform/observability/metrics.js';
import type { ReadinessCheck } from '../../platform/observability/health.js';
import { createService } from '../../platform/service.js';

/** The platform's standard stack with a silent logger, for tests of one middleware or route. */
export function quietService(readiness: Record<string, ReadinessCheck> = {}): Koa {
  return createService({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('test'),
    readiness,
  });
}
