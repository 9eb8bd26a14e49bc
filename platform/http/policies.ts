import {
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isTaskCancelledError,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import type { CircuitBreakerPolicy, IDefaultPolicyContext, IPolicy, RetryPolicy } from 'cockatiel';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { DependencyError, isDependencyError } from './errors.js';
import { observePolicy } from './policy-telemetry.js';

/** How hard to try one dependency; every field has a default in {@link dependencyPolicyDefaults}. */
export interface DependencyPolicyOptions {
  /** Bound on one attempt, in milliseconds. */
  timeoutMs?: number;
  /** Attempts per call, the first included; only retryable calls get more than one. */
  maxAttempts?: number;
  /** First backoff between attempts, in milliseconds; later ones grow, with jitter. */
  initialDelayMs?: number;
  /** Longest backoff between attempts, in milliseconds. */
  maxDelayMs?: number;
  /** Consecutive failed attempts that open the circuit. */
  breakAfter?: number;
  /** How long an open circuit refuses calls before letting one test call through, in ms. */
  halfOpenAfterMs?: number;
  /** Calls to this dependency running at once. */
  bulkheadLimit?: number;
  /** Calls waiting for a free slot; beyond that a call fails at once with `bulkhead-full`. */
  bulkheadQueue?: number;
}

/**
 * Defaults sized for calls between services on one network: an answer within 800 ms or the
 * attempt is abandoned, and at most three attempts so a retried call still fits a user request.
 */
export const dependencyPolicyDefaults: Readonly<Required<DependencyPolicyOptions>> = Object.freeze({
  timeoutMs: 800,
  maxAttempts: 3,
  initialDelayMs: 50,
  maxDelayMs: 500,
  breakAfter: 5,
  halfOpenAfterMs: 5000,
  bulkheadLimit: 20,
  bulkheadQueue: 40,
});

/** What one attempt gets: a signal that aborts when the attempt must stop. */
export interface AttemptContext {
  /** Aborts on the policy timeout, the caller's deadline, or the caller's own signal. */
  readonly signal: AbortSignal;
}

/** How the caller wants one call executed. */
export interface DependencyExecution {
  /**
   * Whether a failed attempt may be repeated: only when repeating cannot do the work twice
   * (an idempotent method or an Idempotency-Key). The caller knows; the policy cannot.
   */
  readonly retryable: boolean;
  /** The caller's signal; aborting it stops the call and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Epoch ms by which the caller needs an answer: bounds every attempt, and no attempt starts later. */
  readonly deadline?: number;
}

/** Circuit state as exported in the `dependency_circuit_state` gauge. */
export type CircuitStateName = 'closed' | 'open' | 'half-open';

/**
 * The resilience recipe for one dependency: bulkhead, retry, circuit breaker and timeout,
 * built once at start-up and shared by every call, so that the breaker sees all failures.
 */
export interface DependencyPolicy {
  /** The dependency's name, used in logs, metrics and {@link DependencyError}. */
  readonly name: string;
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<DependencyPolicyOptions>>;
  /** The breaker's state now; an isolated breaker reads as open. */
  circuitState(): CircuitStateName;
  /**
   * Runs `attempt` under the policy. The attempt throws a {@link DependencyError} of kind
   * `unavailable` or `bad-response` for a failure that counts against the dependency, and
   * returns normally for any answer that does not (a 404 is the caller's problem, not the
   * dependency's). Rejects with a {@link DependencyError}, the caller's abort reason, or
   * whatever else the attempt threw.
   */
  execute<T>(
    attempt: (context: AttemptContext) => Promise<T>,
    execution: Readonly<DependencyExecution>,
  ): Promise<T>;
}

/** Creates the policy of dependency `name`; metrics are shared by every policy on a registry. */
export function createDependencyPolicy(
  name: string,
  options: Readonly<DependencyPolicyOptions>,
  observe: Readonly<{ logger: Logger; metrics: Metrics }>,
): DependencyPolicy {
  const settings = resolveOptions(name, options);
  const parts = buildPolicies(settings);
  const telemetry = observePolicy(name, settings.halfOpenAfterMs, parts, observe);
  return {
    name,
    options: settings,
    circuitState: () => stateName(parts.breaker.state),
    async execute(attempt, execution) {
      const chosen = execution.retryable ? parts.retrying : parts.single;
      try {
        return await chosen.execute(
          (ctx) => runAttempt(attempt, ctx, execution, name, settings.timeoutMs),
          execution.signal,
        );
      } catch (e) {
        throw telemetry.failed(toCallerError(e, name, execution.signal, telemetry.retryAfter));
      }
    },
  };
}

type Settings = Readonly<Required<DependencyPolicyOptions>>;

interface Policies {
  readonly breaker: CircuitBreakerPolicy;
  readonly retry: RetryPolicy;
  readonly retrying: IPolicy<IDefaultPolicyContext>;
  readonly single: IPolicy<IDefaultPolicyContext>;
}

function resolveOptions(name: string, options: Readonly<DependencyPolicyOptions>): Settings {
  const settings = { ...dependencyPolicyDefaults, ...definedOnly(options) };
  for (const [key, value] of Object.entries(settings)) {
    const min = key === 'bulkheadQueue' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`dependency ${name}: ${key} must be an integer >= ${min}, got ${value}`);
    }
  }
  return Object.freeze(settings);
}

