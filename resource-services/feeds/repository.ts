import { join } from 'node:path';
import type { FeedsConfig } from '../../config/index.js';
import { openDatabase, pingDatabase } from '../../platform/db/knex.js';
import type { Knex } from '../../platform/db/knex.js';
import { feedsMigrations } from './migrations/index.js';

/** A stored first page of a user's home timeline; `items` is the JSON text of its feed items. */
export interface StoredTimeline {
  readonly userId: string;
  readonly items: string;
  /** Where the page's next page starts, or null when it was the only page. */
  readonly nextBefore: string | null;
  /** Milliseconds since the epoch. */
  readonly composedAt: number;
}

/** The feeds service's storage; the only module that speaks SQL. */
export interface FeedsRepository {
  findTimeline(userId: string): Promise<StoredTimeline | undefined>;
  /** Inserts or replaces the user's row. */
  saveTimeline(timeline: StoredTimeline): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the feeds database (`$dataDir/feeds.sqlite` or PostgreSQL) with migrations applied. */
export async function openFeedsRepository(
  config: Pick<FeedsConfig, 'dataDir' | 'databaseUrl'>,
  schema?: string,
): Promise<FeedsRepository> {
  const { db } = await openDatabase({
    url: config.databaseUrl,
    sqliteFile: join(config.dataDir, 'feeds.sqlite'),
    schema,
    migrations: feedsMigrations,
  });
  return knexFeedsRepository(db);
}

interface TimelineRow {
  user_id: string;
  items: string;
  next_before: string | null;
  // PostgreSQL returns bigint columns as strings.
  composed_at: number | string;
}

function knexFeedsRepository(db: Knex): FeedsRepository {
  return {
    async findTimeline(userId) {
      const row = await db<TimelineRow>('home_timelines').where({ user_id: userId }).first();
      return row === undefined
        ? undefined
        : {
            userId: row.user_id,
            items: row.items,
            nextBefore: row.next_before,
            composedAt: Number(row.composed_at),
          };
    },
    async saveTimeline(t) {
      await db('home_timelines')
        .insert({
          user_id: t.userId,
          items: t.items,
          next_before: t.nextBefore,
          composed_at: t.composedAt,
        })
        .onConflict('user_id')
        .merge();
    },
    ping: () => pingDatabase(db),
    close: () => db.destroy(),
  };
}
