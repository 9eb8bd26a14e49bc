import { join } from 'node:path';
import type { AuthConfig } from '../../config/index.js';
import { openDatabase } from '../../platform/db/knex.js';
import type { Knex } from '../../platform/db/knex.js';
import { authMigrations } from '../migrations/index.js';
import { createSecretBox, loadMasterKey } from './secret-box.js';
import type { SecretBox } from './secret-box.js';

export interface AuthStorage {
  readonly db: Knex;
  readonly box: SecretBox;
  /** Migrations this open applied. */
  readonly applied: readonly string[];
}

/** Opens the auth server's database (migrated) and its secret box; shared by server and CLI. */
export async function openAuthStorage(config: AuthConfig, schema?: string): Promise<AuthStorage> {
  const { db, applied } = await openDatabase({
    url: config.databaseUrl,
    sqliteFile: join(config.dataDir, 'auth.sqlite'),
    schema,
    migrations: authMigrations,
  });
  return { db, applied, box: createSecretBox(loadMasterKey(config.masterKey, config.dataDir)) };
}
