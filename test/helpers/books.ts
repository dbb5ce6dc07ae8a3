// The money audit run after a scale-out or chaos run: every task final, each user's balance equal
// to what was put in minus what was charged plus what was refunded, to the unit, and no task
// charged or refunded twice. Free of vitest, so the chaos run (chaos/run.ts) audits the same way.
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.ts';

export interface UserBooks {
  userId: number;
  start: number;
  balance: number;
  charged: number;
  refunded: number;
  /** balance === start − charged + refunded, and used_quota === charged − refunded. */
  exact: boolean;
}

export interface BooksAudit {
  users: UserBooks[];
  tasks: number;
  /** Tasks not SUCCESS or FAILURE. */
  open: number;
  failed: number;
  /** Tasks with more than one charge, or more than one refund. */
  chargedTwice: number;
  refundedTwice: number;
  /** A final task whose quota is not its charge minus its refund. */
  taskQuotaWrong: number;
  exact: boolean;
}

const n = (value: unknown) => Number(value ?? 0);

/** Audits the users given with the balance each started with (after its top-up). */
export async function auditBooks(db: Db, start: Map<number, number>): Promise<BooksAudit> {
  const userIds = [...start.keys()];
  const users = (
    // Rows come back camelCased (the database's CamelCasePlugin), raw SQL's included.
    await sql<{ id: number; quota: string; usedQuota: string; charged: string; refunded: string }>`
      SELECT u.id, u.quota, u.used_quota,
        (SELECT coalesce(sum(quota), 0) FROM logs WHERE user_id = u.id AND type = 2) AS charged,
        (SELECT coalesce(sum(quota), 0) FROM logs WHERE user_id = u.id AND type = 6) AS refunded
      FROM users u WHERE u.id = any(${userIds}::int[]) ORDER BY u.id`.execute(db)
  ).rows.map((row): UserBooks => {
    const begin = start.get(row.id) ?? 0;
    const [balance, charged, refunded] = [n(row.quota), n(row.charged), n(row.refunded)];
    return { userId: row.id, start: begin, balance, charged, refunded, exact: balance === begin - charged + refunded && n(row.usedQuota) === charged - refunded };
  });
  const [tasks] = (
    await sql<{ tasks: string; open: string; failed: string; chargedTwice: string; refundedTwice: string; quotaWrong: string }>`
      WITH per_task AS (
        SELECT t.task_id, t.status, t.quota,
          count(*) FILTER (WHERE l.type = 2) AS charges, count(*) FILTER (WHERE l.type = 6) AS refunds,
          coalesce(sum(l.quota) FILTER (WHERE l.type = 2), 0) - coalesce(sum(l.quota) FILTER (WHERE l.type = 6), 0) AS net
        FROM tasks t LEFT JOIN logs l ON l.task_id = t.task_id AND l.type IN (2, 6)
        WHERE t.user_id = any(${userIds}::int[])
        GROUP BY t.task_id, t.status, t.quota
      )
      SELECT count(*) AS tasks,
        count(*) FILTER (WHERE status NOT IN ('SUCCESS', 'FAILURE')) AS open,
        count(*) FILTER (WHERE status = 'FAILURE') AS failed,
        count(*) FILTER (WHERE charges > 1) AS charged_twice,
        count(*) FILTER (WHERE refunds > 1) AS refunded_twice,
        count(*) FILTER (WHERE status IN ('SUCCESS', 'FAILURE') AND quota <> net) AS quota_wrong
      FROM per_task`.execute(db)
  ).rows;
  const audit = {
    users,
    tasks: n(tasks?.tasks),
    open: n(tasks?.open),
    failed: n(tasks?.failed),
    chargedTwice: n(tasks?.chargedTwice),
    refundedTwice: n(tasks?.refundedTwice),
    taskQuotaWrong: n(tasks?.quotaWrong),
  };
  return { ...audit, exact: users.every((u) => u.exact) && users.length === userIds.length && audit.open === 0 && audit.chargedTwice + audit.refundedTwice + audit.taskQuotaWrong === 0 };
}

/**
 * Upstream tasks no submit's answer told the gateway about: `adopted` became their task's own (a
 * lost submit found again); `recorded` are extras written down as duplicates, of which
 * `unresolved` could not be cancelled.
 */
export async function upstreamExtras(db: Db): Promise<{ adopted: number; recorded: number; unresolved: number }> {
  const rows = await db.selectFrom('upstreamOrphans').select('outcome').execute();
  const extras = rows.filter((r) => r.outcome !== 'adopted');
  return { adopted: rows.length - extras.length, recorded: extras.length, unresolved: extras.filter((r) => r.outcome !== 'cancelled').length };
}
