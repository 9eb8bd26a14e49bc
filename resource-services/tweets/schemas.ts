import { z } from 'zod';
import { cursorQueryOf, idParam, limitQuery } from '../../platform/middleware/validate.js';
import { TWEET_ID_PATTERN } from './ids.js';

/** DESIGN.md: a tweet is 1–280 Unicode code points after NFC normalisation. */
export const MAX_TWEET_CODE_POINTS = 280;

/** The most authors one timeline request may name. */
export const MAX_TIMELINE_AUTHORS = 5000;

/**
 * Body limit of the internal timeline route: room for 5,000 ids of the longest form (64
 * characters, quoted, comma-separated) and the other fields. The public 64 KiB would hold only
 * about 1,700 of them.
 */
export const TIMELINE_BODY_LIMIT_BYTES = MAX_TIMELINE_AUTHORS * (64 + 3) + 1024;

/** A tweet id: 19 decimal digits. */
export const TweetId = z.string().regex(TWEET_ID_PATTERN, 'must be a tweet id (19 digits)');

/** A user id as other services hand them out (opaque). */
export const UserId = idParam;

/**
 * Tweet text, normalised to NFC before it is counted, so that "é" typed as e + U+0301 counts
 * once and is stored composed. Code points, not UTF-16 units: an emoji counts once.
 */
export const TweetText = z
  .string()
  .transform((text) => text.normalize('NFC'))
  .superRefine((text, ctx) => {
    const problem = textProblem(text);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  })
  .meta({
    description: `1 to ${MAX_TWEET_CODE_POINTS} Unicode code points after NFC normalisation, not only whitespace.`,
  });

/** POST /tweets. Other fields (an `authorId`, say) are ignored: the author is the token's user. */
export const CreateTweetBody = z.object({ text: TweetText });

/** The position inside an author's list: the id of the last tweet of the previous page. */
export const PageCursor = z.object({ before: TweetId });

/** GET /tweets?author=&limit=&cursor= */
export const ListTweetsQuery = z.object({
  author: z.string({ error: 'is required' }).pipe(UserId),
  limit: limitQuery,
  cursor: cursorQueryOf(PageCursor),
});

/** POST /internal/timelines: the newest tweets of a set of authors, for feeds. */
export const TimelineBody = z.object({
  authorIds: z
    .array(UserId)
    .min(1, 'must name at least one author')
    .max(MAX_TIMELINE_AUTHORS, `must name at most ${MAX_TIMELINE_AUTHORS} authors`),
  limit: z
    .number()
    .int('must be an integer from 1 to 100')
    .min(1, 'must be an integer from 1 to 100')
    .max(100, 'must be an integer from 1 to 100')
    .default(20),
  before: TweetId.optional().meta({ description: 'Return only tweets older than this id.' }),
});

/** The input schemas of each route, for validate() and input(). */
export const CreateTweet = { body: CreateTweetBody } as const;
export const ListTweets = { query: ListTweetsQuery } as const;
export const Timeline = { body: TimelineBody } as const;

/** A tweet as the API returns it. */
export const TweetSchema = z.object({
  id: TweetId,
  authorId: z.string(),
  text: z.string().min(1).max(MAX_TWEET_CODE_POINTS),
  createdAt: z.iso.datetime({ precision: 3 }),
});

/** An author's page of tweets. */
export const TweetPageSchema = z.object({
  items: z.array(TweetSchema),
  nextCursor: z.string().nullable(),
});

/** The internal timeline answer. */
export const TimelineSchema = z.object({ items: z.array(TweetSchema) });

// With the u flag a surrogate pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /\p{Surrogate}/u;

function textProblem(text: string): string | undefined {
  if (text.length === 0) {
    return 'must not be empty';
  }
  if (text.trim() === '') {
    return 'must not be only whitespace';
  }
  // JSON can carry both, but neither is text: PostgreSQL refuses NUL, and a lone surrogate has
  // no UTF-8 form (it would be stored as U+FFFD, not as sent).
  if (text.includes('\u0000')) {
    return 'must not contain NUL (U+0000)';
  }
  if (LONE_SURROGATE.test(text)) {
    return 'must be well-formed Unicode (no unpaired surrogates)';
  }
  const codePoints = [...text].length;
  if (codePoints > MAX_TWEET_CODE_POINTS) {
    return `must be at most ${MAX_TWEET_CODE_POINTS} characters (Unicode code points after NFC normalisation), got ${codePoints}`;
  }
  return undefined;
}
