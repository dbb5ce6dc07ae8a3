// What a customer may know about their own account: the key they are signed in with, its user's
// balance, their usage and their quota logs; never anyone else's.
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/errors.ts';
import { unixSeconds } from '../../lib/time.ts';
import { listLogs, toLogView } from '../admin/logs.repository.ts';
import type { KeyIdentity } from '../auth/key-identity.ts';
import type { BillingService } from '../billing/billing.service.ts';
import { usageReport } from '../billing/usage.repository.ts';
import { findKeyAndUser } from './me.repository.ts';

export type MeService = ReturnType<typeof createMeService>;

const DAY_MS = 86_400_000;

/** The last `days` UTC dates, oldest first, as YYYY-MM-DD. */
function lastDays(days: number, now = Date.now()): string[] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

export function createMeService(db: Db, billing: BillingService) {
  return {
    async account(auth: KeyIdentity) {
      const row = await findKeyAndUser(db, auth.keyId);
      // Authenticated a moment ago from the cache; the key has gone since.
      if (!row) throw new AppError('invalid_api_key', 'invalid API key');
      const balance = await billing.balance(auth);
      return {
        object: 'account' as const,
        user: { id: row.userId, name: row.userName, group: row.group, status: row.userStatus },
        key: {
          id: row.id,
          name: row.name,
          key_prefix: row.keyPrefix,
          status: row.status,
          models: row.models,
          quota_limit: row.quotaLimit === null ? null : Number(row.quotaLimit),
          quota_used: Number(row.quotaUsed),
          expires_at: row.expiresAt ? unixSeconds(row.expiresAt) : null,
          last_used_at: row.lastUsedAt ? unixSeconds(row.lastUsedAt) : null,
          created_at: unixSeconds(row.createdAt),
        },
        balance: {
          quota: Number(row.userQuota),
          used_quota: Number(row.userUsedQuota),
          remaining: Number(balance.remaining),
          spent: Number(balance.spent),
        },
      };
    },

    /** The operator's usage report, for the caller's user: read from the rollup, never the logs. */
    async usage(auth: KeyIdentity, groupBy: 'day' | 'model', days: number) {
      const period = lastDays(days);
      const report = await usageReport(db, { fromDay: period[0] ?? '', toDay: period.at(-1) ?? '', groupBy, userId: auth.userId });
      const rows = report
        // A task that ended in the period but was charged before it leaves a row of its end alone.
        .filter((r) => r.tasks > 0 || r.quota_charged > 0 || r.quota_refunded > 0)
        .map((r) => ({ group: r.bucket, tasks: r.tasks, charged_quota: r.quota_charged, refunded_quota: r.quota_refunded, net_quota: r.quota_net }));
      // Every day of the period, those without usage too, so a chart's axis is the period.
      const data =
        groupBy === 'day' ? period.map((day) => rows.find((r) => r.group === day) ?? { group: day, tasks: 0, charged_quota: 0, refunded_quota: 0, net_quota: 0 }) : rows;
      return { object: 'list' as const, group_by: groupBy, days, data };
    },

    async logs(auth: KeyIdentity, page: { limit: number; cursor?: string; type?: number; task_id?: string }) {
      const { rows, nextCursor } = await listLogs(db, { ...page, user_id: auth.userId });
      return { data: rows.map(toLogView), next_cursor: nextCursor };
    },
  };
}
