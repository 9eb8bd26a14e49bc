import type { TweetsConfig } from '../../config/index.js';
import { openTweetsDatabase } from './database.js';
import { createIdGenerator, randomWorkerId } from './ids.js';
import { createTweetsRepository } from './repository.js';
import { CreateTweetBody } from './schemas.js';
import { createTweets } from './tweets.js';

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

/**
 * Posts tweets for authors straight into the tweets database, through the same use case and
 * text rules as POST /tweets (the demo data of `npm start -- --demo`; there is no user login
 * to get user tokens from yet). Returns the new tweet ids.
 */
export async function createTweetsAdmin(
  config: TweetsConfig,
  posts: readonly { authorId: string; text: string }[],
  options: TweetsAdminOptions = {},
): Promise<string[]> {
  const { db } = await openTweetsDatabase(config, options.schema);
  try {
    const tweets = createTweets({
      repository: createTweetsRepository(db),
      ids: createIdGenerator({ workerId: config.workerId ?? randomWorkerId() }),
      now: Date.now,
    });
    const ids: string[] = [];
    for (const post of posts) {
      const { text } = CreateTweetBody.parse({ text: post.text });
      const result = await tweets.create({ authorId: post.authorId, text });
      ids.push((result.body as { id: string }).id);
    }
    return ids;
  } finally {
    await db.destroy();
  }
}
