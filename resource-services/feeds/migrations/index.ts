import type { Knex, Migration } from '../../../platform/db/knex.js';

/** The feeds service's schema: only its cache, since users and tweets own the real data. */
export const feedsMigrations: readonly Migration[] = [
  {
    name: '001_home_timelines',
    async up(db: Knex) {
      await db.schema.createTable('home_timelines', (t) => {
        // One row per user: the last composed first page, replaced on every composition.
        t.string('user_id', 64).primary();
        t.text('items').notNullable();
        t.string('next_before', 64).nullable();
        t.bigInteger('composed_at').notNullable();
      });
    },
  },
];
