import { join } from 'node:path';
import type { UsersConfig } from '../../config/index.js';
import { openDatabase, pingDatabase } from '../../platform/db/knex.js';
import type { Knex } from '../../platform/db/knex.js';
import { usersMigrations } from './migrations/index.js';

/** A stored user, without its password hash (only {@link UsersRepository.findCredentials} has it). */
export interface UserRecord {
  readonly id: string;
  readonly handle: string;
  readonly displayName: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly followersCount: number;
  readonly followingCount: number;
}

/** What a new user row holds. */
export interface NewUserRow {
  readonly id: string;
  readonly handle: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly createdAt: number;
}

/** One entry of a follow list: the other user and when the follow happened. */
export interface FollowEntry {
  readonly user: UserRecord;
  readonly followedAt: number;
}

/** A keyset page request: up to `limit` entries strictly after `after` (newest first). */
export interface PageRequest {
  readonly limit: number;
  readonly after?: { readonly t: number; readonly id: string } | undefined;
}

/** Which side of the follow graph a list reads. */
export type FollowDirection = 'following' | 'followers';

/** The users service's storage; the only module that speaks SQL. */
export interface UsersRepository {
  /** Inserts a user; false when the handle is taken in any case (the unique index decides). */
  insertUser(row: NewUserRow): Promise<boolean>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByHandle(handle: string): Promise<UserRecord | undefined>;
  findByIds(ids: readonly string[]): Promise<UserRecord[]>;
  findCredentials(handle: string): Promise<{ user: UserRecord; passwordHash: string } | undefined>;
  /** Adds the edge and both counts in one transaction; false when it already existed. */
  follow(followerId: string, followeeId: string, at: number): Promise<boolean>;
  /** Removes the edge and both counts in one transaction; false when there was none. */
  unfollow(followerId: string, followeeId: string): Promise<boolean>;
  followList(userId: string, direction: FollowDirection, page: PageRequest): Promise<FollowEntry[]>;
  followingIds(userId: string, max: number): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the users database (`$dataDir/users.sqlite` or PostgreSQL) with migrations applied. */
export async function openUsersRepository(
  config: Pick<UsersConfig, 'dataDir' | 'databaseUrl'>,
  schema?: string,
): Promise<{ repo: UsersRepository; applied: string[] }> {
  const { db, applied } = await openDatabase({
    url: config.databaseUrl,
    sqliteFile: join(config.dataDir, 'users.sqlite'),
    schema,
    migrations: usersMigrations,
  });
  return { repo: knexUsersRepository(db), applied };
}

interface UserRow {
  id: string;
  handle: string;
  display_name: string;
  password_hash: string;
  // PostgreSQL returns bigint columns as strings.
  created_at: number | string;
  followers_count: number;
  following_count: number;
}

const USER_COLUMNS = [
  'u.id',
  'u.handle',
  'u.display_name',
  'u.created_at',
  'u.followers_count',
  'u.following_count',
];

/** Each list direction: the column holding the list's owner and the one holding the others. */
const SIDES = {
  following: { owner: 'f.follower_id', other: 'f.followee_id' },
  followers: { owner: 'f.followee_id', other: 'f.follower_id' },
} as const;

function knexUsersRepository(db: Knex): UsersRepository {
  const users = () => db('users as u');
  return {
    async insertUser(row) {
      try {
        await db('users').insert({
          id: row.id,
          handle: row.handle,
          handle_lower: row.handle.toLowerCase(),
          display_name: row.displayName,
          password_hash: row.passwordHash,
          created_at: row.createdAt,
        });
        return true;
      } catch (e) {
        if (isHandleUniqueViolation(e)) {
          return false;
        }
        throw e;
      }
    },
    async findById(id) {
      const row = await users().first<UserRow | undefined>(USER_COLUMNS).where('u.id', id);
      return row === undefined ? undefined : toRecord(row);
    },
    async findByHandle(handle) {
      const row = await users()
        .first<UserRow | undefined>(USER_COLUMNS)
        .where('u.handle_lower', handle.toLowerCase());
      return row === undefined ? undefined : toRecord(row);
    },
    async findByIds(ids) {
      if (ids.length === 0) {
        return [];
      }
      const rows = await users().select<UserRow[]>(USER_COLUMNS).whereIn('u.id', ids);
      return rows.map(toRecord);
    },
    async findCredentials(handle) {
      const row = await users()
        .first<UserRow | undefined>([...USER_COLUMNS, 'u.password_hash'])
        .where('u.handle_lower', handle.toLowerCase());
      return row === undefined
        ? undefined
        : { user: toRecord(row), passwordHash: row.password_hash };
    },
    follow: (followerId, followeeId, at) =>
      db.transaction(async (trx) => {
        const inserted: unknown[] = await trx('follows')
          .insert({ follower_id: followerId, followee_id: followeeId, created_at: at })
          .onConflict(['follower_id', 'followee_id'])
          .ignore()
          .returning('follower_id');
        if (inserted.length === 0) {
          return false;
        }
        await adjustCounts(trx, followerId, followeeId, 1);
        return true;
      }),
    unfollow: (followerId, followeeId) =>
      db.transaction(async (trx) => {
        const deleted = await trx('follows')
          .where({ follower_id: followerId, followee_id: followeeId })
          .delete();
        if (deleted === 0) {
          return false;
        }
        await adjustCounts(trx, followerId, followeeId, -1);
        return true;
      }),
    async followList(userId, direction, page) {
      const side = SIDES[direction];
      const query = db('follows as f')
        .join('users as u', 'u.id', side.other)
        .where(side.owner, userId)
        .select<(UserRow & { followed_at: number | string })[]>([
          ...USER_COLUMNS,
          'f.created_at as followed_at',
        ])
        .orderBy([
          { column: 'f.created_at', order: 'desc' },
          { column: side.other, order: 'desc' },
        ])
        .limit(page.limit);
      if (page.after !== undefined) {
        // A row-value comparison: one index range on both engines, no OR of two conditions.
        query.whereRaw('(f.created_at, ??) < (?, ?)', [side.other, page.after.t, page.after.id]);
      }
      const rows = await query;
      return rows.map((row) => ({ user: toRecord(row), followedAt: Number(row.followed_at) }));
    },
    async followingIds(userId, max) {
      const rows = await db('follows')
        .select<{ followee_id: string }[]>('followee_id')
        .where('follower_id', userId)
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'followee_id', order: 'desc' },
        ])
        .limit(max);
      return rows.map((r) => r.followee_id);
    },
    ping: () => pingDatabase(db),
    close: () => db.destroy(),
  };
}

