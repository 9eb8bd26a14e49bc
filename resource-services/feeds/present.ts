import { encodeCursor } from '../../platform/db/cursor.js';
import type { FeedItem, HomePageJson } from './schemas.js';
import type { HomePage } from './timeline.js';

/** A timeline page as GET /feeds/home answers it; the cursor resumes before its last tweet. */
export function presentHomePage(page: HomePage): HomePageJson {
  return {
    items: page.items.map(presentFeedItem),
    nextCursor: page.nextBefore === null ? null : encodeCursor({ before: page.nextBefore }),
    degraded: page.degraded,
  };
}

/** Field by field, so that nothing a dependency added reaches our clients. */
function presentFeedItem(item: FeedItem): FeedItem {
  return {
    id: item.id,
    authorId: item.authorId,
    text: item.text,
    createdAt: item.createdAt,
    author: {
      id: item.author.id,
      handle: item.author.handle,
      displayName: item.author.displayName,
    },
  };
}
