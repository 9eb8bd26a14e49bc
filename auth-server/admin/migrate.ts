import { authMigrations } from '../migrations/index.js';
import type { AdminContext } from './context.js';

/** Migrations run whenever storage opens; this reports what that applied and what is in place. */
export function migrateAuth(ctx: AdminContext): Promise<{ applied: string[]; current: string[] }> {
  return Promise.resolve({ applied: [...ctx.applied], current: authMigrations.map((m) => m.name) });
}
