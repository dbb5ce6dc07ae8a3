import pg from 'pg';

/** The same server as `serverUrl`, another database. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Runs `work` on one short-lived connection to `databaseUrl`. */
export async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// FORCE ends sessions that a crashed earlier run (or a child being killed) left behind.
const dropSql = (database: string) => `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`;

export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  await withClient(withDatabase(serverUrl, 'postgres'), (c) => c.query(dropSql(database)));
}

/** Drops and recreates `database`; returns its URL. */
export async function recreateDatabase(serverUrl: string, database: string): Promise<string> {
  await withClient(withDatabase(serverUrl, 'postgres'), async (c) => {
    await c.query(dropSql(database));
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  });
  return withDatabase(serverUrl, database);
}

/**
 * Finishes the maintenance a write measurement leaves behind (autovacuum of the new rows, the
 * checkpoint of their WAL), so it does not run in the middle of the read measurement that follows
 * and the two read measurements start from the same quiet state.
 */
export async function settleWrites(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query('VACUUM (ANALYZE)');
    // Needs superuser (or pg_checkpoint); without it the VACUUM alone still helps.
    await client.query('CHECKPOINT').catch(() => undefined);
  });
}
