/** One running instance of a service, as callers see it. */
export interface ServiceInstance {
  readonly name: string;
  readonly instanceId: string;
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:4102 */
  readonly baseUrl: string;
}

/** Thrown when a service has no instance a caller may use now. */
export class NoInstanceError extends Error {
  constructor(readonly service: string) {
    super(`no healthy instance of ${service}`);
    this.name = 'NoInstanceError';
  }
}

export function isNoInstanceError(e: unknown): e is NoInstanceError {
  return e instanceof NoInstanceError;
}

/**
 * How callers (the gateway, feeds, the auth server) find a service: from the registry with a
 * local cache, or from static configuration where platform DNS does discovery.
 */
export interface ServiceResolver {
  /**
   * An instance to send the next request to; `exclude` lists instance ids the caller must skip
   * (their breaker is open, or a retry should land elsewhere).
   * @throws NoInstanceError when none is left.
   */
  pick(service: string, exclude?: ReadonlySet<string>): Promise<ServiceInstance>;
  /** Every instance currently known for `service` (for readiness and diagnostics). */
  instances(service: string): Promise<readonly ServiceInstance[]>;
  /** Stops background refreshes. */
  close(): void;
}

/** A resolver over fixed URLs: one instance per service, named by its URL. */
export function staticResolver(urls: Readonly<Record<string, string>>): ServiceResolver {
  const known = (service: string): ServiceInstance[] => {
    const url = urls[service];
    return url === undefined
      ? []
      : [{ name: service, instanceId: url, baseUrl: url.replace(/\/+$/, '') }];
  };
  return {
    pick(service, exclude) {
      const usable = known(service).filter((i) => !exclude?.has(i.instanceId));
      const [first] = usable;
      return first === undefined
        ? Promise.reject(new NoInstanceError(service))
        : Promise.resolve(first);
    },
    instances: (service) => Promise.resolve(known(service)),
    close() {},
  };
}

/** An instance handed out for one request, counted as outstanding until released. */
export interface InstanceLease {
  readonly instance: ServiceInstance;
  /** Ends the request; `failed` also tells the resolver to avoid the instance for a while. */
  release(outcome?: { readonly failed: boolean }): void;
}

/**
 * A resolver that balances load and learns from failures: what the gateway's proxy and any
 * caller that knows when its request ends should use. Plain `pick` still works.
 */
export interface BalancingResolver extends ServiceResolver {
  /** Like `pick`, but counts the request as outstanding (least-outstanding picking) until released. */
  lease(service: string, exclude?: ReadonlySet<string>): Promise<InstanceLease>;
  /**
   * Passive health check: the instance failed a request (refused connection, timeout, 5xx), so
   * it is skipped for a short while (or until it leaves the registry) when another is available.
   */
  reportFailure(service: string, instanceId: string): void;
}

/** Whether `resolver` also balances and takes failure reports. */
export function isBalancingResolver(resolver: ServiceResolver): resolver is BalancingResolver {
  return 'lease' in resolver && 'reportFailure' in resolver;
}

/**
 * A lease on an instance of `service` from any resolver: counted by a balancing one, a plain
 * pick with nothing to release from the others (static configuration).
 */
export function leaseFrom(
  resolver: ServiceResolver,
  service: string,
  exclude?: ReadonlySet<string>,
): Promise<InstanceLease> {
  if (isBalancingResolver(resolver)) {
    return resolver.lease(service, exclude);
  }
  return resolver.pick(service, exclude).then((instance) => ({ instance, release() {} }));
}
