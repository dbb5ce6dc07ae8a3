// Once per test run: find PostgreSQL and Redis (DATABASE_URL / REDIS_URL when set, else the
// gateway's own defaults on this machine when they answer, otherwise containers started with
// testcontainers), then build a template database with every migration
// and the seed applied. Each test file clones the template, so files never share state.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureDatabase } from '../../src/db/ensure-database.ts';
import { applyMigrations } from '../../src/db/schema-engine.ts';
import { seedDefaults } from '../../src/db/seed.ts';
import { loadConfig } from '../../src/config/env.ts';
import { openDatabase } from '../../src/db/database.ts';
import { ensureConsoleBuilt } from '../../src/console/console-build.ts';
import { withDatabase } from './database-url.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    templateDatabase: string;
    redisUrl: string;
  }
}

const PROBE_TIMEOUT_MS = 2_000;

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every test gateway serves the web console from its build, as `npm start` does.
  await ensureConsoleBuilt({ info: (message) => console.error(`[console] ${message}`) });
  const stops: (() => Promise<unknown>)[] = [];
  // The services `npm start` uses without configuration, so that `npm test` needs none either.
  const defaults = loadConfig({}, '/nonexistent/.env');
  let databaseUrl = process.env.DATABASE_URL || ((await postgresAnswers(defaults.DATABASE_URL)) ? defaults.DATABASE_URL : undefined);
  let redisUrl = process.env.REDIS_URL || ((await redisAnswers(defaults.REDIS_URL)) ? defaults.REDIS_URL : undefined);
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
  const database = openDatabase({ url: templateUrl, poolSize: 1, statementTimeoutMs: 60_000, connectTimeoutMs: 10_000 });
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
