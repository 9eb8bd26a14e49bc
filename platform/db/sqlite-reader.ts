import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Knex } from 'knex';

/**
 * Point reads on SQLite without knex: a second, read-only connection to the same file with its
 * statements prepared once. Building and preparing a knex query costs several times the read
 * itself (see README, benchmark); in WAL mode this reader sees every transaction committed
 * through knex before the read starts, so a write answered to a client is visible at once.
 */
export interface SqliteReader {
  /** The first row of `sql` with `params`, or undefined. */
  get<T>(sql: string, ...params: readonly unknown[]): T | undefined;
  close(): void;
}

/** A reader for `db` when it is SQLite on a file; undefined for PostgreSQL. */
export function openSqliteReader(db: Knex): SqliteReader | undefined {
  const file = sqliteFileOf(db);
  if (file === undefined) {
    return undefined;
  }
  const conn = new Database(file, { readonly: true, fileMustExist: true });
  const statements = new Map<string, Statement>();
  const prepared = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = conn.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    get: <T>(sql: string, ...params: readonly unknown[]) =>
      prepared(sql).get(...params) as T | undefined,
    close: () => conn.close(),
  };
}

function sqliteFileOf(db: Knex): string | undefined {
  const { config } = db.client as { config: Knex.Config };
  if (config.client !== 'better-sqlite3') {
    return undefined;
  }
  const connection = config.connection as { filename?: unknown } | undefined;
  return typeof connection?.filename === 'string' ? connection.filename : undefined;
}
