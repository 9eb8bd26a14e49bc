import { createServer } from 'node:http';
import { once } from 'node:events';
import { pino } from 'pino';
import type { FindAccount } from 'oidc-provider';
import { loadConfig } from '../../config/index.js';
import type { AuthConfig } from '../../config/index.js';
import { openAuthStorage } from '../../auth-server/storage/open.js';
import { loadCookieKeys } from '../../auth-server/storage/cookie-keys.js';
import { ensureKeys } from '../../auth-server/provider/keys.js';
import { createProviderHost } from '../../auth-server/provider/provider-host.js';
import type { ProviderHost } from '../../auth-server/provider/provider-host.js';
import type { HostResolver } from '../../auth-server/provider/public-urls.js';
import { providerCounters } from '../../auth-server/provider/events.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import { openAdmin } from '../../auth-server/admin/context.js';
import type { AdminContext } from '../../auth-server/admin/context.js';
import { clientsCreate } from '../../auth-server/admin/clients.js';
import type { ClientView, CreateClientInput } from '../../auth-server/admin/clients.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { freePort } from '../helpers/ports.js';

/**
 * The provider exactly as the auth server configures it (provider-host.ts), served over real
 * HTTP, with what the protocol tests need to control: every account id is a signed-in user
 * (the interaction pages and the users service are not part of these tests), host names
 * resolve from a table instead of DNS, and settings come from `env`.
 */
export interface ProtocolServer {
  readonly issuer: string;
  readonly config: AuthConfig;
  readonly host: ProviderHost;
  readonly admin: AdminContext;
  createClient(input: Partial<CreateClientInput>): Promise<ClientView & { client_secret: string }>;
  close(): Promise<void>;
}

export interface ProtocolServerOptions {
  readonly env?: Record<string, string>;
  /** Host name → addresses; a name not listed does not resolve. */
  readonly hosts?: Readonly<Record<string, readonly string[]>>;
  /** PostgreSQL: CHIRP_AUTH_DATABASE_URL in env and a schema of its own. */
  readonly schema?: string;
}

export async function startProtocolServer(
  options: ProtocolServerOptions = {},
): Promise<ProtocolServer> {
  const dir = await createTempDir('protocol');
  const port = await freePort();
  const config = loadConfig('auth', {
    CHIRP_DATA_DIR: dir.path,
    CHIRP_AUTH_PORT: String(port),
    CHIRP_ISSUER: `http://127.0.0.1:${port}`,
    CHIRP_LOG_LEVEL: 'silent',
    ...options.env,
  });
  const { host, db } = await openHost(config, options);
  const server = createServer((req, res) => void host.handle(req, res));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const admin = await openAdmin(config, options.schema);
  return {
    issuer: config.issuer,
    config,
    host,
    admin,
    async createClient(input) {
      const created = await clientsCreate(admin, { name: 'test app', ...input });
      return { ...created, client_secret: created.client_secret ?? '' };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await admin.close();
      await db.destroy();
      await dir.remove();
    },
  };
}

/** Trusts any account id: these tests are about the protocol, not about who signs in. */
const anyAccount: FindAccount = (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) });

async function openHost(config: AuthConfig, options: ProtocolServerOptions) {
  const { db, box } = await openAuthStorage(config, options.schema);
  await ensureKeys(db, box);
  const hosts = options.hosts ?? {};
  const resolveHost: HostResolver = (name) => {
    const found = hosts[name];
    return found ? Promise.resolve(found) : Promise.reject(new Error(`ENOTFOUND ${name}`));
  };
  const host = await createProviderHost({
    issuer: config.issuer,
    db,
    box,
    cookieKeys: await loadCookieKeys(db, box),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    cacheClients: true,
    logger: pino({ level: 'silent' }),
    counters: providerCounters(createMetrics('protocol-test')),
    config,
    limiterStore: { kind: 'memory' },
    findAccount: anyAccount,
    resolveHost,
  });
  return { host, db };
}
