import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import request from 'supertest';
import { loadConfig } from '../../config/index.js';
import type { RegistryConfig } from '../../config/index.js';
import { listen } from '../../platform/lifecycle.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import { createInternalApp, mountRouters } from '../../platform/service.js';
import { createRegistry } from '../../gateway/registry/registry.js';
import type { Registry } from '../../gateway/registry/registry.js';
import type { StoreIsolation } from '../../gateway/registry/stores/open.js';
import type { TokenSource } from '../../platform/http/token-source.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';

export const REGISTRY = 'urn:chirp:registry';

/** A registry on a bare platform internal app (as the gateway hosts it), on an ephemeral port. */
export interface RegistryHarness {
  readonly url: string;
  readonly issuer: TestIssuer;
  readonly registry: Registry;
  readonly config: RegistryConfig;
  /** A client_credentials token for the registry. */
  token(scope: string, clientId?: string): Promise<string>;
  /** Base URLs of the live instances of `service`, as GET /registry/... answers now. */
  listed(service: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly env?: Record<string, string>;
  readonly isolation?: StoreIsolation;
  readonly issuer?: TestIssuer;
}

export async function startRegistryHarness(options: HarnessOptions = {}): Promise<RegistryHarness> {
  const issuer = options.issuer ?? (await createTestIssuer());
  const logger = pino({ level: 'silent' });
  const config = loadConfig('registry', { CHIRP_REGISTRY_TTL: '2', ...options.env });
  const registry = await createRegistry(config, {
    issuer: issuer.issuer,
    logger,
    getKey: issuer.getKey,
    ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
  });
  const app = createInternalApp({
    logger,
    metrics: createMetrics('gateway'),
    readiness: { registry: () => registry.ping() },
  });
  mountRouters(app, [registry.router]);
  const server = await listen(app.callback(), '127.0.0.1', 0);
  return {
    url: server.url,
    issuer,
    registry,
    config,
    token: (scope, clientId = 'tweets-client') => issuer.mint({ aud: REGISTRY, scope, clientId }),
    async listed(service) {
      const token = await issuer.mint({ aud: REGISTRY, scope: 'registry:read' });
      const res = await request(server.url)
        .get(`/registry/services/${service}/instances`)
        .set({ Authorization: `Bearer ${token}` });
      return (res.body as { items: { baseUrl: string }[] }).items.map((i) => i.baseUrl);
    },
    async close() {
      await server.close(1000);
      await registry.close();
    },
  };
}

/** Registry tokens minted by the test issuer for `clientId`; `failing` makes every request fail. */
export function registryTokens(
  issuer: TestIssuer,
  clientId: string,
): TokenSource & { failing: boolean } {
  const source = {
    failing: false,
    token(resource: string, scope: string): Promise<string> {
      if (source.failing) {
        return Promise.reject(new Error('token endpoint unreachable (test)'));
      }
      return issuer.mint({ aud: resource, scope, clientId });
    },
    invalidate: () => undefined,
  };
  return source;
}

/** A service name no other test uses, so tests sharing a Redis or a schema stay apart. */
export function uniqueService(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

/** Resolves once `check` holds, polling every 50 ms; rejects after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) {
      return Date.now() - started;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}
