// The caller's own account: their key and user, and their spending summed from the quota logs.
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';

export async function findKeyAndUser(db: Db, keyId: number) {
  return db
    .selectFrom('apiKeys as k')
    .innerJoin('users as u', 'u.id', 'k.userId')
    .select([
      'k.id',
      'k.name',
      'k.keyPrefix',
      'k.status',
      'k.models',
      'k.quotaLimit',
      'k.quotaUsed',
      'k.expiresAt',
      'k.lastUsedAt',
      'k.createdAt',
      'u.id as userId',
      'u.name as userName',
      'u.group',
      'u.status as userStatus',
      'u.quota as userQuota',
      'u.usedQuota as userUsedQuota',
    ])
    .where('k.id', '=', keyId)
    .executeTakeFirst();
}

export interface UsageSum {
  group: string;
  tasks: bigint;
  charged: bigint;
  refunded: bigint;
}

/**
 * Charges (log type 2) and refunds (type 6) of the user's last `days` days (UTC), per day
 * (YYYY-MM-DD) or per model. A refund counts in the day it was made.
 */
export async function sumUsage(db: Db, userId: number, groupBy: 'day' | 'model', days: number): Promise<UsageSum[]> {
  const group = groupBy === 'day' ? sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')` : sql<string>`model`;
  return db
    .selectFrom('logs')
    .select([
      group.as('group'),
      sql<bigint>`count(*) filter (where type = 2)`.as('tasks'),
      sql<bigint>`coalesce(sum(quota) filter (where type = 2), 0)`.as('charged'),
      sql<bigint>`coalesce(sum(quota) filter (where type = 6), 0)`.as('refunded'),
    ])
    .where('userId', '=', userId)
    .where('type', 'in', [2, 6])
    .where('createdAt', '>=', sql<Date>`date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' - make_interval(days => ${days - 1})`)
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute();
}
