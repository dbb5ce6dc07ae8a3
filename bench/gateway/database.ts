import { prepareDatabaseAt } from '../../src/db/prepare-database.ts';
import type { BenchConfig } from '../config.ts';
import type { Cleanup } from '../lib/cleanup.ts';
import { dropDatabase, recreateDatabase } from '../lib/postgres.ts';

/** A fresh gateway database, migrated and seeded by the project's own code; returns its URL. */
export async function prepareGatewayDatabase(config: BenchConfig, cleanup: Cleanup, name = config.gatewayDatabase): Promise<string> {
  // Registered first, so it runs after the gateway (registered later) has been stopped.
  cleanup.add(`drop database ${name}`, () => dropDatabase(config.postgresUrl, name));
  const url = await recreateDatabase(config.postgresUrl, name);
  await prepareDatabaseAt({ url, poolSize: 1, statementTimeoutMs: 60_000, connectTimeoutMs: 10_000 });
  return url;
}
