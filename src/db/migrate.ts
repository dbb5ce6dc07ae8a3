// `npm run db:migrate`: create the database if needed, apply pending migrations, seed defaults.
import { loadConfig } from '../config/env.ts';
import { openDatabase } from '../lib/database.ts';
import { prepareDatabase } from './prepare-database.ts';

const config = loadConfig();
const database = openDatabase(config.DATABASE_URL, 1);
try {
  const applied = await prepareDatabase(config.DATABASE_URL, database.db);
  console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date');
} finally {
  await database.close();
}