/**
 * Moves both counters by `delta`. The two rows are always updated in id order, so two opposite
 * follows at once (a→b, b→a) lock them in the same order and cannot deadlock on PostgreSQL.
 */
async function adjustCounts(
  trx: Knex.Transaction,
  followerId: string,
  followeeId: string,
  delta: 1 | -1,
): Promise<void> {
  const updates = [
    { id: followerId, column: 'following_count' },
    { id: followeeId, column: 'followers_count' },
  ].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const u of updates) {
    await trx('users').where('id', u.id).increment(u.column, delta);
  }
}

function toRecord(row: Omit<UserRow, 'password_hash'>): UserRecord {
  return {
    id: row.id,
    handle: row.handle,
    displayName: row.display_name,
    createdAt: Number(row.created_at),
    followersCount: Number(row.followers_count),
    followingCount: Number(row.following_count),
  };
}

/**
 * Whether an insert failed on the case-insensitive handle index: SQLite's constraint error or
 * PostgreSQL's unique_violation (23505), each naming that index, so another unique column's
 * violation is not mistaken for a taken handle.
 */
function isHandleUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) {
    return false;
  }
  const { code, constraint, message } = e as {
    code?: unknown;
    constraint?: unknown;
    message?: unknown;
  };
  if (code === '23505') {
    return constraint === 'users_handle_lower_unique';
  }
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    typeof message === 'string' &&
    message.includes('users.handle_lower')
  );
}
