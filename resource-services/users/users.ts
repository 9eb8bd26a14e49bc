import { randomBytes } from 'node:crypto';
import { ProblemError } from '../../platform/errors.js';
import { invalidInput } from '../../platform/middleware/validate.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import type {
  FollowDirection,
  FollowEntry,
  PageRequest,
  UserRecord,
  UsersRepository,
} from './repository.js';
import { HANDLE_PATTERN } from '../../config/handles.js';
import type { CreateUserInput } from './schemas.js';

/** Most ids `followingIds` returns: feeds composes a timeline from at most this many. */
export const MAX_FOLLOWING_IDS = 5000;

/** The users service's use cases; no HTTP here, errors are ProblemErrors the edge renders. */
export type Users = ReturnType<typeof createUsers>;

/** A page of a follow list, plus whether another page follows it. */
export interface FollowPage {
  readonly entries: readonly FollowEntry[];
  readonly hasMore: boolean;
}

/**
 * Builds the use cases over a repository. `now` is injectable so tests can order follows
 * deterministically.
 */
export function createUsers(repo: UsersRepository, now: () => number = Date.now) {
  // One hash no password matches, checked for unknown handles so they take as long as known ones.
  const unknownHandleHash = dummyHash();
  const existing = async (id: string, what = 'user'): Promise<UserRecord> => {
    const user = await repo.findById(id);
    if (user === undefined) {
      throw ProblemError.notFound(`No ${what} has this id.`);
    }
    return user;
  };
  return {
    /** Creates an account; 409 when the handle is taken in any case, even by a concurrent create. */
    async create(input: CreateUserInput): Promise<UserRecord> {
      const row = {
        id: newUserId(),
        handle: input.handle,
        displayName: input.displayName ?? input.handle,
        passwordHash: await hashPassword(input.password),
        createdAt: now(),
      };
      if (!(await repo.insertUser(row))) {
        throw ProblemError.conflict(`The handle ${input.handle} is taken.`);
      }
      return { ...row, followersCount: 0, followingCount: 0 };
    },

    get: (id: string) => existing(id),

    async getByHandle(handle: string): Promise<UserRecord> {
      const user = await repo.findByHandle(handle);
      if (user === undefined) {
        throw ProblemError.notFound('No user has this handle.');
      }
      return user;
    },

    /** The caller's own account; 404 when the token names a user this service does not know. */
    me: (userId: string) => existing(userId, 'account'),

    /** Idempotent: following again changes nothing. */
    async follow(followerId: string, followeeId: string): Promise<void> {
      if (followerId === followeeId) {
        throw invalidInput([{ field: 'userId', message: 'must not be your own id' }]);
      }
      await existing(followerId, 'account');
      await existing(followeeId);
      await repo.follow(followerId, followeeId, now());
    },

    /** Idempotent: unfollowing someone not followed (or unknown) is not an error. */
    async unfollow(followerId: string, followeeId: string): Promise<void> {
      await repo.unfollow(followerId, followeeId);
    },

    /** One page of who a user follows, or who follows them, newest follow first. */
    async followList(
      userId: string,
      direction: FollowDirection,
      page: PageRequest,
    ): Promise<FollowPage> {
      await existing(userId);
      const entries = await repo.followList(userId, direction, { ...page, limit: page.limit + 1 });
      return { entries: entries.slice(0, page.limit), hasMore: entries.length > page.limit };
    },

    async followingIds(userId: string): Promise<string[]> {
      await existing(userId);
      return repo.followingIds(userId, MAX_FOLLOWING_IDS);
    },

    /** The users among `ids` that exist, in the order asked, each once. */
    async batch(ids: readonly string[]): Promise<UserRecord[]> {
      const unique = [...new Set(ids)];
      const found = new Map((await repo.findByIds(unique)).map((u) => [u.id, u]));
      return unique.flatMap((id) => found.get(id) ?? []);
    },

    /**
     * The user whose handle and password these are, or undefined. An unknown (or malformed)
     * handle still costs one scrypt, so timing does not tell which handles exist.
     */
    async checkPassword(handle: string, password: string): Promise<UserRecord | undefined> {
      const found = HANDLE_PATTERN.test(handle) ? await repo.findCredentials(handle) : undefined;
      if (found === undefined) {
        await verifyPassword(password, unknownHandleHash);
        return undefined;
      }
      return (await verifyPassword(password, found.passwordHash)) ? found.user : undefined;
    },
  };
}

/** 'u_' + 128 random bits: unguessable, and says nothing about how many users exist. */
function newUserId(): string {
  return `u_${randomBytes(16).toString('base64url')}`;
}
