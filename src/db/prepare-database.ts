import type { Db } from '../lib/database.ts';
import { ensureDatabase } from './ensure-database.ts';
import { applyMigrations } from './schema-engine.ts';
import { seedDefaults } from './seed.ts';

/** Creates the database if needed, applies pending migrations and seeds the defaults. */
export async function prepareDatabase(databaseUrl: string, db: Db): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const applied = await applyMigrations(databaseUrl);
  await seedDefaults(db);
  return applied;
}
