import type Koa from 'koa';
import type { JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { listen } from './lifecycle.js';
import { issuerJwks } from './auth/jwks.js';
import { createAccessTokenVerifier } from './auth/verify-access-token.js';
import type { AccessTokenVerifier } from './auth/verify-access-token.js';
import type { RegistryConfig } from '../config/index.js';
import { startRegistrationAgent } from './registry/agent.js';
import type { RegistrationAgent } from './registry/agent.js';
import { newInstanceId, platformVersion, registryClientFor } from './registry/discovery.js';
import type { RegistryAccess } from './registry/discovery.js';

/** What a component's composition root builds: its public and internal apps, and its cleanup. */
export interface ComponentApps {
  readonly app: Koa;
  readonly internalApp: Koa;
  readonly logger: Logger;
  /** Releases what the component holds (database, timers) once no request is in flight. */
  close(): Promise<void>;
}

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly shutdownTimeoutSeconds: number;
}

/** A started component: where it listens, and `stop` to drain both ports and release it. */
export interface RunningComponent<A extends ComponentApps = ComponentApps> {
  readonly url: string;
  readonly metricsUrl: string;
  readonly apps: A;
  stop(): Promise<void>;
}

/** Listens on the public port and on the internal port (127.0.0.1) of a component. */
export async function startComponent<A extends ComponentApps>(
  apps: A,
  config: ListenConfig,
): Promise<RunningComponent<A>> {
  const pub = await listen(apps.app.callback(), config.host, config.port);
  const internal = await listen(apps.internalApp.callback(), '127.0.0.1', config.metricsPort);
  const deadlineMs = config.shutdownTimeoutSeconds * 1000;
  return {
    url: pub.url,
    metricsUrl: internal.url,
    apps,
    async stop() {
      await Promise.all([pub.close(deadlineMs), internal.close(deadlineMs)]);
      await apps.close();
    },
  };
}

/**
 * The verifier a resource service checks every token with: its own audience, the issuer's
 * keys (tests pass a local key set instead).
 */
export function serviceVerifier(
  issuer: string,
  audience: string,
  getKey: JWTVerifyGetKey = issuerJwks(issuer),
): AccessTokenVerifier {
  return createAccessTokenVerifier({ issuer, audience, getKey });
}

/** How a started component registers itself (DESIGN.md "Between services"). */
export interface RegistrationOptions extends Omit<RegistryAccess, 'logger'> {
  /** The service name callers resolve, e.g. `tweets`. */
  readonly service: string;
  readonly registry: RegistryConfig;
  /** Default: a fresh {@link newInstanceId}. */
  readonly instanceId?: string;
}

/** A running component that is also registered (when the registry is configured). */
export type RegisteredComponent<A extends ComponentApps = ComponentApps> = RunningComponent<A> & {
  /** The registration agent, or undefined in static mode (CHIRP_REGISTRY_URL unset). */
  readonly registration: RegistrationAgent | undefined;
};

/**
 * Registers a started component with the service registry and keeps it registered; `stop`
 * deregisters first (no new traffic), then drains and closes. Opt-in: without
 * CHIRP_REGISTRY_URL nothing is registered and the component is returned as it was. Registry
 * failures are logged and retried, never fatal.
 *
 * @throws ConfigError when the registry is configured without client credentials.
 */
export async function registerWhileRunning<A extends ComponentApps>(
  running: RunningComponent<A>,
  options: RegistrationOptions,
): Promise<RegisteredComponent<A>> {
  const logger = running.apps.logger;
  const client = registryClientFor(options.registry, { ...options, logger });
  if (client === undefined) {
    return { ...running, registration: undefined };
  }
  const baseUrl = advertisedUrl(running.url, options.registry.advertiseHost);
  const registration = await startRegistrationAgent({
    client,
    registration: {
      name: options.service,
      instanceId: options.instanceId ?? newInstanceId(options.service),
      baseUrl,
      healthUrl: `${baseUrl}/healthz`,
      version: platformVersion,
      openapiUrl: `${baseUrl}/openapi.json`,
    },
    heartbeatMs: options.registry.heartbeatSeconds * 1000,
    logger,
  });
  return {
    ...running,
    registration,
    async stop() {
      await registration.stop();
      client.close();
      await running.stop();
    },
  };
}

/** The listening URL with the advertised host in place of the listen address. */
function advertisedUrl(listening: string, advertiseHost: string | undefined): string {
  if (advertiseHost === undefined) {
    return listening;
  }
  const url = new URL(listening);
  url.hostname = advertiseHost;
  return url.origin;
}
