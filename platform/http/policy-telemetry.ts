import type { CircuitBreakerPolicy, FailureReason, RetryPolicy } from 'cockatiel';
import type { Logger } from '../observability/logger.js';
import { Counter, Gauge } from '../observability/metrics.js';
import type { Metrics, Registry } from '../observability/metrics.js';
import { isDependencyError } from './errors.js';

/** What a dependency policy reports through, once its events are wired to logs and metrics. */
export interface PolicyTelemetry {
  /** Counts an error that reaches the caller, by kind, and hands it back. */
  failed(e: unknown): unknown;
  /** Seconds until the open breaker lets a test call through (at least 1). */
  readonly retryAfter: () => number;
}

/**
 * Logs the breaker's and the retry's events with the dependency's name and mirrors them in the
 * shared `dependency_*` metrics, so an operator sees which dependency is sick and since when.
 */
export function observePolicy(
  name: string,
  halfOpenAfterMs: number,
  parts: Readonly<{ breaker: CircuitBreakerPolicy; retry: RetryPolicy }>,
  observe: Readonly<{ logger: Logger; metrics: Metrics }>,
): PolicyTelemetry {
  const metrics = dependencyMetrics(observe.metrics.registry);
  const logger = observe.logger.child({ dependency: name });
  const labels = { dependency: name };
  const openedAt = watchBreaker(parts.breaker, metrics.state, labels, logger);
  watchRetries(parts.retry, metrics.retries, labels, logger);
  return {
    failed(e) {
      if (isDependencyError(e)) {
        metrics.failures.inc({ ...labels, kind: e.kind });
      }
      return e;
    },
    retryAfter: () => Math.max(1, Math.ceil((openedAt() + halfOpenAfterMs - Date.now()) / 1000)),
  };
}

type Labels = Readonly<{ dependency: string }>;

/** Mirrors the breaker's state in the gauge and the log; returns when it last opened. */
function watchBreaker(
  breaker: CircuitBreakerPolicy,
  state: Gauge<'dependency'>,
  labels: Labels,
  logger: Logger,
): () => number {
  let openedAt = 0;
  // The series exists from start-up, so a dashboard shows "closed" rather than "no data".
  state.set(labels, 0);
  breaker.onBreak((reason) => {
    openedAt = Date.now();
    state.set(labels, 1);
    logger.warn({ failure: describe(reason) }, 'circuit opened');
  });
  breaker.onHalfOpen(() => {
    state.set(labels, 2);
    logger.info('circuit half-open: letting one test call through');
  });
  breaker.onReset(() => {
    state.set(labels, 0);
    logger.info('circuit closed');
  });
  return () => openedAt;
}

function watchRetries(
  retry: RetryPolicy,
  retries: Counter<'dependency'>,
  labels: Labels,
  logger: Logger,
): void {
  retry.onRetry((event) => {
    retries.inc(labels);
    const failure = describe(event);
    logger.warn({ attempt: event.attempt, delayMs: event.delay, failure }, 'retrying');
  });
  retry.onGiveUp((reason) => logger.warn({ failure: describe(reason) }, 'giving up'));
}

/** A loggable summary of a failure; never the error itself, which may hold request headers. */
function describe(reason: FailureReason<unknown> | { isolated: true }): Record<string, unknown> {
  if ('isolated' in reason) {
    return { isolated: true };
  }
  if (!('error' in reason)) {
    return { result: 'rejected value' };
  }
  const e = reason.error;
  if (isDependencyError(e)) {
    return { kind: e.kind, status: e.status, message: e.message };
  }
  return { message: e.message };
}

interface DependencyMetrics {
  readonly state: Gauge<'dependency'>;
  readonly retries: Counter<'dependency'>;
  readonly failures: Counter<'dependency' | 'kind'>;
}

/** The dependency metrics of `registry`, created by the first policy and reused by the others. */
function dependencyMetrics(registry: Registry): DependencyMetrics {
  return {
    state: shared(registry, 'dependency_circuit_state', Gauge, () => {
      return new Gauge({
        name: 'dependency_circuit_state',
        help: 'Circuit breaker state per dependency: 0 closed, 1 open, 2 half-open.',
        labelNames: ['dependency'],
        registers: [registry],
      });
    }),
    retries: shared(registry, 'dependency_retries_total', Counter, () => {
      return new Counter({
        name: 'dependency_retries_total',
        help: 'Attempts repeated after a failed attempt, per dependency.',
        labelNames: ['dependency'],
        registers: [registry],
      });
    }),
    failures: shared(registry, 'dependency_failures_total', Counter, () => {
      return new Counter({
        name: 'dependency_failures_total',
        help: 'Calls to a dependency that failed, by kind of failure.',
        labelNames: ['dependency', 'kind'],
        registers: [registry],
      });
    }),
  };
}

/** prom-client refuses a second metric of the same name in a registry, so reuse the first. */
function shared<M extends object>(
  registry: Registry,
  name: string,
  type: abstract new (...args: never[]) => object,
  create: () => M,
): M {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) {
    return create();
  }
  if (!(existing instanceof type)) {
    throw new Error(`metric ${name} is already registered with another type`);
  }
  return existing as M;
}
