import type { Logger } from '../observability/logger.js';
import { pickInstance } from './picking.js';
import type { PickStrategy } from './picking.js';
import { NoInstanceError } from './resolver.js';
import type { BalancingResolver, InstanceLease, ServiceInstance } from './resolver.js';

export type { PickStrategy } from './picking.js';

/** Where the resolver reads the live instances of a service: the registry's API or its store. */
export type InstanceSource = (service: string) => Promise<readonly ServiceInstance[]>;

/** How a {@link createRegistryResolver} caches and picks. */
export interface RegistryResolverOptions {
  readonly source: InstanceSource;
  /**
   * How often each known service's list is read again, in milliseconds. Keep it well under the
   * registry's TTL: a crashed instance keeps getting picked for up to TTL + this.
   */
  readonly refreshMs: number;
  readonly strategy?: PickStrategy;
  /** How long an instance reported failing is skipped while others are available (default 5 s). */
  readonly ejectMs?: number;
  readonly logger: Logger;
}

/**
 * A resolver over the registry with a local cache. A service's list is read on its first use
 * and then refreshed in the background every `refreshMs`; when no instance is usable it is read
 * again at once (at most every 250 ms). When the registry cannot be read, the last known
 * instances keep being served: a registry outage must not become an outage of every service.
 */
export function createRegistryResolver(options: RegistryResolverOptions): BalancingResolver {
  const cache = createInstanceCache(options);
  const balance = createBalancer(options.strategy ?? 'round-robin', options.ejectMs ?? 5000);
  const choose = async (service: string, exclude?: ReadonlySet<string>) => {
    const known = await cache.get(service);
    const picked = balance.choose(service, known, exclude);
    if (picked !== undefined) {
      return picked;
    }
    const fresh = await cache.reload(service);
    const retried = fresh === known ? undefined : balance.choose(service, fresh, exclude);
    if (retried === undefined) {
      throw new NoInstanceError(service);
    }
    return retried;
  };
  return {
    pick: choose,
    async lease(service, exclude): Promise<InstanceLease> {
      const instance = await choose(service, exclude);
      return balance.lease(instance);
    },
    reportFailure: (service, instanceId) => balance.eject(service, instanceId),
    instances: (service) => cache.get(service),
    close: () => cache.close(),
  };
}

/** Least time between two reads of one service forced by "no usable instance". */
const FORCED_RELOAD_GAP_MS = 250;

interface CacheEntry {
  instances: readonly ServiceInstance[];
  readAt: number;
  pending?: Promise<readonly ServiceInstance[]> | undefined;
}

function createInstanceCache(options: RegistryResolverOptions) {
  const entries = new Map<string, CacheEntry>();
  let warnedAt = 0;
  const read = (service: string, entry: CacheEntry | undefined) => {
    if (entry?.pending !== undefined) {
      return entry.pending;
    }
    const pending = options.source(service).then(
      (instances) => {
        entries.set(service, { instances, readAt: Date.now() });
        return instances;
      },
      (e: unknown) => {
        if (entry === undefined) {
          // Remembered as empty, so that requests retry the registry at most every 250 ms.
          entries.set(service, { instances: [], readAt: Date.now() });
          options.logger.debug({ err: e, service }, 'registry unreachable');
          throw new NoInstanceError(service);
        }
        // Rate-limited: while the registry is down every refresh fails.
        if (Date.now() - warnedAt > 30_000) {
          warnedAt = Date.now();
          options.logger.warn(
            { err: e, service },
            'registry unreachable; using last known instances',
          );
        }
        entry.readAt = Date.now();
        entry.pending = undefined;
        return entry.instances;
      },
    );
    if (entry !== undefined) {
      entry.pending = pending;
    }
    return pending;
  };
  const timer = setInterval(() => {
    for (const [service, entry] of entries) {
      void read(service, entry);
    }
  }, options.refreshMs);
  // The refresh must never keep a process alive that is otherwise done.
  timer.unref();
  return {
    async get(service: string): Promise<readonly ServiceInstance[]> {
      const entry = entries.get(service);
      return entry === undefined ? read(service, undefined) : entry.instances;
    },
    async reload(service: string): Promise<readonly ServiceInstance[]> {
      const entry = entries.get(service);
      if (entry !== undefined && Date.now() - entry.readAt < FORCED_RELOAD_GAP_MS) {
        return entry.instances;
      }
      return read(service, entry);
    },
    close: () => clearInterval(timer),
  };
}

function createBalancer(strategy: PickStrategy, ejectMs: number) {
  const turns = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const ejectedUntil = new Map<string, number>();
  const key = (service: string, instanceId: string) => `${service}\u0000${instanceId}`;
  const isEjected = (i: ServiceInstance) =>
    (ejectedUntil.get(key(i.name, i.instanceId)) ?? 0) > Date.now();
  return {
    choose(
      service: string,
      known: readonly ServiceInstance[],
      exclude: ReadonlySet<string> | undefined,
    ): ServiceInstance | undefined {
      const usable = known.filter((i) => !exclude?.has(i.instanceId));
      const healthy = usable.filter((i) => !isEjected(i));
      // Every usable instance failed lately: trying one beats failing the request outright.
      const candidates = healthy.length > 0 ? healthy : usable;
      if (candidates.length === 0) {
        return undefined;
      }
      const turn = turns.get(service) ?? 0;
      turns.set(service, turn + 1);
      return pickInstance(strategy, {
        candidates,
        turn,
        outstanding: (id) => inFlight.get(key(service, id)) ?? 0,
      });
    },
    lease(instance: ServiceInstance): InstanceLease {
      const k = key(instance.name, instance.instanceId);
      inFlight.set(k, (inFlight.get(k) ?? 0) + 1);
      let released = false;
      return {
        instance,
        release: (outcome) => {
          if (released) {
            return;
          }
          released = true;
          const left = (inFlight.get(k) ?? 1) - 1;
          if (left > 0) {
            inFlight.set(k, left);
          } else {
            inFlight.delete(k);
          }
          if (outcome?.failed === true) {
            ejectedUntil.set(k, Date.now() + ejectMs);
          }
        },
      };
    },
    eject(service: string, instanceId: string): void {
      ejectedUntil.set(key(service, instanceId), Date.now() + ejectMs);
    },
  };
}
