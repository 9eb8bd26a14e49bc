import { z } from 'zod';
import type { FeedsRepository } from './repository.js';
import { FeedItemJson } from './schemas.js';
import type { FeedItem } from './schemas.js';

/** A first page of a home timeline, as composed. */
export interface TimelinePage {
  readonly items: readonly FeedItem[];
  /** The id the next page starts before, or null when there is no next page. */
  readonly nextBefore: string | null;
}

/** A page read back from the cache, with when it was composed (ms since the epoch). */
export interface CachedTimeline extends TimelinePage {
  readonly composedAt: number;
}

/**
 * The last composed first page of each user's home timeline, served (marked degraded) when
 * users or tweets cannot answer.
 */
export interface TimelineCache {
  /** The user's last page, or undefined when none was composed (or it no longer reads). */
  load(userId: string): Promise<CachedTimeline | undefined>;
  /** Replaces the user's page. */
  save(userId: string, page: TimelinePage): Promise<void>;
}

/** The cache over the feeds database; `now` stamps each saved page. */
export function createTimelineCache(
  repo: FeedsRepository,
  now: () => number = Date.now,
): TimelineCache {
  return {
    async load(userId) {
      const stored = await repo.findTimeline(userId);
      if (stored === undefined) {
        return undefined;
      }
      const items = parseItems(stored.items);
      return items === undefined
        ? undefined
        : { items, nextBefore: stored.nextBefore, composedAt: stored.composedAt };
    },
    async save(userId, page) {
      await repo.saveTimeline({
        userId,
        items: JSON.stringify(page.items),
        nextBefore: page.nextBefore,
        composedAt: now(),
      });
    },
  };
}

const StoredItems = z.array(FeedItemJson);

/**
 * Rows written by an older version may not have today's shape; such a page is treated as absent
 * rather than served in a shape the API does not promise.
 */
function parseItems(text: string): FeedItem[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = StoredItems.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
