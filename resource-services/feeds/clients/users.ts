import { z } from 'zod';
import type { DependencyPolicyOptions } from '../../../platform/http/policies.js';
import { answerOf, contextFields, dependencyClient } from './call.js';
import type { CallContext, DependencyClientOptions } from './call.js';

/**
 * Short attempts, so that both dependencies fit the request's time budget (900 ms by default):
 * two attempts of 300 ms for the idempotent GET, one for the POST.
 */
export const usersPolicyDefaults: Readonly<DependencyPolicyOptions> = Object.freeze({
  timeoutMs: 300,
  maxAttempts: 2,
  initialDelayMs: 20,
  maxDelayMs: 100,
  breakAfter: 5,
  halfOpenAfterMs: 5000,
});

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
export interface UsersClient {
  /** Ids of everyone `userId` follows; undefined when users does not know `userId`. */
  followingIds(userId: string, call: CallContext): Promise<string[] | undefined>;
  /** The users among `ids` that exist (at most 500 ids). */
  authors(ids: readonly string[], call: CallContext): Promise<Author[]>;
  /** Closes idle connections, at shutdown. */
  close(): void;
}

const NAME = 'users';

/** Creates the users client and its policy; build it once at start-up. */
export function createUsersClient(options: DependencyClientOptions): UsersClient {
  const http = dependencyClient(
    { name: NAME, resource: 'urn:chirp:users', scope: 'users:read', policy: usersPolicyDefaults },
    options,
  );
  return {
    async followingIds(userId, call) {
      const res = await http.request<unknown>({
        method: 'GET',
        path: `/internal/users/${encodeURIComponent(userId)}/following-ids`,
        ...contextFields(call),
      });
      if (res.status === 404) {
        return undefined;
      }
      // Copied: a schema's output is mutable, and callers must not change what we parsed.
      return [...answerOf(NAME, res, FollowingIdsAnswer).ids];
    },
    async authors(ids, call) {
      const res = await http.request<unknown>({
        method: 'POST',
        path: '/internal/users/batch',
        body: { ids },
        ...contextFields(call),
      });
      return answerOf(NAME, res, BatchAnswer).items.map(({ id, handle, displayName }) => ({
        id,
        handle,
        displayName,
      }));
    },
    close: () => http.close(),
  };
}
