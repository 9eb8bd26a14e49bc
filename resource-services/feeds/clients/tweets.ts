import { z } from 'zod';
import type { DependencyPolicyOptions } from '../../../platform/http/policies.js';
import { TweetId } from '../schemas.js';
import { answerOf, contextFields, dependencyClient } from './call.js';
import type { CallContext, DependencyClientOptions } from './call.js';

/**
 * As for users: 300 ms attempts, so that both dependencies fit the request's time budget. The
 * timeline POST gets one attempt (the platform retries only idempotent methods).
 */
export const tweetsPolicyDefaults: Readonly<DependencyPolicyOptions> = Object.freeze({
  timeoutMs: 300,
  maxAttempts: 2,
  initialDelayMs: 20,
  maxDelayMs: 100,
  breakAfter: 5,
  halfOpenAfterMs: 5000,
});

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
export interface TweetsClient {
  /** The newest tweets of the authors, newest first. */
  timeline(query: TimelineQuery, call: CallContext): Promise<Tweet[]>;
  /** Closes idle connections, at shutdown. */
  close(): void;
}

const NAME = 'tweets';

/** Creates the tweets client and its policy; build it once at start-up. */
export function createTweetsClient(options: DependencyClientOptions): TweetsClient {
  const http = dependencyClient(
    {
      name: NAME,
      resource: 'urn:chirp:tweets',
      scope: 'tweets:read',
      policy: tweetsPolicyDefaults,
    },
    options,
  );
  return {
    async timeline(query, call) {
      const res = await http.request<unknown>({
        method: 'POST',
        path: '/internal/timelines',
        body: {
          authorIds: query.authorIds,
          limit: query.limit,
          ...(query.before === undefined ? {} : { before: query.before }),
        },
        ...contextFields(call),
      });
      return answerOf(NAME, res, TimelineAnswer).items.map(({ id, authorId, text, createdAt }) => ({
        id,
        authorId,
        text,
        createdAt,
      }));
    },
    close: () => http.close(),
  };
}
