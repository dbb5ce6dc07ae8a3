// `npm run db:migration:new -- <name>`: writes the SQL that takes the migrations folder to
// schema.prisma as a new migration (replayed on a throwaway shadow database, so the target
// database's contents do not matter).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/env.ts';
import { ensureDatabase } from './ensure-database.ts';
import { diffMigrationsToSchema, migrationsDir } from './schema-engine.ts';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:migration:new -- <name_in_snake_case>');
  process.exit(2);
}
const config = loadConfig();
await ensureDatabase(config.DATABASE_URL);
const sql = await diffMigrationsToSchema(config.DATABASE_URL);
if (!sql) {
  console.log('schema.prisma matches the migrations; nothing to write');
} else {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'migration.sql'), sql);
  console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
}
