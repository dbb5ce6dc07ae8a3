// Once per test run: find PostgreSQL and Redis (DATABASE_URL / REDIS_URL when set, otherwise
// containers started with testcontainers), then build a template database with every migration
// and the seed applied. Each test file clones the template, so files never share state.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureDatabase } from '../../src/db/ensure-database.ts';
import { applyMigrations } from '../../src/db/schema-engine.ts';
import { seedDefaults } from '../../src/db/seed.ts';
import { openDatabase } from '../../src/lib/database.ts';
import { withDatabase } from './database-url.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    templateDatabase: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<unknown>)[] = [];
  let databaseUrl = process.env.DATABASE_URL;
  let redisUrl = process.env.REDIS_URL;
  if (!databaseUrl) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    stops.push(() => container.stop());
    databaseUrl = container.getConnectionUri();
  }
  if (!redisUrl) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    stops.push(() => container.stop());
    redisUrl = container.getConnectionUrl();
  }

  const templateDatabase = `vgw_template_${randomBytes(4).toString('hex')}`;
  const templateUrl = withDatabase(databaseUrl, templateDatabase);
  await ensureDatabase(templateUrl);
  await applyMigrations(templateUrl);
  const database = openDatabase(templateUrl, 1);
  await seedDefaults(database.db);
  await database.close();

  project.provide('databaseUrl', databaseUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('redisUrl', redisUrl);

  return async () => {
    const client = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(templateDatabase)} WITH (FORCE)`);
    await client.end();
    for (const stop of stops) await stop();
  };
}
