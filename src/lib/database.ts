// One pg pool per process, shared by Prisma and by the few hot-path queries that are written in
// SQL: measured under load, a Prisma query through the driver adapter costs about 240 µs of CPU
// more than the same query sent with pg, which on a submit or a task query is most of the budget.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;
export type Sql = pg.Pool;

export interface Database {
  db: Db;
  sql: Sql;
  close(): Promise<void>;
}

export function openDatabase(databaseUrl: string, poolSize: number): Database {
  const sql = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  // An idle connection that dies (database restart) must not take the process down with it;
  // the pool replaces it on the next checkout.
  sql.on('error', () => {});
  const db = new PrismaClient({
    adapter: new PrismaPg(sql),
    // Under a burst, transactions queue for a pooled connection; waiting beats failing.
    transactionOptions: { maxWait: 10_000, timeout: 10_000 },
  });
  return {
    db,
    sql,
    async close() {
      await db.$disconnect();
      await sql.end();
    },
  };
}
