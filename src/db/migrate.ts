// `npm run db:migrate`: create the database if needed, apply pending migrations, seed defaults.
import { loadConfig } from '../config/env.ts';
import { createPrisma } from '../lib/prisma.ts';
import { prepareDatabase } from './prepare-database.ts';

const config = loadConfig();
const db = createPrisma(config.DATABASE_URL, 1);
try {
  const applied = await prepareDatabase(config.DATABASE_URL, db);
  console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date');
} finally {
  await db.$disconnect();
}
