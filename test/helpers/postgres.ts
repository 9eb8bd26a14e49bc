import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import knexFactory from 'knex';
import { openDatabase } from '../../platform/db/knex.js';
import type { Knex, Migration } from '../../platform/db/knex.js';
import { createTempDir } from './temp-dir.js';
import type { TempDir } from './temp-dir.js';

/** Printed once by every suite that needs PostgreSQL and is skipped without it. */
export const POSTGRES_SKIP_REASON = 'skipped: set CHIRP_TEST_DATABASE_URL to run on PostgreSQL';

/** The PostgreSQL server tests may use, or undefined when none is configured. */
export function postgresUrl(): string | undefined {
  const url = process.env['CHIRP_TEST_DATABASE_URL'];
  return url === undefined || url === '' ? undefined : url;
}

/** A schema name no other test file or concurrent run uses, e.g. `chirp_test_adapter_1a2b3c4d`. */
export function uniqueSchemaName(label: string): string {
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return `chirp_test_${safe}_${randomBytes(4).toString('hex')}`;
}

/** Drops a schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    await db.raw('drop schema if exists ?? cascade', [schema]);
  } finally {
    await db.destroy();
  }
}

/** The server and the schema a PostgreSQL suite works in. */
export interface PostgresSchema {
  readonly url: string;
  readonly schema: string;
}

/**
 * Mocha hooks for the enclosing `describe`: when CHIRP_TEST_DATABASE_URL is unset, prints
 * {@link POSTGRES_SKIP_REASON} and skips the suite; otherwise names a fresh schema for it and
 * drops that schema (cascade) after its last test. Call it before the suite's own `before` hooks,
 * and read the result only inside tests and hooks.
 */
export function usePostgresSchema(label: string): PostgresSchema {
  let current: PostgresSchema | undefined;
  before(function skipWithoutPostgres() {
    const url = postgresUrl();
    if (url === undefined) {
      console.log(`    ${POSTGRES_SKIP_REASON}`);
      this.skip();
    }
    current = { url, schema: uniqueSchemaName(label) };
  });
  after(async function dropTestSchema() {
    if (current !== undefined) {
      await dropSchema(current.url, current.schema);
      current = undefined;
    }
  });
  return {
    get url(): string {
      return required(current).url;
    },
    get schema(): string {
      return required(current).schema;
    },
  };
}

/** Where a storage suite runs: SQLite always, PostgreSQL when CHIRP_TEST_DATABASE_URL is set. */
export type DatabaseKind = 'SQLite' | 'PostgreSQL';
export const DATABASE_KINDS: readonly DatabaseKind[] = ['SQLite', 'PostgreSQL'];

export interface MigratedDatabaseOptions {
  /** Names the temp folder or schema, e.g. the test file's subject. */
  readonly label: string;
  readonly migrations: readonly Migration[];
  /** Emptied before every test, so each test starts from the freshly migrated state. */
  readonly tables: readonly string[];
}

/**
 * Mocha hooks for the enclosing `describe`: a database of `kind` opened once with `migrations`
 * applied (SQLite in a temp folder, PostgreSQL in a schema of its own, dropped after), with
 * `tables` emptied before each test. Read `.db` only inside tests and hooks.
 */
export function useMigratedDatabase(
  kind: DatabaseKind,
  options: MigratedDatabaseOptions,
): { readonly db: Knex } {
  let dir: TempDir | undefined;
  let db: Knex | undefined;
  // Registered first because mocha runs `after` hooks in order: close the pool, then drop.
  after(async function closeTestDatabase() {
    await db?.destroy();
    await dir?.remove();
    db = undefined;
    dir = undefined;
  });
  const pg = kind === 'PostgreSQL' ? usePostgresSchema(options.label) : undefined;
  before(async function openTestDatabase() {
    if (pg === undefined) {
      dir = await createTempDir(options.label);
    }
    const opened = await openDatabase({
      url: pg?.url,
      schema: pg?.schema,
      sqliteFile: join(dir?.path ?? 'unused-with-postgres', 'test.sqlite'),
      migrations: options.migrations,
    });
    db = opened.db;
  });
  beforeEach(async function emptyTables() {
    for (const table of options.tables) {
      await required(db)(table).delete();
    }
  });
  return {
    get db(): Knex {
      return required(db);
    },
  };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) {
    throw new Error('the test database exists only while its suite runs');
  }
  return value;
}
