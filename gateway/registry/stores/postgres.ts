import { openDatabase } from '../../../platform/db/knex.js';
import type { Migration } from '../../../platform/db/knex.js';
import type { Logger } from '../../../platform/observability/logger.js';
import type { InstanceRecord, NewInstanceRecord, RegistryStore } from './store.js';

export interface PostgresStoreOptions {
  readonly url: string;
  /** Schema to work in (created when missing); tests use one per run. Default: the URL's. */
  readonly schema?: string | undefined;
  /** How often expired rows are deleted, in milliseconds (default 60 s); reads filter them anyway. */
  readonly purgeEveryMs?: number;
  readonly logger: Logger;
}

const TABLE = 'registry_instances';

const migrations: readonly Migration[] = [
  {
    name: '001_registry_instances',
    async up(db) {
      await db.schema.createTable(TABLE, (t) => {
        t.text('name').notNullable();
        t.text('instance_id').notNullable();
        t.text('base_url').notNullable();
        t.text('health_url').notNullable();
        t.text('version').notNullable();
        t.text('openapi_url');
        t.text('owner').notNullable();
        t.bigInteger('registered_at').notNullable();
        t.timestamp('expires_at', { useTz: true }).notNullable();
        t.primary(['name', 'instance_id']);
        t.index(['name', 'expires_at']);
      });
    },
  },
];

interface Row {
  name: string;
  instance_id: string;
  base_url: string;
  health_url: string;
  version: string;
  openapi_url: string | null;
  owner: string;
  registered_at: string | number;
  expires_at: Date;
}

/**
 * The shared store on PostgreSQL, for several gateways. Expiry is an `expires_at` column set
 * from the database's clock (so gateways with skewed clocks agree), filtered on every read and
 * purged on a timer.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<RegistryStore> {
  const { db } = await openDatabase({
    url: options.url,
    schema: options.schema,
    sqliteFile: 'unused-with-postgres',
    migrations,
  });
  const expiresIn = (ttlMs: number) => db.raw(`now() + (? * interval '1 millisecond')`, [ttlMs]);
  const live = (name: string) =>
    db<Row>(TABLE).where('name', name).andWhere('expires_at', '>', db.fn.now());
  const purge = setInterval(() => {
    db<Row>(TABLE)
      .where('expires_at', '<=', db.fn.now())
      .delete()
      .catch((err: unknown) => options.logger.warn({ err }, 'registry purge failed'));
  }, options.purgeEveryMs ?? 60_000);
  purge.unref();
  return {
    async put(record: NewInstanceRecord, ttlMs) {
      const [row] = await db<Row>(TABLE)
        .insert({ ...toRow(record), expires_at: expiresIn(ttlMs) })
        .onConflict(['name', 'instance_id'])
        .merge()
        .returning('*');
      return fromRow(required(row));
    },
    async get(name, instanceId) {
      const row = await live(name).andWhere('instance_id', instanceId).first();
      return row === undefined ? undefined : fromRow(row);
    },
    async touch(name, instanceId, ttlMs) {
      const [row] = await live(name)
        .andWhere('instance_id', instanceId)
        .update({ expires_at: expiresIn(ttlMs) })
        .returning('*');
      return row === undefined ? undefined : fromRow(row);
    },
    async remove(name, instanceId) {
      const deleted = await live(name).andWhere('instance_id', instanceId).delete();
      return deleted > 0;
    },
    async list(name) {
      const rows = await live(name).orderBy([{ column: 'registered_at' }, 'instance_id']);
      return rows.map(fromRow);
    },
    async ping() {
      await db.raw('select 1');
    },
    async close() {
      clearInterval(purge);
      await db.destroy();
    },
  };
}

function toRow(r: NewInstanceRecord): Omit<Row, 'expires_at'> {
  return {
    name: r.name,
    instance_id: r.instanceId,
    base_url: r.baseUrl,
    health_url: r.healthUrl,
    version: r.version,
    openapi_url: r.openapiUrl ?? null,
    owner: r.owner,
    registered_at: r.registeredAt,
  };
}

function fromRow(row: Row): InstanceRecord {
  return {
    name: row.name,
    instanceId: row.instance_id,
    baseUrl: row.base_url,
    healthUrl: row.health_url,
    version: row.version,
    openapiUrl: row.openapi_url ?? undefined,
    owner: row.owner,
    registeredAt: Number(row.registered_at),
    expiresAt: new Date(row.expires_at).getTime(),
  };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) {
    throw new Error('insert returned no row');
  }
  return value;
}
