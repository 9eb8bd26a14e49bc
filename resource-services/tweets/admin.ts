import type { TweetsConfig } from '../../config/index.js';
import { openTweetsDatabase } from './database.js';

/** Options of the admin functions; tests pass a PostgreSQL schema. */
export interface TweetsAdminOptions {
  readonly schema?: string;
}

/** `chirp migrate`: applies the tweets service's pending migrations and names them. */
export async function migrateTweets(
  config: TweetsConfig,
  options: TweetsAdminOptions = {},
): Promise<{ applied: string[] }> {
  const { db, applied } = await openTweetsDatabase(config, options.schema);
  await db.destroy();
  return { applied };
}
