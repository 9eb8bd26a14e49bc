import type { TweetRecord } from './repository.js';

/** A tweet as clients see it (DESIGN.md "Resource APIs"). */
export interface TweetJson {
  readonly id: string;
  readonly authorId: string;
  readonly text: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly createdAt: string;
}

/** A page of an author's tweets. */
export interface TweetPageJson {
  readonly items: readonly TweetJson[];
  readonly nextCursor: string | null;
}

/** The record → public JSON; the only place that decides a tweet's wire shape. */
export function presentTweet(tweet: TweetRecord): TweetJson {
  return {
    id: tweet.id,
    authorId: tweet.authorId,
    text: tweet.text,
    createdAt: tweet.createdAt.toISOString(),
  };
}

/** A page of tweets with the cursor of the next page, or null on the last one. */
export function presentPage(
  tweets: readonly TweetRecord[],
  nextCursor: string | null,
): TweetPageJson {
  return { items: tweets.map(presentTweet), nextCursor };
}
