import { isNoInstanceError } from './resolver.js';
import type { ServiceResolver } from './resolver.js';

/**
 * The registry first, the configured URL when the registry knows no instance of a service:
 * `npm start` and a single-machine setup work before (or without) any registration, and a
 * registered instance always wins over the configured one.
 */
export function withFallback(primary: ServiceResolver, fallback: ServiceResolver): ServiceResolver {
  return {
    async pick(service, exclude) {
      try {
        return await primary.pick(service, exclude);
      } catch (e) {
        if (!isNoInstanceError(e)) {
          throw e;
        }
        return fallback.pick(service, exclude);
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
