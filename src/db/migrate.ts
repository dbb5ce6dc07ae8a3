// `npm run db:migrate`: create the database if needed, apply pending migrations, seed defaults.
import { databaseOptions, loadConfig } from '../config/env.ts';
import { prepareDatabaseAt } from './prepare-database.ts';

const applied = await prepareDatabaseAt(databaseOptions(loadConfig()));
console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date');
