import type { Knex, Migration } from '../../platform/db/knex.js';

/** The auth server's schema, applied in order at start and by `chirp migrate`. */
export const authMigrations: readonly Migration[] = [
  {
    name: '001_oidc_payloads',
    async up(db: Knex) {
      // One table for every oidc-provider model, keyed by (model, id); the indexes serve
      // revokeByGrantId, findByUid, findByUserCode and the expiry purge.
      await db.schema.createTable('oidc_payloads', (t) => {
        t.string('model', 64).notNullable();
        t.string('id', 255).notNullable();
        t.text('payload').notNullable();
        t.string('grant_id', 255).nullable().index();
        t.string('user_code', 255).nullable().index();
        t.string('uid', 255).nullable().index();
        t.bigInteger('expires_at').nullable().index();
        t.bigInteger('consumed_at').nullable();
        t.primary(['model', 'id']);
      });
    },
  },
  {
    name: '002_signing_keys',
    async up(db: Knex) {
      await db.schema.createTable('signing_keys', (t) => {
        t.string('kid', 128).primary();
        t.string('purpose', 16).notNullable();
        t.string('alg', 16).notNullable();
        t.string('state', 16).notNullable();
        t.text('private_jwk').notNullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('retire_after').nullable();
      });
      await db.schema.createTable('secrets', (t) => {
        t.string('name', 64).primary();
        t.text('value').notNullable();
        t.bigInteger('created_at').notNullable();
      });
    },
  },
  {
    name: '003_change_counters',
    async up(db: Knex) {
      // Bumped on every client write, so every instance can drop its cached clients cheaply.
      await db.schema.createTable('change_counters', (t) => {
        t.string('name', 64).primary();
        t.bigInteger('value').notNullable();
      });
      await db('change_counters').insert({ name: 'clients', value: 0 });
    },
  },
  {
    name: '004_consumed_at_milliseconds',
    async up(db: Knex) {
      // consumed_at was epoch seconds; a refresh token's grace window needs milliseconds.
      await db('oidc_payloads')
        .whereNotNull('consumed_at')
        .update({ consumed_at: db.raw('consumed_at * 1000') });
    },
  },
  {
    name: '005_account_id',
    async up(db: Knex) {
      // The connected-apps page and remembered consent look grants up by account: an indexed
      // column instead of reading every Grant's JSON.
      await db.schema.alterTable('oidc_payloads', (t) => {
        t.string('account_id', 255).nullable();
        t.index(['account_id', 'model']);
      });
      const rows = await db<{ id: string; payload: string; model: string }>('oidc_payloads')
        .select('id', 'payload')
        .where({ model: 'Grant' });
      for (const row of rows) {
        const { accountId } = JSON.parse(row.payload) as { accountId?: unknown };
        if (typeof accountId === 'string') {
          await db('oidc_payloads')
            .where({ model: 'Grant', id: row.id })
            .update({ account_id: accountId });
        }
      }
    },
  },
];
