import { z } from 'zod';
import { HANDLE_PATTERN } from '../../config/handles.js';
import { cursorQueryOf, idParam, limitQuery } from '../../platform/middleware/validate.js';

/** Code points, the unit people mean by "characters" (a UTF-16 length counts emoji twice). */
export function codePoints(s: string): number {
  return [...s].length;
}

const lengthIn = (min: number, max: number) => (s: string) => {
  const n = codePoints(s);
  return n >= min && n <= max;
};

/** A handle as a client sends it; its case is kept, its lower-cased form is what is unique. */
export const Handle = z
  .string()
  .regex(HANDLE_PATTERN, 'must be 1 to 15 characters of A-Z, a-z, 0-9 or _')
  .meta({ description: 'Unique regardless of case.', examples: ['ada_l'] });

/** 8–256 characters; never logged, stored only as a scrypt hash. */
export const Password = z
  .string()
  .refine(lengthIn(8, 256), 'must be 8 to 256 characters')
  .meta({ minLength: 8, maxLength: 256, format: 'password', writeOnly: true });

/** 1–50 characters after trimming and NFC normalisation; no control characters. */
export const DisplayName = z
  .string()
  .trim()
  .normalize('NFC')
  .refine(lengthIn(1, 50), 'must be 1 to 50 characters after trimming')
  .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters')
  .meta({ minLength: 1, maxLength: 50, description: 'Trimmed and NFC-normalised.' });

/** Body of POST /users and of the admin command; displayName defaults to the handle. */
export const CreateUserBody = z.strictObject({
  handle: Handle,
  password: Password,
  displayName: DisplayName.optional(),
});
export type CreateUserInput = z.output<typeof CreateUserBody>;

/**
 * Body of POST /internal/password-checks. Any string is checked (a malformed handle is simply
 * not found), so the answer never depends on a format rule; the bounds only cap the work.
 */
export const PasswordCheckBody = z.strictObject({
  handle: z.string().max(256),
  password: z.string().max(1024).meta({ format: 'password', writeOnly: true }),
});

/** Body of POST /internal/users/batch. */
export const BatchBody = z.strictObject({
  ids: z.array(idParam).max(500, 'must list at most 500 ids'),
});

/** Where a follow list resumes: the follow time and the other user's id of the last item. */
export const FollowPosition = z.strictObject({ t: z.number().int().min(0), id: idParam });
export type FollowPosition = z.output<typeof FollowPosition>;

const UserIdParams = z.object({ id: idParam });

/** Per-route input, as validate() takes it. */
export const routeInput = {
  createUser: { body: CreateUserBody },
  userById: { params: UserIdParams },
  userByHandle: { params: z.object({ handle: Handle }) },
  followTarget: { params: z.object({ userId: idParam }) },
  followList: {
    params: UserIdParams,
    query: z.object({ limit: limitQuery, cursor: cursorQueryOf(FollowPosition) }),
  },
  followingIds: { params: UserIdParams },
  batch: { body: BatchBody },
  passwordCheck: { body: PasswordCheckBody },
} as const;

/** A user as every route returns it (DESIGN.md "Resource APIs"). */
export const UserJson = z.strictObject({
  id: z.string(),
  handle: z.string(),
  displayName: z.string(),
  createdAt: z.iso.datetime(),
  followersCount: z.number().int().min(0),
  followingCount: z.number().int().min(0),
});
export type UserJson = z.output<typeof UserJson>;

/** One page of a list of users. */
export const UserPageJson = z.strictObject({
  items: z.array(UserJson),
  nextCursor: z.string().nullable(),
});
export type UserPageJson = z.output<typeof UserPageJson>;

/** Answer of a password check: never says whether the handle exists. */
export const PasswordCheckJson = z.union([
  z.strictObject({ valid: z.literal(true), user: UserJson }),
  z.strictObject({ valid: z.literal(false) }),
]);
export type PasswordCheckJson = z.output<typeof PasswordCheckJson>;

/** Ids of everyone a user follows, for feeds. */
export const FollowingIdsJson = z.strictObject({ ids: z.array(z.string()) });

/** The users of a batch read that exist. */
export const BatchJson = z.strictObject({ items: z.array(UserJson) });
