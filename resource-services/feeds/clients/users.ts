import { z } from 'zod';
import { dependencyClient } from './call.js';
import type { CallContext, DependencyClient, DependencyClientOptions } from './call.js';

/** The fields feeds reads of GET /internal/users/{id}/following-ids. */
export const FollowingIdsAnswer = z.object({ ids: z.array(z.string()) });

/** The fields feeds reads of each user in POST /internal/users/batch. */
export const AuthorAnswer = z.object({
  id: z.string(),
  handle: z.string(),
  displayName: z.string(),
});

/** The fields feeds reads of POST /internal/users/batch. */
export const BatchAnswer = z.object({ items: z.array(AuthorAnswer) });

/** An author as feeds shows it. */
export type Author = z.output<typeof AuthorAnswer>;

/** The users service, as feeds uses it. */
export interface UsersClient extends DependencyClient {
  /** Ids of everyone `userId` follows; undefined when users does not know `userId`. */
  followingIds(userId: string, call: CallContext): Promise<string[] | undefined>;
  /** The users among `ids` that exist (at most 500 ids). */
  authors(ids: readonly string[], call: CallContext): Promise<Author[]>;
}

/** feeds calls users with a client_credentials token for users:read. */
const USERS = { name: 'users', resource: 'urn:chirp:users', scope: 'users:read' } as const;

/** Creates the users client and its policy; build it once at start-up. */
export function createUsersClient(options: DependencyClientOptions): UsersClient {
  const users = dependencyClient(USERS, options);
  return {
    async followingIds(userId, call) {
      const res = await users.send(
        { method: 'GET', path: `/internal/users/${encodeURIComponent(userId)}/following-ids` },
        call,
      );
      if (res.status === 404) {
        return undefined;
      }
      // Copied: a schema's output is mutable, and callers must not change what we parsed.
      return [...users.answer(res, FollowingIdsAnswer).ids];
    },
    async authors(ids, call) {
      const res = await users.send(
        { method: 'POST', path: '/internal/users/batch', body: { ids }, readOnly: true },
        call,
      );
      return users.answer(res, BatchAnswer).items.map(({ id, handle, displayName }) => ({
        id,
        handle,
        displayName,
      }));
    },
    close: () => users.close(),
  };
}
