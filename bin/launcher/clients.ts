import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthConfig } from '../../config/index.js';
import { openAdmin } from '../../auth-server/admin/context.js';
import type { AdminContext } from '../../auth-server/admin/context.js';
import { clientsCreate, clientsShow } from '../../auth-server/admin/clients.js';

/** Credentials of a client the launcher made. */
export interface ClientCredentials {
  readonly client_id: string;
  readonly client_secret: string;
}

/** A client the launcher needs: the demo client, or a service's own client for calls it makes. */
export interface ClientSpec {
  readonly key: string;
  readonly name: string;
  readonly scope: string;
}

const FILE = 'launcher-clients.json';

/**
 * Development only: the clients `npm start` needs, created on the first start and reused after.
 * Their secrets are kept in the data folder (mode 0600) so the launcher can pass them to the
 * services and print the demo one again; a production deployment creates its clients with the
 * CLI and passes them through its secret store.
 */
export async function ensureClients(
  config: AuthConfig,
  specs: readonly ClientSpec[],
): Promise<Record<string, ClientCredentials>> {
  const file = join(config.dataDir, FILE);
  const saved = readSaved(file);
  const admin = await openAdmin(config);
  try {
    const out: Record<string, ClientCredentials> = {};
    for (const spec of specs) {
      out[spec.key] = await ensureOne(admin, saved[spec.key], spec);
    }
    writeFileSync(file, JSON.stringify(out), { mode: 0o600 });
    return out;
  } finally {
    await admin.close();
  }
}

async function ensureOne(
  admin: AdminContext,
  saved: ClientCredentials | undefined,
  spec: ClientSpec,
): Promise<ClientCredentials> {
  if (saved) {
    const existing = await clientsShow(admin, saved.client_id).catch(() => undefined);
    if (existing?.scope === spec.scope) {
      return saved;
    }
  }
  const created = await clientsCreate(admin, { name: spec.name, scope: spec.scope });
  return { client_id: created.client_id, client_secret: created.client_secret ?? '' };
}

function readSaved(file: string): Record<string, ClientCredentials> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, ClientCredentials>;
  } catch {
    return {};
  }
}
