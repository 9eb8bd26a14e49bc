import type { CallContext } from './clients/call.js';
import type { Author, UsersClient } from './clients/users.js';

/** How long feeds reuses what users told it. */
export interface UsersMemoTtl {
  /** Whom a user follows: a new follow shows in the home timeline within this. */
  readonly followingMs: number;
  /** Authors' handles and display names, which rarely change. */
  readonly authorsMs: number;
}

const MAX_ENTRIES = 50_000;

/**
 * Remembers users' answers briefly. A home timeline costs three calls (following ids, tweets,
 * authors) and the two to users were two thirds of its CPU across the services; a reader who
 * refreshes, and the authors every reader sees, are served from memory instead. Unknown users
 * are not remembered, and 0 turns a part off.
 */
export function memoizedUsers(users: UsersClient, ttl: UsersMemoTtl, now = Date.now): UsersClient {
  const following = new Expiring<string[]>(ttl.followingMs, now);
  const authors = new Expiring<Author>(ttl.authorsMs, now);
  return {
    async followingIds(userId: string, call: CallContext) {
      const hit = following.get(userId);
      if (hit !== undefined) {
        return hit;
      }
      const ids = await users.followingIds(userId, call);
      if (ids !== undefined) {
        following.set(userId, ids);
      }
      return ids;
    },
    async authors(ids: readonly string[], call: CallContext) {
      const known = ids.map((id) => authors.get(id)).filter((a) => a !== undefined);
      const missing = ids.filter((id) => authors.get(id) === undefined);
      if (missing.length === 0) {
        return known;
      }
      const fetched = await users.authors(missing, call);
      fetched.forEach((a) => authors.set(a.id, a));
      return [...known, ...fetched];
    },
    close: () => users.close(),
  };
}

/** A bounded map whose entries expire `ttlMs` after they were set. */
class Expiring<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.until <= this.now()) {
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) {
      return;
    }
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) {
        this.entries.delete(oldest);
      }
    }
  }
}
