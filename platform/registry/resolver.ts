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
