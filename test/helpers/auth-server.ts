import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import type { AuthConfig } from '../../config/index.js';
import { startAuthServer } from '../../auth-server/app.js';
import type { RunningAuthServer } from '../../auth-server/app.js';
import { openAdmin } from '../../auth-server/admin/context.js';
import type { AdminContext } from '../../auth-server/admin/context.js';
import { clientsCreate } from '../../auth-server/admin/clients.js';
import type { ClientView, CreateClientInput } from '../../auth-server/admin/clients.js';
import { freePort } from './ports.js';

export interface TestAuthServer {
  readonly issuer: string;
  readonly config: AuthConfig;
  readonly running: RunningAuthServer;
  readonly admin: AdminContext;
  createClient(input: Partial<CreateClientInput>): Promise<ClientView & { client_secret: string }>;
  /** Stops the server; the data folder stays until `cleanup`. */
  stop(): Promise<void>;
  /** Starts a new server on the same data folder and port (a restart). */
  restart(): Promise<TestAuthServer>;
  cleanup(): Promise<void>;
}

/**
 * Starts a real auth server in-process on a free port with its own temporary data folder
 * (SQLite), or on PostgreSQL in `schema` when a database URL is passed in `env`.
 */
export async function startTestAuthServer(
  env: Record<string, string> = {},
  dataDir = mkdtempSync(join(tmpdir(), 'chirp-auth-')),
  schema?: string,
): Promise<TestAuthServer> {
  const port = env['CHIRP_AUTH_PORT'] ?? String(await freePort());
  const config = loadConfig('auth', {
    CHIRP_DATA_DIR: dataDir,
    CHIRP_AUTH_PORT: port,
    CHIRP_AUTH_METRICS_PORT: '0',
    CHIRP_ISSUER: `http://127.0.0.1:${port}`,
    CHIRP_LOG_LEVEL: 'silent',
    ...env,
  });
  const running = await startAuthServer(config, { schema, logger: pino({ level: 'silent' }) });
  const admin = await openAdmin(config, schema);
  const server: TestAuthServer = {
    issuer: config.issuer,
    config,
    running,
    admin,
    async createClient(input) {
      const created = await clientsCreate(admin, { name: 'test client', ...input });
      return { ...created, client_secret: created.client_secret ?? '' };
    },
    async stop() {
      await admin.close();
      await running.stop();
    },
    async restart() {
      return startTestAuthServer({ ...env, CHIRP_AUTH_PORT: port }, dataDir, schema);
    },
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
  return server;
}
