import type { Knex, Migration } from '../../../platform/db/knex.js';

/** The users service's schema, applied in order at start and by the admin command. */
export const usersMigrations: readonly Migration[] = [
  {
    name: '001_users_and_follows',
    async up(db: Knex) {
      await db.schema.createTable('users', (t) => {
        t.string('id', 64).primary();
        t.string('handle', 15).notNullable();
        // Handles are unique regardless of case: the index, not a read-then-write, decides.
        t.string('handle_lower', 15).notNullable().unique();
        t.string('display_name', 200).notNullable();
        t.text('password_hash').notNullable();
        t.bigInteger('created_at').notNullable();
        // Kept in step with `follows` inside the follow/unfollow transaction, so reads never count.
        t.integer('followers_count').notNullable().defaultTo(0);
        t.integer('following_count').notNullable().defaultTo(0);
      });
      await db.schema.createTable('follows', (t) => {
        t.string('follower_id', 64).notNullable().references('id').inTable('users');
        t.string('followee_id', 64).notNullable().references('id').inTable('users');
        t.bigInteger('created_at').notNullable();
        t.primary(['follower_id', 'followee_id']);
        // One index per list direction, in the order the pages are read (newest first).
        t.index(['follower_id', 'created_at', 'followee_id'], 'follows_by_follower');
        t.index(['followee_id', 'created_at', 'follower_id'], 'follows_by_followee');
      });
    },
  },
];
