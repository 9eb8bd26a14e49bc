import { encodeCursor } from '../../platform/db/cursor.js';
import type { UserRecord } from './repository.js';
import type { UserJson, UserPageJson } from './schemas.js';
import type { FollowPage } from './users.js';

/** A stored user as the API shows it: no password hash, no internal columns, ISO 8601 time. */
export function presentUser(user: UserRecord): UserJson {
  return {
    id: user.id,
    handle: user.handle,
    displayName: user.displayName,
    createdAt: new Date(user.createdAt).toISOString(),
    followersCount: user.followersCount,
    followingCount: user.followingCount,
  };
}

/** A page of a follow list; the cursor resumes after its last entry. */
export function presentFollowPage(page: FollowPage): UserPageJson {
  const last = page.entries.at(-1);
  return {
    items: page.entries.map((e) => presentUser(e.user)),
    nextCursor:
      page.hasMore && last !== undefined
        ? encodeCursor({ t: last.followedAt, id: last.user.id })
        : null,
  };
}
