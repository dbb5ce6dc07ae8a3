// Usage reports from usage_daily, the rollup that triggers on logs and tasks keep in the same
// transaction as the rows they count (migration admin_operations): a report reads a few rows
// per day, user, key and model however long the history, never the logs themselves.
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

export async function usageReport(db: Db, query: UsageQuery): Promise<UsageRow[]> {
  const bucket = {
    day: sql<string>`to_char(day, 'YYYY-MM-DD')`,
    model: sql<string>`model`,
    user: sql<string>`user_id::text`,
    key: sql<string>`key_id::text`,
  }[query.groupBy];
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
  // Numeric buckets (user and key ids) sort as numbers.
  const order = query.groupBy === 'user' || query.groupBy === 'key' ? sql`min(${sql.ref(query.groupBy === 'user' ? 'user_id' : 'key_id')})` : sql`1`;
  const rows = await q.groupBy(sql`1`).orderBy(order).execute();
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
