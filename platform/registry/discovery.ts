import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigError, registrySettings } from '../../config/index.js';
import type { RegistryConfig } from '../../config/index.js';
import { discoveredTokenSource } from '../http/discovered-token-source.js';
import type { TokenSource } from '../http/token-source.js';
import type { Logger } from '../observability/logger.js';
import { createRegistryClient } from './registry-client.js';
import type { RegistryClient } from './registry-client.js';
import { createRegistryResolver } from './registry-resolver.js';
import { staticResolver } from './resolver.js';
import type { ServiceResolver } from './resolver.js';

/** What a component needs to reach the registry besides the registry settings. */
export interface RegistryAccess {
  readonly issuer: string;
  readonly logger: Logger;
  /** Registry tokens; default client_credentials with CHIRP_REGISTRY_CLIENT_ID/SECRET. */
  readonly tokens?: TokenSource;
}

/**
 * The registry client of a component, or undefined when CHIRP_REGISTRY_URL is unset (static
 * mode: no registration, configured URLs).
 *
 * @throws ConfigError when the registry is configured without client credentials.
 */
export function registryClientFor(
  config: RegistryConfig,
  access: RegistryAccess,
): RegistryClient | undefined {
  if (config.url === undefined) {
    return undefined;
  }
  return createRegistryClient({
    registryUrl: config.url,
    tokens: access.tokens ?? registryTokens(config, access.issuer),
  });
}

/**
 * How a component finds the services it calls: through the registry (cached, balanced) when
 * CHIRP_REGISTRY_URL is set, else the configured `staticUrls` (platform DNS does discovery).
 *
 * @throws ConfigError when the registry is configured without client credentials.
 */
export function serviceResolverFor(
  config: RegistryConfig,
  access: RegistryAccess & { readonly staticUrls: Readonly<Record<string, string>> },
): ServiceResolver {
  const client = registryClientFor(config, access);
  if (client === undefined) {
    return staticResolver(access.staticUrls);
  }
  const resolver = createRegistryResolver({
    source: (service) => client.list(service),
    refreshMs: config.refreshMs,
    strategy: config.pick,
    logger: access.logger,
  });
  return {
    ...resolver,
    close() {
      resolver.close();
      client.close();
    },
  };
}

/** A fresh instance id: readable (host and pid) and unique across restarts. */
export function newInstanceId(service: string): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9.-]/g, '-')
    .slice(0, 64);
  return `${service}-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** The version the platform advertises: package.json's. */
export const platformVersion: string = (() => {
  const raw = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(raw) as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
})();

/**
 * Checks, before anything listens, that a configured registry comes with client credentials.
 *
 * @throws ConfigError naming each missing variable.
 */
export function checkRegistryConfig(config: RegistryConfig): RegistryConfig {
  if (config.url !== undefined) {
    requiredCredentials(config);
  }
  return config;
}

function registryTokens(config: RegistryConfig, issuer: string): TokenSource {
  const { clientId, clientSecret } = requiredCredentials(config);
  return discoveredTokenSource({ issuer, clientId, clientSecret, timeoutMs: 2000 });
}

function requiredCredentials(config: RegistryConfig): { clientId: string; clientSecret: string } {
  const { clientId, clientSecret } = config;
  if (clientId === undefined || clientSecret === undefined) {
    const missing = [
      clientId === undefined ? registrySettings.clientId.env : undefined,
      clientSecret === undefined ? registrySettings.clientSecret.env : undefined,
    ].filter((env) => env !== undefined);
    throw new ConfigError(
      missing.map(
        (env) =>
          `${env}: required with CHIRP_REGISTRY_URL (create a client with ` +
          '`chirp clients create --scope "registry:write registry:read"`)',
      ),
    );
  }
  return { clientId, clientSecret };
}
