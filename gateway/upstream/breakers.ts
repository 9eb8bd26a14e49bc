import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import type { CircuitBreakerPolicy } from 'cockatiel';
import type { Logger } from '../../platform/observability/logger.js';
import type { ServiceInstance } from '../../platform/registry/resolver.js';
import { isUpstreamFailure } from './errors.js';

/** When an instance's breaker opens, and for how long it rests. */
export interface BreakerOptions {
  /** Consecutive failed attempts at one instance that open its circuit. */
  readonly breakAfter: number;
  /** Milliseconds an open circuit refuses calls before one test call may pass. */
  readonly halfOpenAfterMs: number;
}

/** What a state change is reported to (logs and the circuit-state gauge). */
export type BreakerObserver = (service: string, instanceId: string, state: CircuitState) => void;

/**
 * One cockatiel circuit breaker per instance (not per service): one dead instance must not
 * stop the traffic its healthy siblings can serve. An instance whose circuit is open is
 * skipped when picking, until its half-open time has come.
 */
export interface InstanceBreakers {
  /** The breaker of `instance`, created on first use. */
  policyFor(instance: ServiceInstance): CircuitBreakerPolicy;
  /** Ids of `service`'s instances that rest now (open circuit, test call not yet due). */
  resting(service: string): ReadonlySet<string>;
}

export function createInstanceBreakers(
  options: Readonly<BreakerOptions>,
  observe: BreakerObserver,
  logger: Logger,
): InstanceBreakers {
  const byService = new Map<string, Map<string, Entry>>();
  const create = (instance: ServiceInstance): Entry => {
    const policy = circuitBreaker(
      handleWhen((e) => isUpstreamFailure(e) && e.instanceFault),
      {
        breaker: new ConsecutiveBreaker(options.breakAfter),
        halfOpenAfter: options.halfOpenAfterMs,
      },
    );
    const entry: Entry = { policy, restsUntil: 0 };
    policy.onStateChange((state) => {
      entry.restsUntil = state === CircuitState.Open ? Date.now() + options.halfOpenAfterMs : 0;
      logger.warn(
        { service: instance.name, instance: instance.instanceId, state: CircuitState[state] },
        `circuit of ${instance.name} instance ${CircuitState[state].toLowerCase()}`,
      );
      observe(instance.name, instance.instanceId, state);
    });
    return entry;
  };
  return {
    policyFor(instance) {
      let instances = byService.get(instance.name);
      if (instances === undefined) {
        instances = new Map();
        byService.set(instance.name, instances);
      }
      let entry = instances.get(instance.instanceId);
      if (entry === undefined) {
        entry = create(instance);
        instances.set(instance.instanceId, entry);
      }
      return entry.policy;
    },
    resting(service) {
      const now = Date.now();
      // Asked on every attempt: the shared empty set unless some circuit is open.
      let ids: Set<string> | undefined;
      for (const [id, entry] of byService.get(service) ?? []) {
        if (entry.restsUntil > now) {
          (ids ??= new Set()).add(id);
        }
      }
      return ids ?? NONE_RESTING;
    },
  };
}

const NONE_RESTING: ReadonlySet<string> = new Set();

interface Entry {
  readonly policy: CircuitBreakerPolicy;
  /** Epoch ms until which the instance is skipped; 0 while its circuit is not open. */
  restsUntil: number;
}
