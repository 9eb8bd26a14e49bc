import type { Knex, Migration } from '../../../platform/db/knex.js';

/** The tweets service's schema, applied in order at start. */
export const tweetsMigrations: readonly Migration[] = [
  {
    name: '001_tweets',
    async up(db: Knex) {
      const postgres = isPostgres(db);
      await db.schema.createTable('tweets', (t) => {
        // Ids are 19 ASCII digits whose byte order is time order; PostgreSQL's "C" collation
        // compares them as bytes, where a locale collation would be slower for the same order.
        (postgres ? t.specificType('id', 'text collate "C"') : t.text('id')).primary();
        t.text('author_id').notNullable();
        t.text('text').notNullable();
        // The one secondary index: an author's page and the timeline merge are range scans of it.
        // created_at is not stored: it is the millisecond inside the id.
        t.index(['author_id', 'id'], 'tweets_author_id_id');
      });
      await db.schema.createTable('idempotency_keys', (t) => {
        t.text('author_id').notNullable();
        t.text('key').notNullable();
        t.text('request_hash').notNullable();
        t.integer('status').notNullable();
        t.text('body').notNullable();
        t.bigInteger('created_at').notNullable();
        // The unique (author, key) pair lets two racing requests create exactly one tweet.
        t.primary(['author_id', 'key']);
        t.index(['created_at'], 'idempotency_keys_created_at');
      });
    },
  },
];

function isPostgres(db: Knex): boolean {
  // knex types `db.client` as any; it is the Client whose config opened this database.
  const { client } = (db.client as Knex.Client).config;
  return client === 'pg';
}
