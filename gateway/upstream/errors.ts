import { ProblemError } from '../../platform/errors.js';

/**
 * Why an attempt at an upstream service failed:
 * - `refused`: the connection was refused or the host not found (nothing was sent);
 * - `circuit-open`: the instance's breaker refused the call (nothing was sent);
 * - `no-instance`: the resolver has no usable instance of the service (nothing was sent);
 * - `transport`: the connection broke after the request may have left;
 * - `timeout`: no full answer within the attempt's time or the request's deadline;
 * - `too-large`: the answer was bigger than the gateway buffers.
 */
export type UpstreamFailureKind =
  'refused' | 'circuit-open' | 'no-instance' | 'transport' | 'timeout' | 'too-large';

/** An attempt's failure, as the retry and breaker policies and the problem mapping see it. */
export class UpstreamFailure extends Error {
  /** Brand checked by {@link isUpstreamFailure}. */
  readonly isUpstreamFailure = true;
  readonly service: string;
  readonly kind: UpstreamFailureKind;
  /** Whether this attempt says the instance is unwell (counted by its breaker). */
  readonly instanceFault: boolean;
  /** Whether another attempt may follow: nothing was sent, or the request is idempotent. */
  readonly retryable: boolean;

  constructor(
    init: Readonly<{
      service: string;
      kind: UpstreamFailureKind;
      retryable: boolean;
      message?: string;
    }>,
  ) {
    super(init.message ?? `${init.service}: ${init.kind}`);
    this.name = 'UpstreamFailure';
    this.service = init.service;
    this.kind = init.kind;
    this.retryable = init.retryable;
    this.instanceFault = FAULTS.has(init.kind);
  }
}

export function isUpstreamFailure(e: unknown): e is UpstreamFailure {
  return e instanceof Error && 'isUpstreamFailure' in e && e.isUpstreamFailure === true;
}

/** Failures that say the instance is unwell; an answer of any status says it is alive. */
const FAULTS: ReadonlySet<UpstreamFailureKind> = new Set(['refused', 'transport', 'timeout']);

/** Nothing reached the service: safe to try again, whatever the method. */
export const NOT_SENT: ReadonlySet<UpstreamFailureKind> = new Set([
  'refused',
  'circuit-open',
  'no-instance',
]);

/**
 * The problem a client sees for a failure: 504 for a timeout, 503 with Retry-After when no
 * instance may be called now, 502 for a broken or oversized answer. The detail names the
 * service, never a host or port.
 */
export function problemFor(failure: UpstreamFailure, retryAfterSeconds: number): ProblemError {
  switch (failure.kind) {
    case 'timeout':
      return new ProblemError({
        status: 504,
        title: 'Gateway Timeout',
        detail: `The ${failure.service} service did not answer in time.`,
        expose: true,
        cause: failure,
      });
    case 'no-instance':
    case 'circuit-open':
      return new ProblemError({
        status: 503,
        title: 'Service Unavailable',
        detail: `The ${failure.service} service is unavailable; try again later.`,
        expose: true,
        headers: { 'Retry-After': String(retryAfterSeconds) },
        cause: failure,
      });
    default:
      return new ProblemError({
        status: 502,
        title: 'Bad Gateway',
        detail: `The ${failure.service} service could not be reached or answered badly.`,
        expose: true,
        cause: failure,
      });
  }
}
