import { join } from 'node:path';
import type { TweetsConfig } from '../../config/index.js';
import { openDatabase } from '../../platform/db/knex.js';
import type { Knex } from '../../platform/db/knex.js';
import { tweetsMigrations } from './migrations/index.js';

/**
 * Opens the tweets service's own database, migrated: PostgreSQL at `databaseUrl` when set,
 * otherwise SQLite at `$dataDir/tweets.sqlite`. Shared by the service and `chirp migrate`.
 */
export function openTweetsDatabase(
  config: TweetsConfig,
  schema?: string,
): Promise<{ db: Knex; applied: string[] }> {
  return openDatabase({
    url: config.databaseUrl,
    sqliteFile: join(config.dataDir, 'tweets.sqlite'),
    schema,
    migrations: tweetsMigrations,
  });
}
