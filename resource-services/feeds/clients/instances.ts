import { AsyncLocalStorage } from 'node:async_hooks';
import { isNoInstanceError } from '../../../platform/registry/resolver.js';
import type { ServiceResolver } from '../../../platform/registry/resolver.js';

/** Where one dependency's calls go: an instance from the resolver, a fresh one per retry. */
export interface InstanceRouting {
  /** Runs one call; each attempt in it (retries included) goes to an instance not yet tried. */
  call<T>(work: () => Promise<T>): Promise<T>;
  /** The base URL of the next attempt; the resilient client calls it before every attempt. */
  baseUrl(): Promise<string>;
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
      let instance;
      try {
        instance = await resolver.pick(service, seen);
      } catch (e) {
        // Every instance was tried: trying one again beats giving up.
        if (!isNoInstanceError(e) || seen === undefined || seen.size === 0) {
          throw e;
        }
        instance = await resolver.pick(service);
      }
      seen?.add(instance.instanceId);
      return instance.baseUrl;
    },
  };
}
