import Router from '@koa/router';
import type { JWTVerifyGetKey } from 'jose';
import type { RegistryConfig } from '../../config/index.js';
import { serviceVerifier } from '../../platform/component.js';
import type { Logger } from '../../platform/observability/logger.js';
import { REGISTRY_RESOURCE } from '../../platform/registry/registry-client.js';
import { createRegistryResolver } from '../../platform/registry/registry-resolver.js';
import type { BalancingResolver, ServiceInstance } from '../../platform/registry/resolver.js';
import { registryHandlers } from './handlers.js';
import { createInstances } from './instances.js';
import { registryRouter } from './routes.js';
import { openRegistryStore } from './stores/open.js';
import type { StoreIsolation } from './stores/open.js';
import type { RegistryStore } from './stores/store.js';

/** What the gateway hands the registry besides the registry settings. */
export interface RegistryDeps {
  /** The gateway's CHIRP_ISSUER: registry tokens are verified against it. */
  readonly issuer: string;
  readonly logger: Logger;
  /** Keys that sign access tokens; default the issuer's JWKS (tests pass a local key set). */
  readonly getKey?: JWTVerifyGetKey;
  /** Service name → base URL, used only with CHIRP_REGISTRY_BACKEND=static. */
  readonly staticUrls?: Readonly<Record<string, string>>;
  /** Key prefix or schema of the shared backends (tests isolate themselves with one). */
  readonly isolation?: StoreIsolation;
}

/** The registry as the gateway hosts it. */
export interface Registry {
  /**
   * The registry API; mount it on the gateway's INTERNAL app only (127.0.0.1:8081), e.g.
   * `mountRouters(internalApp, [registry.router])`. Empty with the static backend.
   */
  readonly router: Router;
  /**
   * How the gateway itself finds instances: the same store, read in-process through a cache
   * refreshed every CHIRP_REGISTRY_REFRESH_MS, balanced by CHIRP_REGISTRY_PICK. Use `lease` per
   * proxied request and `release({ failed })` when it ends, so least-outstanding counts and a
   * failing instance is skipped at once. With the static backend: the configured URLs.
   */
  readonly resolver: BalancingResolver;
  /** Readiness check for /readyz: one round trip to the store. */
  ping(): Promise<void>;
  /** Stops the resolver's refreshes and closes the store. */
  close(): Promise<void>;
}

/**
 * Builds the service registry the gateway hosts (DESIGN.md "Between services"). Mounting
 * contract for the gateway's composition root:
 *
 * ```ts
 * const registry = await createRegistry(loadConfig('registry'), { issuer: config.issuer, logger });
 * mountRouters(internalApp, [registry.router]);       // internal port only, never public
 * readiness.registry = () => registry.ping();
 * // proxy: const lease = await registry.resolver.lease('tweets'); ... lease.release({ failed });
 * // on close: await registry.close();
 * ```
 *
 * The internal app must come from platform/service.ts (createInternalApp): the routes rely on
 * its request-id logger and problem+json renderer. Routes (all need a bearer token for
 * `urn:chirp:registry`): `PUT /registry/services/{name}/instances/{id}` (registry:write; 201
 * created, 200 refreshed), `PUT .../{id}/heartbeat` (registry:write; 204, 404 = register again),
 * `DELETE .../{id}` (registry:write; 204), `GET /registry/services/{name}/instances`
 * (registry:read; `{items}`).
 *
 * @throws ConfigError when a shared backend is chosen without its URL.
 */
export async function createRegistry(
  config: RegistryConfig,
  deps: RegistryDeps,
): Promise<Registry> {
  const ttlMs = config.ttlSeconds * 1000;
  const store = await openRegistryStore(config, deps.logger, deps.isolation);
  const verifier = serviceVerifier(deps.issuer, REGISTRY_RESOURCE, deps.getKey);
  // The static backend hosts no registry: its routes are absent, so they answer 404.
  const router =
    store === undefined
      ? new Router()
      : registryRouter(
          verifier,
          registryHandlers(createInstances(store, ttlMs), config.ttlSeconds),
        );
  const resolver = createRegistryResolver({
    source: store === undefined ? staticSource(deps.staticUrls ?? {}) : storeSource(store),
    refreshMs: config.refreshMs,
    strategy: config.pick,
    logger: deps.logger,
  });
  return {
    router,
    resolver,
    ping: () => store?.ping() ?? Promise.resolve(),
    async close() {
      resolver.close();
      await store?.close();
    },
  };
}

function storeSource(store: RegistryStore) {
  return async (service: string): Promise<ServiceInstance[]> =>
    (await store.list(service)).map(({ name, instanceId, baseUrl }) => ({
      name,
      instanceId,
      baseUrl,
    }));
}

function staticSource(urls: Readonly<Record<string, string>>) {
  return (service: string): Promise<ServiceInstance[]> => {
    const url = urls[service];
    return Promise.resolve(
      url === undefined
        ? []
        : [{ name: service, instanceId: url, baseUrl: url.replace(/\/+$/, '') }],
    );
  };
}
