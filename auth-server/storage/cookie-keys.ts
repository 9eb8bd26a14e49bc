import { randomBytes } from 'node:crypto';
import type { Knex } from '../../platform/db/knex.js';
import type { SecretBox } from './secret-box.js';

const NAME = 'cookie_keys';

/**
 * The keys that sign the provider's cookies, created once and shared by every instance through
 * the database, so a session cookie set by one instance is accepted by another.
 */
export async function loadCookieKeys(db: Knex, box: SecretBox): Promise<string[]> {
  const fresh = [randomBytes(32).toString('base64url')];
  await db('secrets')
    .insert({ name: NAME, value: box.seal(JSON.stringify(fresh), NAME), created_at: Date.now() })
    .onConflict('name')
    .ignore();
  const row = await db<{ name: string; value: string }>('secrets')
    .where({ name: NAME })
    .first('value');
  if (!row) {
    throw new Error('cookie keys vanished from storage');
  }
  return JSON.parse(box.open(row.value, NAME)) as string[];
}
