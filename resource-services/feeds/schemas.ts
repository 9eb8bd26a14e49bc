import { z } from 'zod';
import { cursorQueryOf, limitQuery } from '../../platform/middleware/validate.js';

/** The author shown with each feed item (DESIGN.md: a tweet plus `author`). */
export const AuthorJson = z.strictObject({
  id: z.string(),
  handle: z.string(),
  displayName: z.string(),
});

/** One item of a timeline: a tweet as the tweets service presents it, plus its author. */
export const FeedItemJson = z.strictObject({
  id: z.string(),
  authorId: z.string(),
  text: z.string(),
  createdAt: z.iso.datetime({ precision: 3 }),
  author: AuthorJson,
});
export type FeedItem = z.output<typeof FeedItemJson>;

/** GET /feeds/home: a page, and whether it is the cached page served while a dependency fails. */
export const HomePageJson = z.strictObject({
  items: z.array(FeedItemJson),
  nextCursor: z.string().nullable(),
  degraded: z
    .boolean()
    .meta({ description: 'True when this is the last composed first page, served from cache.' }),
});
export type HomePageJson = z.output<typeof HomePageJson>;

/**
 * A tweet id as the tweets service documents it (19 decimal digits, sorting by time). Checked
 * here so that feeds never sends tweets a `before` its document does not allow.
 */
export const TweetId = z.string().regex(/^[0-9]{19}$/, 'must be a tweet id');

/** Where the next page starts: the id of the last tweet of the previous one. */
export const FeedPosition = z.strictObject({ before: TweetId });

/** Per-route input, as validate() takes it. */
export const routeInput = {
  home: { query: z.object({ limit: limitQuery, cursor: cursorQueryOf(FeedPosition) }) },
} as const;
