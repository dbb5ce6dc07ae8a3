// `npm run db:migrate`: create the database if needed, apply pending migrations, seed defaults.
import { databaseOptions, loadConfig } from '../config/env.ts';
import { checkServices, startUp } from '../entrypoints/start-up.ts';
import { prepareDatabaseAt } from './prepare-database.ts';

await startUp('db:migrate', async () => {
  const config = loadConfig();
  await checkServices(config, { redis: false, createsDatabase: true });
  const applied = await prepareDatabaseAt(databaseOptions(config));
  console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date');
});
