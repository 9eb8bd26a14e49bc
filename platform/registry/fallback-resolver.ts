import { isBalancingResolver, isNoInstanceError, leaseFrom } from './resolver.js';
import type { BalancingResolver, ServiceResolver } from './resolver.js';

/**
 * The registry first, the configured URL when the registry knows no instance of a service:
 * `npm start` and a single-machine setup work before (or without) any registration, and a
 * registered instance always wins over the configured one. It balances as the registry's
 * resolver does: leases (least-outstanding picking) and failure reports reach it.
 */
export function withFallback(
  primary: ServiceResolver,
  fallback: ServiceResolver,
): BalancingResolver {
  const either = async <T>(first: () => Promise<T>, second: () => Promise<T>): Promise<T> => {
    try {
      return await first();
    } catch (e) {
      if (!isNoInstanceError(e)) {
        throw e;
      }
      return second();
    }
  };
  return {
    pick: (service, exclude) =>
      either(
        () => primary.pick(service, exclude),
        () => fallback.pick(service, exclude),
      ),
    lease: (service, exclude) =>
      either(
        () => leaseFrom(primary, service, exclude),
        () => leaseFrom(fallback, service, exclude),
      ),
    reportFailure(service, instanceId) {
      for (const r of [primary, fallback]) {
        if (isBalancingResolver(r)) {
          r.reportFailure(service, instanceId);
        }
      }
    },
    async instances(service) {
      const known = await primary.instances(service);
      return known.length > 0 ? known : fallback.instances(service);
    },
    close() {
      primary.close();
      fallback.close();
    },
  };
}
