import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthConfig } from '../../config/index.js';
import { openAdmin } from '../../auth-server/admin/context.js';
import { clientsCreate, clientsShow } from '../../auth-server/admin/clients.js';

export interface DemoClient {
  readonly client_id: string;
  readonly client_secret: string;
}

const FILE = 'demo-client.json';

/**
 * Development only: a service client created on the first start and reused afterwards. Its
 * secret is kept in the data folder (mode 0600) so the launcher can print it again.
 */
export async function ensureDemoClient(config: AuthConfig): Promise<DemoClient> {
  const file = join(config.dataDir, FILE);
  const admin = await openAdmin(config);
  try {
    const saved = readSaved(file);
    if (saved && (await exists(() => clientsShow(admin, saved.client_id)))) {
      return saved;
    }
    const created = await clientsCreate(admin, {
      name: 'demo service client (development only)',
      scope: 'users:read tweets:read feeds:read',
    });
    const demo = { client_id: created.client_id, client_secret: created.client_secret ?? '' };
    writeFileSync(file, JSON.stringify(demo), { mode: 0o600 });
    return demo;
  } finally {
    await admin.close();
  }
}

function readSaved(file: string): DemoClient | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoClient;
  } catch {
    return undefined;
  }
}

async function exists(find: () => Promise<unknown>): Promise<boolean> {
  try {
    await find();
    return true;
  } catch {
    return false;
  }
}
