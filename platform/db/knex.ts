import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';

export type { Knex } from 'knex';

/** A migration: `up` only, since deployments roll forward. */
export interface Migration {
  readonly name: string;
  up(db: Knex): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent, SQLite at `sqliteFile`. */
  readonly url?: string | undefined;
  readonly sqliteFile: string;
  /** PostgreSQL schema to use (created when missing); tests use one per run. */
  readonly schema?: string | undefined;
  readonly migrations: readonly Migration[];
}

/** Opens a component's own database and applies its migrations, naming those it applied. */
export async function openDatabase(
  options: DatabaseOptions,
): Promise<{ db: Knex; applied: string[] }> {
  const db = options.url
    ? await openPostgres(options.url, options.schema)
    : openSqlite(options.sqliteFile);
  try {
    return { db, applied: await migrate(db, options.migrations) };
  } catch (e) {
    await db.destroy();
    throw e;
  }
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(db: Knex, migrations: readonly Migration[]): Promise<string[]> {
  const result = (await db.migrate.latest({
    migrationSource: {
      getMigrations: () => Promise.resolve([...migrations]),
      getMigrationName: (m: Migration) => m.name,
      getMigration: (m: Migration) =>
        Promise.resolve({ up: (db: Knex) => m.up(db), down: () => Promise.resolve() }),
    },
  })) as [number, string[]];
  return result[1];
}

function openSqlite(file: string): Knex {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Created owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
  closeSync(openSync(file, 'a', 0o600));
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      // WAL + NORMAL keeps committed writes across a process crash at a fifth of FULL's cost.
      afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('busy_timeout = 5000');
        conn.pragma('foreign_keys = ON');
        done(null, conn);
      },
    },
  });
}

interface SqliteConnection {
  pragma(source: string): unknown;
}

async function openPostgres(url: string, schema: string | undefined): Promise<Knex> {
  const db = knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: 10 },
    ...(schema ? { searchPath: [schema] } : {}),
  });
  if (schema) {
    await db.raw('create schema if not exists ??', [schema]);
  }
  return db;
}

/** Readiness check: one round trip to the database. */
export async function pingDatabase(db: Knex): Promise<void> {
  await db.raw('select 1');
}
