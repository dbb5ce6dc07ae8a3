import { type DatabaseOptions, type Db, openDatabase } from './database.ts';
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

/** prepareDatabase on a connection of its own, for a process that has none yet (it may not be able to connect before this). */
export async function prepareDatabaseAt(options: DatabaseOptions): Promise<string[]> {
  const database = openDatabase({ ...options, poolSize: 1 });
  try {
    return await prepareDatabase(options.url, database.db);
  } finally {
    await database.close();
  }
}
