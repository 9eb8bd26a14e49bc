import { ProblemError } from '../../platform/errors.js';
import { isDependencyError } from '../../platform/http/errors.js';
import type { DependencyError } from '../../platform/http/errors.js';
import { idParam } from '../../platform/middleware/validate.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { Counter } from '../../platform/observability/metrics.js';
import type { CachedTimeline, TimelineCache, TimelinePage } from './cache.js';
import { withinBudget } from './budget.js';
import type { Step } from './budget.js';
import type { CallContext } from './clients/call.js';
import { MAX_TIMELINE_AUTHORS, MAX_TIMELINE_LIMIT } from './clients/tweets.js';
import type { Tweet, TweetsClient } from './clients/tweets.js';
import type { Author, UsersClient } from './clients/users.js';
import type { FeedItem } from './schemas.js';

/** Which page of whose home timeline. */
export interface HomeQuery {
  /** The caller: the verified token's subject. */
  readonly userId: string;
  /** 1 to 100. */
  readonly limit: number;
  /** From the cursor: only tweets older than this tweet id. Absent for the first page. */
  readonly before?: string | undefined;
}

/** The incoming request, as the timeline needs it: ids to pass on, its deadline, its logger. */
export interface RequestContext {
  readonly requestId: string;
  readonly traceparent: string;
  /** Epoch ms by which users and tweets must have answered. */
  readonly deadline: number;
  /** The request's logger (it carries the request and trace ids). */
  readonly log: Logger;
}

/** A page of a home timeline, and whether it is the cached first page served in degraded mode. */
export interface HomePage extends TimelinePage {
  readonly degraded: boolean;
}

/** The home timeline use case. */
export interface Timeline {
  /**
   * Composes the page from users and tweets; when either fails, answers the cached first page
   * marked degraded.
   *
   * @throws ProblemError 503 with Retry-After when a dependency fails and there is no cached page
   *   to answer with (always so for a page after the first).
   */
  home(query: HomeQuery, context: RequestContext): Promise<HomePage>;
}

/** What the timeline is composed from, and where it reports fallbacks. */
export interface TimelineDeps {
  readonly users: UsersClient;
  readonly tweets: TweetsClient;
  readonly cache: TimelineCache;
  /** Counts answers that were not composed: `outcome` degraded or unavailable, per dependency. */
  readonly fallbacks: Counter<'outcome' | 'dependency'>;
}

/** Seconds a client is told to wait when the failure carries no better estimate. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** Builds the use case. */
export function createTimeline(deps: TimelineDeps): Timeline {
  return {
    async home(query, context) {
      // A subject that cannot be a user id names no user: nobody to follow, nothing posted.
      if (!idParam.safeParse(query.userId).success) {
        return { ...EMPTY, degraded: false };
      }
      let page: TimelinePage | undefined;
      try {
        page = await withinBudget(context, 'users', (call, step) =>
          compose(deps, query, call, step),
        );
      } catch (e) {
        if (!isDependencyError(e)) {
          throw e;
        }
        return fallback(deps, query, e, context.log);
      }
      if (page === undefined) {
        return { ...EMPTY, degraded: false };
      }
      if (query.before === undefined) {
        await saveQuietly(deps.cache, query.userId, page, context.log);
      }
      return { ...page, degraded: false };
    },
  };
}

const EMPTY: TimelinePage = Object.freeze({ items: [], nextBefore: null });

/**
 * Composes one page: whom the user follows, their and the user's newest tweets, then the
 * authors of just those tweets. Undefined when users does not know the user.
 */
