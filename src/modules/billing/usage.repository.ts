// Usage reports from usage_daily, the rollup that triggers on logs and tasks keep in the same
// transaction as the rows they count (migration admin_operations): a report reads a few rows
// per day, user, key and model however long the history, never the logs themselves. The
// operator's report (GET /admin/usage) and the customer's own (GET /v1/me/usage) both read it.
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';

export type UsageGrouping = 'day' | 'model' | 'user' | 'key';

export interface UsageQuery {
  /** First UTC day, YYYY-MM-DD. */
  fromDay: string;
  /** Last UTC day, YYYY-MM-DD, inclusive. */
  toDay: string;
  groupBy: UsageGrouping;
  userId?: number;
}

export interface UsageRow {
  bucket: string;
  tasks: number;
  succeeded: number;
  failed: number;
  seconds: number;
  quota_charged: number;
  quota_refunded: number;
  quota_net: number;
}

const COLUMN = { day: 'day', model: 'model', user: 'user_id', key: 'key_id' } as const;

export async function usageReport(db: Db, query: UsageQuery): Promise<UsageRow[]> {
  // Grouped by the column itself (cheaper than by an expression of it); shown as text.
  const column = sql.ref(COLUMN[query.groupBy]);
  const bucket = query.groupBy === 'day' ? sql<string>`to_char(${column}, 'YYYY-MM-DD')` : sql<string>`${column}::text`;
  let q = db
    .selectFrom('usageDaily')
    .select([
      bucket.as('bucket'),
      sql<string>`sum(tasks)`.as('tasks'),
      sql<string>`sum(succeeded)`.as('succeeded'),
      sql<string>`sum(failed)`.as('failed'),
      sql<string>`sum(seconds)`.as('seconds'),
      sql<string>`sum(quota_charged)`.as('charged'),
      sql<string>`sum(quota_refunded)`.as('refunded'),
    ])
    .where('day', '>=', sql<Date>`${query.fromDay}::date`)
    .where('day', '<=', sql<Date>`${query.toDay}::date`);
  if (query.userId !== undefined) q = q.where('userId', '=', query.userId);
  const rows = await q.groupBy(column).orderBy(column).execute();
  return rows.map((r) => ({
    bucket: r.bucket,
    tasks: Number(r.tasks),
    succeeded: Number(r.succeeded),
    failed: Number(r.failed),
    seconds: Number(r.seconds),
    quota_charged: Number(r.charged),
    quota_refunded: Number(r.refunded),
    quota_net: Number(r.charged) - Number(r.refunded),
  }));
}
