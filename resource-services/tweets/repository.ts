import type { Knex } from '../../platform/db/knex.js';
import type { SqliteReader } from '../../platform/db/sqlite-reader.js';
import { timeOfId } from './ids.js';

/** A stored tweet. */
export interface TweetRecord {
  readonly id: string;
  readonly authorId: string;
  readonly text: string;
  readonly createdAt: Date;
}

/** The first response to a request sent with an `Idempotency-Key`, kept to replay it. */
export interface StoredResponse {
  readonly requestHash: string;
  readonly status: number;
  /** The JSON body, parsed. */
  readonly body: unknown;
  /** Milliseconds since the Unix epoch. */
  readonly createdAtMs: number;
}

/** What an `Idempotency-Key` stores beside the tweet it created. */
export interface NewIdempotencyRecord extends Omit<StoredResponse, 'body'> {
  readonly key: string;
  readonly body: unknown;
}

/** How an insert ended: stored, or refused because the tweet id or the key is already taken. */
export type InsertOutcome = 'inserted' | 'id-taken' | 'key-taken';

/** A page position: rows strictly older than `before`, at most `limit` of them. */
export interface PageQuery {
  readonly before?: string | undefined;
  readonly limit: number;
}

/** The tweets service's storage; the only module that speaks SQL. */
export interface TweetsRepository {
  /**
   * Inserts a tweet and, when given, the idempotency record of its response, in one transaction:
   * both are stored or neither is.
   */
  insert(tweet: TweetRecord, idempotency?: NewIdempotencyRecord): Promise<InsertOutcome>;
  findResponse(authorId: string, key: string): Promise<StoredResponse | undefined>;
  /** Deletes one stored response if it was created before `cutoffMs`; says whether it did. */
  deleteResponseIfOlder(authorId: string, key: string, cutoffMs: number): Promise<boolean>;
  /** Deletes every stored response created before `cutoffMs`; returns how many. */
  purgeResponsesBefore(cutoffMs: number): Promise<number>;
  findById(id: string): Promise<TweetRecord | undefined>;
  exists(id: string): Promise<boolean>;
  /** Deletes the tweet if `authorId` wrote it; says whether a row went. */
  deleteOwn(id: string, authorId: string): Promise<boolean>;
  /** An author's tweets, newest first. */
  listByAuthor(authorId: string, page: PageQuery): Promise<TweetRecord[]>;
  /** The newest tweets of any of `authorIds`, newest first: one range scan of (author_id, id). */
  listByAuthors(authorIds: readonly string[], page: PageQuery): Promise<TweetRecord[]>;
}

/**
 * The repository over a migrated database (SQLite or PostgreSQL). With a SQLite `reader`, the
 * hottest read (one tweet by id) skips knex.
 */
export function createTweetsRepository(db: Knex, reader?: SqliteReader): TweetsRepository {
  return {
    insert: (tweet, idempotency) =>
      idempotency === undefined ? insertTweet(db, tweet) : insertWithKey(db, tweet, idempotency),

    async findResponse(authorId, key) {
      const row = await db<IdempotencyRow>('idempotency_keys')
        .where({ author_id: authorId, key })
        .first();
      return row === undefined ? undefined : toStoredResponse(row);
    },

    async deleteResponseIfOlder(authorId, key, cutoffMs) {
      const deleted = await db('idempotency_keys')
        .where({ author_id: authorId, key })
        .andWhere('created_at', '<', cutoffMs)
        .delete();
      return deleted > 0;
    },

    purgeResponsesBefore: (cutoffMs) =>
      db('idempotency_keys').where('created_at', '<', cutoffMs).delete(),

    async findById(id) {
      const row =
        reader === undefined
          ? await db('tweets').first<TweetRow | undefined>(COLUMNS).where({ id })
          : reader.get<TweetRow>(FIND_BY_ID, id);
      return row === undefined ? undefined : toRecord(row);
    },

    async exists(id) {
      const row = await db('tweets').select('id').where({ id }).first<{ id: string } | undefined>();
      return row !== undefined;
    },

    async deleteOwn(id, authorId) {
      return (await db('tweets').where({ id, author_id: authorId }).delete()) > 0;
    },

    async listByAuthor(authorId, page) {
      const rows = await newestFirst(db, page).where('author_id', authorId);
      return rows.map(toRecord);
    },

    async listByAuthors(authorIds, page) {
      const rows = await newestFirst(db, page).whereIn('author_id', authorIds);
      return rows.map(toRecord);
    },
  };
}

interface TweetRow {
  id: string;
  author_id: string;
  text: string;
}

interface IdempotencyRow {
  author_id: string;
  key: string;
  request_hash: string;
  status: number;
  body: string;
  // PostgreSQL's driver returns bigint columns as strings.
  created_at: number | string;
}

const COLUMNS = ['id', 'author_id', 'text'];
const FIND_BY_ID = 'SELECT id, author_id, text FROM tweets WHERE id = ?';

/** Thrown inside a transaction to roll it back when the tweet id turns out to be taken. */
class IdTaken extends Error {}

async function insertTweet(db: Knex, tweet: TweetRecord): Promise<InsertOutcome> {
  const inserted = await db('tweets')
    .insert(toRow(tweet))
    .onConflict('id')
    .ignore()
    .returning('id');
  return inserted.length > 0 ? 'inserted' : 'id-taken';
}

/**
 * The key goes in first: a key already used is the likelier conflict, and finding it first
 * writes nothing. A concurrent request with the same key waits on the (author_id, key) unique
 * index, then sees the winner's row and stores nothing.
 */
async function insertWithKey(
  db: Knex,
  tweet: TweetRecord,
  idempotency: NewIdempotencyRecord,
): Promise<InsertOutcome> {
  try {
    return await db.transaction(async (trx) => {
      const keyRows = await trx('idempotency_keys')
        .insert(toIdempotencyRow(tweet.authorId, idempotency))
        .onConflict(['author_id', 'key'])
        .ignore()
        .returning('key');
      if (keyRows.length === 0) {
        return 'key-taken';
      }
      if ((await insertTweet(trx, tweet)) === 'id-taken') {
        throw new IdTaken();
      }
      return 'inserted';
    });
  } catch (e) {
    if (e instanceof IdTaken) {
      return 'id-taken';
    }
    throw e;
  }
}

function newestFirst(db: Knex, page: PageQuery) {
  const query = db<TweetRow>('tweets')
    .select<TweetRow[]>(COLUMNS)
    .orderBy('id', 'desc')
    .limit(page.limit);
  return page.before === undefined ? query : query.where('id', '<', page.before);
}

function toRow(tweet: TweetRecord): TweetRow {
  return { id: tweet.id, author_id: tweet.authorId, text: tweet.text };
}

function toRecord(row: TweetRow): TweetRecord {
  return { id: row.id, authorId: row.author_id, text: row.text, createdAt: timeOfId(row.id) };
}

function toIdempotencyRow(authorId: string, r: NewIdempotencyRecord): IdempotencyRow {
  return {
    author_id: authorId,
    key: r.key,
    request_hash: r.requestHash,
    status: r.status,
    body: JSON.stringify(r.body),
    created_at: r.createdAtMs,
  };
}

function toStoredResponse(row: IdempotencyRow): StoredResponse {
  return {
    requestHash: row.request_hash,
    status: row.status,
    body: JSON.parse(row.body) as unknown,
    createdAtMs: Number(row.created_at),
  };
}