async function compose(
  deps: TimelineDeps,
  query: HomeQuery,
  call: CallContext,
  step: Step,
): Promise<TimelinePage | undefined> {
  step.dependency = 'users';
  const following = await deps.users.followingIds(query.userId, call);
  if (following === undefined) {
    return undefined;
  }
  step.dependency = 'tweets';
  // One more than the page says whether another page follows, within what tweets allows.
  const ask = Math.min(query.limit + 1, MAX_TIMELINE_LIMIT);
  const tweets = await deps.tweets.timeline(
    { authorIds: authorIdsOf(query.userId, following), limit: ask, before: query.before },
    call,
  );
  const shown = tweets.slice(0, query.limit);
  // At limit 100 tweets cannot be asked for one more: a full page may be followed by an empty one.
  const more = tweets.length > query.limit || (ask === query.limit && tweets.length === ask);
  step.dependency = 'users';
  const authors = await authorsOf(deps.users, shown, call);
  return {
    items: shown.flatMap((tweet) => withAuthor(tweet, authors)),
    nextBefore: more ? (shown.at(-1)?.id ?? null) : null,
  };
}

/**
 * The user first, then whom they follow (newest follow first), within what tweets accepts: a
 * user following more than 4,999 accounts sees the most recently followed ones.
 */
function authorIdsOf(userId: string, following: readonly string[]): string[] {
  return [...new Set([userId, ...following])].slice(0, MAX_TIMELINE_AUTHORS);
}

async function authorsOf(
  users: UsersClient,
  tweets: readonly Tweet[],
  call: CallContext,
): Promise<Map<string, Author>> {
  const ids = [...new Set(tweets.map((t) => t.authorId))];
  if (ids.length === 0) {
    return new Map();
  }
  return new Map((await users.authors(ids, call)).map((a) => [a.id, a]));
}

/** A tweet whose author users no longer knows cannot be shown with its author, so it is left out. */
function withAuthor(tweet: Tweet, authors: ReadonlyMap<string, Author>): FeedItem[] {
  const author = authors.get(tweet.authorId);
  if (author === undefined) {
    return [];
  }
  const { id, authorId, text, createdAt } = tweet;
  return [{ id, authorId, text, createdAt, author }];
}

/**
 * The cached first page, marked degraded; a 503 when there is none or a later page was asked
 * for (the cache holds first pages only).
 */
async function fallback(
  deps: TimelineDeps,
  query: HomeQuery,
  failure: DependencyError,
  log: Logger,
): Promise<HomePage> {
  const cached =
    query.before === undefined ? await loadQuietly(deps.cache, query.userId, log) : undefined;
  const labels = { dependency: failure.dependency };
  if (cached === undefined) {
    deps.fallbacks.inc({ ...labels, outcome: 'unavailable' });
    throw unavailable(failure);
  }
  deps.fallbacks.inc({ ...labels, outcome: 'degraded' });
  log.warn(
    {
      dependency: failure.dependency,
      kind: failure.kind,
      composedAt: new Date(cached.composedAt).toISOString(),
    },
    `serving the cached home timeline (degraded): ${failure.message}`,
  );
  return { ...firstItems(cached, query.limit), degraded: true };
}

/** The cached page cut to `limit` items; the cut page's next page starts after its last item. */
function firstItems(cached: CachedTimeline, limit: number): TimelinePage {
  if (cached.items.length <= limit) {
    return { items: cached.items, nextBefore: cached.nextBefore };
  }
  const items = cached.items.slice(0, limit);
  return { items, nextBefore: items.at(-1)?.id ?? null };
}

function unavailable(failure: DependencyError): ProblemError {
  const seconds = failure.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  return new ProblemError({
    status: 503,
    title: 'Service Unavailable',
    detail: 'The timeline cannot be composed right now and no earlier one is cached.',
    expose: true,
    headers: { 'Retry-After': String(seconds) },
    cause: failure,
  });
}

/** A cache that cannot be written must not cost the user a timeline that was composed. */
async function saveQuietly(
  cache: TimelineCache,
  userId: string,
  page: TimelinePage,
  log: Logger,
): Promise<void> {
  try {
    await cache.save(userId, page);
  } catch (err) {
    log.error({ err }, 'could not cache the home timeline');
  }
}

/** A cache that cannot be read leaves the 503 as the only answer. */
async function loadQuietly(
  cache: TimelineCache,
  userId: string,
  log: Logger,
): Promise<CachedTimeline | undefined> {
  try {
    return await cache.load(userId);
  } catch (err) {
    log.error({ err }, 'could not read the cached home timeline');
    return undefined;
  }
}