function definedOnly(options: Readonly<DependencyPolicyOptions>): DependencyPolicyOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/**
 * Two stacks over the same bulkhead, breaker and timeout, so that retryable and non-retryable
 * calls share one concurrency limit and one view of the dependency's health.
 */
function buildPolicies(settings: Settings): Policies {
  const faults = handleWhen(isDependencyFault);
  const breaker = circuitBreaker(faults, {
    breaker: new ConsecutiveBreaker(settings.breakAfter),
    halfOpenAfter: settings.halfOpenAfterMs,
  });
  const retryPolicy = retry(
    handleWhen((e) => isRetryableFault(e, settings.maxDelayMs)),
    {
      // cockatiel counts retries after the first attempt, not attempts.
      maxAttempts: settings.maxAttempts - 1,
      backoff: new ExponentialBackoff({
        initialDelay: settings.initialDelayMs,
        maxDelay: settings.maxDelayMs,
      }),
    },
  );
  // Cooperative: the attempt itself races its signal, which lets it tell a timeout from the
  // caller's abort or deadline; the aggressive strategy would report all three alike.
  const limit = timeout(settings.timeoutMs, TimeoutStrategy.Cooperative);
  const isolation = bulkhead(settings.bulkheadLimit, settings.bulkheadQueue);
  return {
    breaker,
    retry: retryPolicy,
    retrying: wrap(isolation, retryPolicy, breaker, limit),
    single: wrap(isolation, breaker, limit),
  };
}

/** Failures that say the dependency is unwell, as opposed to the caller giving up. */
function isDependencyFault(e: Error): boolean {
  return (
    isDependencyError(e) &&
    (e.kind === 'timeout' || e.kind === 'unavailable' || e.kind === 'bad-response')
  );
}

/**
 * A body we cannot read will not read better on a second try, and a dependency that asks us
 * to come back later than our longest backoff should be left alone until then.
 */
function isRetryableFault(e: Error, maxDelayMs: number): boolean {
  if (!isDependencyError(e)) {
    return false;
  }
  if (e.kind === 'timeout') {
    return true;
  }
  const waitMs = (e.retryAfterSeconds ?? 0) * 1000;
  return e.kind === 'unavailable' && waitMs <= maxDelayMs;
}

function stateName(state: CircuitState): CircuitStateName {
  if (state === CircuitState.Closed) {
    return 'closed';
  }
  return state === CircuitState.HalfOpen ? 'half-open' : 'open';
}

/** The caller aborted; carried through the policies so that no filter mistakes it for a fault. */
class CallerAbort extends Error {
  constructor(readonly reason: unknown) {
    super('aborted by the caller');
  }
}

/** The caller's deadline passed: not the dependency's fault, so it neither retries nor breaks. */
class DeadlineExceeded extends Error {}

async function runAttempt<T>(
  attempt: (context: AttemptContext) => Promise<T>,
  ctx: IDefaultPolicyContext,
  execution: Readonly<DependencyExecution>,
  name: string,
  timeoutMs: number,
): Promise<T> {
  const remaining = execution.deadline === undefined ? Infinity : execution.deadline - Date.now();
  if (remaining <= 0) {
    throw new DeadlineExceeded();
  }
  const cap = remaining < timeoutMs ? abortAfter(remaining) : undefined;
  const signal = cap === undefined ? ctx.signal : AbortSignal.any([ctx.signal, cap.signal]);
  try {
    return await raceAbort(attempt({ signal }), signal);
  } catch (e) {
    if (execution.signal?.aborted) {
      throw new CallerAbort(execution.signal.reason);
    }
    if (cap?.signal.aborted) {
      throw new DeadlineExceeded();
    }
    if (ctx.signal.aborted) {
      throw new DependencyError({
        dependency: name,
        kind: 'timeout',
        message: `${name}: no answer within ${timeoutMs} ms`,
      });
    }
    throw e;
  } finally {
    cap?.dispose();
  }
}

function abortAfter(ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

/** Settles when `work` does or `signal` aborts, whichever is first: an attempt cannot outlive its bound. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('attempt aborted'));
    if (signal.aborted) {
      onAbort();
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function toCallerError(
  e: unknown,
  name: string,
  signal: AbortSignal | undefined,
  retryAfter: () => number,
): unknown {
  if (e instanceof CallerAbort) {
    return e.reason;
  }
  // The bulkhead and a half-open breaker throw TaskCancelledError for an aborted caller too.
  if (signal?.aborted && isTaskCancelledError(e)) {
    return signal.reason;
  }
  if (e instanceof DeadlineExceeded) {
    return new DependencyError({
      dependency: name,
      kind: 'timeout',
      message: `${name}: deadline passed`,
    });
  }
  if (isBrokenCircuitError(e)) {
    return new DependencyError({
      dependency: name,
      kind: 'circuit-open',
      retryAfterSeconds: retryAfter(),
    });
  }
  if (isBulkheadRejectedError(e)) {
    return new DependencyError({ dependency: name, kind: 'bulkhead-full' });
  }
  if (isTaskCancelledError(e)) {
    return new DependencyError({ dependency: name, kind: 'timeout' });
  }
  return e;
}
