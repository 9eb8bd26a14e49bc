import { createHash } from 'node:crypto';
import { encodeCursor } from '../../platform/db/cursor.js';
import { ProblemError } from '../../platform/errors.js';
import { isTweetId, timeOfId } from './ids.js';
import type { IdGenerator } from './ids.js';
import { presentPage, presentTweet } from './present.js';
import type { TweetJson, TweetPageJson } from './present.js';
import type { PageQuery, TweetRecord, TweetsRepository } from './repository.js';

/** How long an `Idempotency-Key` is remembered (the key's first response is replayed). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** What creating a tweet needs: the author comes from the verified token, never from the body. */
export interface CreateTweetCommand {
  readonly authorId: string;
  /** Already NFC-normalised and checked by schemas.ts. */
  readonly text: string;
  readonly idempotencyKey?: string | undefined;
}

/** The response to send: a new tweet, or the stored first response to the same key. */
export interface CreateTweetResult {
  readonly status: number;
  /** The tweet's JSON, or on a replay the stored body (which was a tweet's JSON). */
  readonly body: unknown;
  readonly replayed: boolean;
}

/** The tweets use cases; no HTTP types here. */
export interface Tweets {
  create(command: CreateTweetCommand): Promise<CreateTweetResult>;
  /** @throws ProblemError 404 for an unknown or malformed id. */
  get(id: string): Promise<TweetJson>;
  /** @throws ProblemError 404 when absent, 403 when `callerId` is not the author. */
  remove(id: string, callerId: string): Promise<void>;
  listByAuthor(authorId: string, page: PageQuery): Promise<TweetPageJson>;
  /** Newest first, merged across `authorIds`. */
  timeline(authorIds: readonly string[], page: PageQuery): Promise<{ items: TweetJson[] }>;
  /** Forgets idempotency keys older than {@link IDEMPOTENCY_KEY_TTL_MS}; returns how many. */
  purgeExpiredKeys(): Promise<number>;
}

export interface TweetsDependencies {
  readonly repository: TweetsRepository;
  readonly ids: IdGenerator;
  /** Milliseconds since the Unix epoch, for key expiry. */
  readonly now: () => number;
}

/** Builds the use cases over a repository and an id generator. */
export function createTweets(deps: TweetsDependencies): Tweets {
  const { repository } = deps;
  return {
    create: (command) => createTweet(deps, command),

    async get(id) {
      const tweet = isTweetId(id) ? await repository.findById(id) : undefined;
      if (tweet === undefined) {
        throw tweetNotFound();
      }
      return presentTweet(tweet);
    },

    async remove(id, callerId) {
      if (!isTweetId(id)) {
        throw tweetNotFound();
      }
      // One statement in the usual case; only a refusal looks again to say which one it is.
      if (await repository.deleteOwn(id, callerId)) {
        return;
      }
      throw (await repository.exists(id)) ? notTheAuthor() : tweetNotFound();
    },

    async listByAuthor(authorId, page) {
      // One row more than the page says whether another page follows.
      const rows = await repository.listByAuthor(authorId, { ...page, limit: page.limit + 1 });
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      const more = rows.length > page.limit && last !== undefined;
      return presentPage(items, more ? encodeCursor({ before: last.id }) : null);
    },

    async timeline(authorIds, page) {
      const rows = await repository.listByAuthors([...new Set(authorIds)], page);
      return { items: rows.map(presentTweet) };
    },

    purgeExpiredKeys: () => repository.purgeResponsesBefore(deps.now() - IDEMPOTENCY_KEY_TTL_MS),
  };
}

/** A clash of random worker ids between instances is rare; a handful of fresh ids settles it. */
const MAX_ATTEMPTS = 5;

/**
 * Stores a new tweet (with its response, under the key when one was sent) in one transaction, or
 * replays the stored response of the key. Every failed attempt stored nothing, so trying again is
 * safe.
 */
async function createTweet(
  deps: TweetsDependencies,
  command: CreateTweetCommand,
): Promise<CreateTweetResult> {
  const { authorId, text, idempotencyKey: key } = command;
  const requestHash = key === undefined ? '' : hashRequest(text);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const tweet = newTweet(deps.ids.next(), authorId, text);
    const body = presentTweet(tweet);
    const idempotency =
      key === undefined
        ? undefined
        : { key, requestHash, status: 201, body, createdAtMs: deps.now() };
    const outcome = await deps.repository.insert(tweet, idempotency);
    if (outcome === 'inserted') {
      return { status: 201, body, replayed: false };
    }
    if (outcome === 'key-taken' && key !== undefined) {
      const replay = await storedResponse(deps, authorId, key, requestHash);
      if (replay !== undefined) {
        return replay;
      }
    }
  }
  throw new Error(`no tweet stored after ${MAX_ATTEMPTS} attempts (ids or keys kept clashing)`);
}

/**
 * The stored response to replay for a key, or undefined when the key has expired (it is then
 * deleted so the caller's next attempt can take it).
 *
 * @throws ProblemError 422 when the key was used for a different body.
 */
async function storedResponse(
  deps: TweetsDependencies,
  authorId: string,
  key: string,
  requestHash: string,
): Promise<CreateTweetResult | undefined> {
  const stored = await deps.repository.findResponse(authorId, key);
  if (stored === undefined) {
    return undefined;
  }
  const cutoff = deps.now() - IDEMPOTENCY_KEY_TTL_MS;
  if (stored.createdAtMs < cutoff) {
    await deps.repository.deleteResponseIfOlder(authorId, key, cutoff);
    return undefined;
  }
  if (stored.requestHash !== requestHash) {
    throw keyReused();
  }
  return { status: stored.status, body: stored.body, replayed: true };
}

function newTweet(id: string, authorId: string, text: string): TweetRecord {
  return { id, authorId, text, createdAt: timeOfId(id) };
}

/** The request a key stands for: the normalised text is the whole of it (the author is keyed). */
function hashRequest(text: string): string {
  return createHash('sha256').update(JSON.stringify({ text })).digest('base64url');
}

function tweetNotFound(): ProblemError {
  return ProblemError.notFound('No tweet has this id.');
}

function notTheAuthor(): ProblemError {
  return new ProblemError({
    status: 403,
    title: 'Forbidden',
    detail: 'Only the author of a tweet may delete it.',
  });
}

function keyReused(): ProblemError {
  return new ProblemError({
    status: 422,
    title: 'Unprocessable Content',
    detail: 'This Idempotency-Key was already used with a different request body.',
  });
}
