// A PostgreSQL restart cuts every connection, including ones checked out of the pool for a query
// or a transaction. pg emits an 'error' event on such a client, and a checked-out client had no
// listener: the chaos run's PostgreSQL restart took a worker down with "Connection terminated
// unexpectedly" (an unhandled 'error' event). The query fails instead, and the pool carries on.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type Database, openDatabase, type Queryable } from '../src/db/database.ts';
import { until } from './helpers/until.ts';
import { withDatabase } from './setup/database-url.ts';

let database: Database;
let admin: Database;
beforeAll(() => {
  const url = withDatabase(inject('databaseUrl'), 'postgres');
  database = openDatabase({ url, poolSize: 2, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
  admin = openDatabase({ url, poolSize: 1, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
});
afterAll(async () => {
  await database.close();
  await admin.close();
});

// The pool drops the cut connection once pg has seen the socket close, a moment after the failed
// query: a query in that moment may still be handed the dead connection and fail like the first.
const poolWorks = () =>
  until(async () => (await sql<{ one: number }>`SELECT 1 AS one`.execute(database.db).then((r) => r.rows, () => undefined)), 'a query on the pool', { timeoutMs: 2_000 });

const terminate = (pid: number) => sql`SELECT pg_terminate_backend(${pid})`.execute(admin.db);
const backendPid = async (db: Queryable) => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]!.pid;

it('a connection cut during a query fails that query, not the process', async () => {
  const failure = await database.db.connection().execute(async (connection) => {
    const pid = await backendPid(connection);
    const query = sql`SELECT pg_sleep(5)`.execute(connection).then(() => null, (err: unknown) => err);
    await new Promise((r) => setTimeout(r, 200));
    await terminate(pid);
    return query;
  });
  expect(failure).toBeInstanceOf(Error);
  expect(await poolWorks()).toEqual([{ one: 1 }]);
});

it('a connection cut while a transaction holds it between statements fails the transaction, not the process', async () => {
  const failed = database.db.transaction().execute(async (trx) => {
    await terminate(await backendPid(trx));
    // The connection is gone while nothing is running on it; the next statement finds out.
    await new Promise((r) => setTimeout(r, 300));
    await sql`SELECT 1`.execute(trx);
  });
  await expect(failed).rejects.toThrow();
  expect(await poolWorks()).toEqual([{ one: 1 }]);
});
