import { z } from 'zod';
import { TweetId } from '../schemas.js';
import { dependencyClient } from './call.js';
import type { CallContext, DependencyClient, DependencyClientOptions } from './call.js';

/** The most authors one timeline request may name (tweets' documented limit). */
export const MAX_TIMELINE_AUTHORS = 5000;

/** The most tweets one timeline request may ask for (tweets' documented limit). */
export const MAX_TIMELINE_LIMIT = 100;

/** The fields feeds reads of each tweet in POST /internal/timelines. */
export const TweetAnswer = z.object({
  // Checked as a cursor is, so that every cursor feeds hands out reads back.
  id: TweetId,
  authorId: z.string(),
  text: z.string(),
  createdAt: z.iso.datetime({ precision: 3 }),
});

/** The fields feeds reads of POST /internal/timelines. */
export const TimelineAnswer = z.object({ items: z.array(TweetAnswer) });

/** A tweet as feeds shows it. */
export type Tweet = z.output<typeof TweetAnswer>;

/** What a timeline read asks for. */
export interface TimelineQuery {
  /** 1 to {@link MAX_TIMELINE_AUTHORS} user ids. */
  readonly authorIds: readonly string[];
  /** 1 to {@link MAX_TIMELINE_LIMIT}. */
  readonly limit: number;
  /** Only tweets older than this tweet id. */
  readonly before?: string | undefined;
}

/** The tweets service, as feeds uses it. */
export interface TweetsClient extends DependencyClient {
  /** The newest tweets of the authors, newest first. */
  timeline(query: TimelineQuery, call: CallContext): Promise<Tweet[]>;
}

/** feeds calls tweets with a client_credentials token for tweets:read. */
const TWEETS = { name: 'tweets', resource: 'urn:chirp:tweets', scope: 'tweets:read' } as const;

/** Creates the tweets client and its policy; build it once at start-up. */
export function createTweetsClient(options: DependencyClientOptions): TweetsClient {
  const tweets = dependencyClient(TWEETS, options);
  return {
    async timeline(query, call) {
      const body = {
        authorIds: query.authorIds,
        limit: query.limit,
        ...(query.before === undefined ? {} : { before: query.before }),
      };
      const res = await tweets.send(
        { method: 'POST', path: '/internal/timelines', body, readOnly: true },
        call,
      );
      return tweets.answer(res, TimelineAnswer).items.map(({ id, authorId, text, createdAt }) => ({
        id,
        authorId,
        text,
        createdAt,
      }));
    },
    close: () => tweets.close(),
  };
}
