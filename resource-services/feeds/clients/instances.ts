import { AsyncLocalStorage } from 'node:async_hooks';
import type { AttemptTarget } from '../../../platform/http/resilient-client.js';
import { isNoInstanceError, leaseFrom } from '../../../platform/registry/resolver.js';
import type { ServiceResolver } from '../../../platform/registry/resolver.js';

/** Where one dependency's calls go: an instance from the resolver, a fresh one per retry. */
export interface InstanceRouting {
  /** Runs one call; each attempt in it (retries included) goes to an instance not yet tried. */
  call<T>(work: () => Promise<T>): Promise<T>;
  /**
   * The instance of the next attempt, leased so that least-outstanding picking counts it and a
   * failed attempt makes the resolver avoid the instance; the resilient client releases it.
   */
  baseUrl(): Promise<AttemptTarget>;
}

/**
 * Spreads a dependency's calls over its instances. Within one call a retry skips the instances
 * already tried (when another is left), so when an instance dies the retry that follows its
 * refused connection lands on a live one and the caller never sees the failure; the registry
 * drops the dead instance within its TTL.
 */
export function instanceRouting(resolver: ServiceResolver, service: string): InstanceRouting {
  const tried = new AsyncLocalStorage<Set<string>>();
  return {
    call: (work) => tried.run(new Set(), work),
    async baseUrl() {
      const seen = tried.getStore();
      let lease;
      try {
        lease = await leaseFrom(resolver, service, seen);
      } catch (e) {
        // Every instance was tried: trying one again beats giving up.
        if (!isNoInstanceError(e) || seen === undefined || seen.size === 0) {
          throw e;
        }
        lease = await leaseFrom(resolver, service);
      }
      seen?.add(lease.instance.instanceId);
      return { baseUrl: lease.instance.baseUrl, release: (outcome) => lease.release(outcome) };
    },
  };
}
