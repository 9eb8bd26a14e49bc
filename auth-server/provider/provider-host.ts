import type { IncomingMessage, ServerResponse } from 'node:http';
import { Provider } from 'oidc-provider';
import type { Adapter, Configuration, FindAccount } from 'oidc-provider';
import type { AuthConfig } from '../../config/index.js';
import type { LimiterStore } from '../../platform/rate-limit/limiter.js';
import type { Logger } from 'pino';
import type { Knex } from '../../platform/db/knex.js';
import type { SecretBox } from '../storage/secret-box.js';
import { createLimiter } from '../../platform/rate-limit/limiter.js';
import type { Limiter } from '../../platform/rate-limit/limiter.js';
import { createAdapterFactory, takeOnce } from './adapter.js';
import { providerConfiguration } from './configuration.js';
import { refreshGrace } from './refresh-grace.js';
import { countClientAuthFailures, gateClientLookups } from './client-auth-limit.js';
import { limitRegistrations } from './registration-limit.js';
import { offlineAccessAsksConsent } from './offline-access.js';
import { systemResolver } from './public-urls.js';
import type { HostResolver } from './public-urls.js';
import { currentAccessKid, keySetFingerprint, listKeys, loadSigningKeys } from './keys.js';
import { observeProvider } from './events.js';
import { jwtIntrospectionIsInactive } from './introspection-jwt.js';
import type { ProviderCounters } from './events.js';

export interface ProviderHostOptions {
  readonly issuer: string;
  readonly db: Knex;
  readonly box: SecretBox;
  readonly cookieKeys: readonly string[];
  readonly accessTokenTtlSeconds: number;
  /** Serve clients from memory until storage says they changed (see client-cache.ts). */
  readonly cacheClients: boolean;
  readonly logger: Logger;
  readonly counters: ProviderCounters;
  /** The settings the provider's policies read (TTLs, grace windows, limits). */
  readonly config: AuthConfig;
  /** Where rate-limit counters live (memory, or Redis shared by every instance). */
  readonly limiterStore: LimiterStore;
  /** Resolves a signed-in user's account; the CLI, which has no users, leaves it out. */
  readonly findAccount?: FindAccount;
  /** Adds the end-user half of the configuration (see ProviderSettings.configure). */
  readonly configure?: (base: Configuration) => Configuration;
  /** Resolves host names of registration metadata (tests answer without DNS); default: system. */
  readonly resolveHost?: HostResolver;
}

/** The rate limits the provider enforces, shared by every provider a host builds. */
interface ProviderLimits {
  readonly clientAuthFailures: Limiter;
  readonly registrations: Limiter;
}

/**
 * Holds the running oidc-provider and swaps in a new one when the key set changes, because the
 * library reads its keys once at construction. Grants, sessions and cookie keys live in storage,
 * so a swap is invisible to clients; requests already inside the old instance finish there.
 */
export interface ProviderHost {
  readonly provider: Provider;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Rebuilds the provider if keys were rotated or retired; true when it did. */
  refresh(): Promise<boolean>;
}

export async function createProviderHost(options: ProviderHostOptions): Promise<ProviderHost> {
  const issuer = new URL(options.issuer);
  const limits = providerLimits(options);
  // One adapter factory for every rebuilt provider, so the client cache survives a rotation.
  const adapter = gatedAdapterFactory(options, limits.clientAuthFailures);
  let state = await build(options, adapter, limits);

  return {
    get provider() {
      return state.provider;
    },
    handle(req, res) {
      pinToIssuer(req, issuer);
      return state.callback(req, res);
    },
    async refresh() {
      const fingerprint = keySetFingerprint(await listKeys(options.db));
      if (fingerprint === state.fingerprint) {
        return false;
      }
      state = await build(options, adapter, limits);
      options.logger.info({ keys: state.fingerprint }, 'signing keys changed; provider rebuilt');
      return true;
    },
  };
}

function providerLimits(options: ProviderHostOptions): ProviderLimits {
  const store = options.limiterStore;
  return {
    clientAuthFailures: createLimiter({
      name: 'client-auth-failures',
      points: options.config.clientAuthMaxFailures,
      durationSeconds: 60,
      store,
    }),
    registrations: createLimiter({
      name: 'registrations',
      points: options.config.registrationsPerIpHour,
      durationSeconds: 3600,
      store,
    }),
  };
}

function gatedAdapterFactory(options: ProviderHostOptions, clientAuthFailures: Limiter) {
  const factory = createAdapterFactory(options.db, options.box, {
    cacheClients: options.cacheClients,
    refreshGrace: refreshGrace(options.config.refreshGraceSeconds),
  });
  return (model: string): Adapter =>
    model === 'Client' ? gateClientLookups(factory(model), clientAuthFailures) : factory(model);
}

async function build(
  options: ProviderHostOptions,
  adapter: (model: string) => Adapter,
  limits: ProviderLimits,
) {
  const keys = await listKeys(options.db);
  const provider = new Provider(
    options.issuer,
    providerConfiguration({
      adapter,
      signingKeys: await loadSigningKeys(options.db, options.box),
      signingKid: await currentAccessKid(options.db),
      cookieKeys: options.cookieKeys,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: options.config.refreshTokenTtlSeconds,
      resolveHost: options.resolveHost ?? systemResolver,
      claimInitialAccessToken: (id) => takeOnce(options.db, 'InitialAccessToken', id),
      findAccount: options.findAccount,
      configure: options.configure,
    }),
  );
  // Proxy mode reads the X-Forwarded-* values that pinToIssuer sets from the issuer.
  provider.proxy = true;
  provider.use(jwtIntrospectionIsInactive);
  provider.use(offlineAccessAsksConsent(provider.pathFor('authorization')));
  provider.use(countClientAuthFailures(limits.clientAuthFailures));
  provider.use(limitRegistrations(provider.pathFor('registration'), limits.registrations));
  observeProvider(provider, options.logger, options.counters);
  const callback = provider.callback() as (
    req: IncomingMessage,
    res: ServerResponse,
  ) => Promise<void>;
  return { provider, callback, fingerprint: keySetFingerprint(keys) };
}

/**
 * Every URL the provider builds derives from the configured issuer, never from what the client
 * sent in Host or X-Forwarded-*; the peer address is the socket's own.
 */
function pinToIssuer(req: IncomingMessage, issuer: URL): void {
  req.headers['x-forwarded-host'] = issuer.host;
  req.headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
  req.headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  delete req.headers['forwarded'];
}
