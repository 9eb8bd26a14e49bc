import type { Provider } from 'oidc-provider';
import { pino } from 'pino';
import type { AuthConfig } from '../../config/index.js';
import { openAuthStorage } from '../storage/open.js';
import type { AuthStorage } from '../storage/open.js';
import { loadCookieKeys } from '../storage/cookie-keys.js';
import { ensureKeys } from '../provider/keys.js';
import { createProviderHost } from '../provider/provider-host.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import { providerCounters } from '../provider/events.js';

/** What admin commands work on: the auth server's storage and a provider to validate clients. */
export interface AdminContext extends AuthStorage {
  readonly config: AuthConfig;
  readonly provider: Provider;
  close(): Promise<void>;
}

export async function openAdmin(config: AuthConfig, schema?: string): Promise<AdminContext> {
  const storage = await openAuthStorage(config, schema);
  await ensureKeys(storage.db, storage.box);
  const host = await createProviderHost({
    issuer: config.issuer,
    db: storage.db,
    box: storage.box,
    cookieKeys: await loadCookieKeys(storage.db, storage.box),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    // The CLI must see what is stored, never a cached copy.
    cacheClients: false,
    logger: pino({ level: 'silent' }),
    counters: providerCounters(createMetrics('cli')),
    config,
    limiterStore: { kind: 'memory' },
  });
  return {
    ...storage,
    config,
    provider: host.provider,
    close: () => storage.db.destroy(),
  };
}
