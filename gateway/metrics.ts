import { CircuitState } from 'cockatiel';
import { Gauge } from '../platform/observability/metrics.js';
import type { Counter, Metrics } from '../platform/observability/metrics.js';

/** The gateway's own series, beside the platform's request histogram. */
export interface GatewayMetrics {
  readonly upstreamFailures: Counter<'service' | 'kind'>;
  readonly rateLimited: Counter<'kind'>;
  readonly profilesDegraded: Counter<'reason'>;
  /** Records an instance's circuit state: 0 closed, 1 open, 2 half-open, 3 isolated. */
  readonly circuitChanged: (service: string, instance: string, state: CircuitState) => void;
}

export function createGatewayMetrics(metrics: Metrics): GatewayMetrics {
  const circuit = new Gauge({
    name: 'gateway_circuit_state',
    help: 'Circuit state per upstream instance: 0 closed, 1 open, 2 half-open, 3 isolated.',
    labelNames: ['service', 'instance'],
    registers: [metrics.registry],
  });
  return {
    upstreamFailures: metrics.counter(
      'gateway_upstream_failures_total',
      'Failed attempts at upstream instances, by service and kind (refused, timeout, ...).',
      ['service', 'kind'],
    ),
    rateLimited: metrics.counter(
      'gateway_rate_limited_total',
      'Requests answered 429, by limit (caller or anonymous).',
      ['kind'],
    ),
    profilesDegraded: metrics.counter(
      'gateway_profiles_degraded_total',
      'GET /profiles/{handle} answered without recent tweets, by reason.',
      ['reason'],
    ),
    circuitChanged: (service, instance, state) => {
      circuit.set({ service, instance }, STATE_VALUES[state]);
    },
  };
}

const STATE_VALUES: Readonly<Record<CircuitState, number>> = {
  [CircuitState.Closed]: 0,
  [CircuitState.Open]: 1,
  [CircuitState.HalfOpen]: 2,
  [CircuitState.Isolated]: 3,
};
