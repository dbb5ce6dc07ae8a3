// The end of a task's life, exactly once. Moving a task to SUCCESS or FAILURE, recording what it
// finally costs, and refunding the rest (to the user's balance and the key's spend, with a log of
// type 6) happen in one statement: the status change is a compare-and-swap on a non-final status,
// and only the statement that wins it moves money. A repeated settlement (a duplicate job, two
// workers, the reconciler) finds the task final and changes nothing; were it ever to get as far as
// the refund, the unique "refund:<task_id>" log key would stop it there.
import type { Sql } from '../lib/database.ts';
import { LOG_TYPE } from '../modules/tasks/tasks.repository.ts';

export interface Settlement {
  status: 'SUCCESS' | 'FAILURE';
  /** "CODE: message"; empty for SUCCESS. */
  failReason: string;
  /** The video; empty for FAILURE. */
  resultUrl: string;
  /** The latest upstream body to keep as the task's `data`; null keeps the stored one. */
  data: Record<string, unknown> | null;
  /**
   * What the task costs in the end, at most what was charged; the difference is refunded.
   * 0 for a failure; the charge itself for most successes.
   */
  finalQuota: bigint;
  /** The refund log's description. */
  refundNote: string;
}

const SETTLE = `
WITH current AS (
  SELECT id, quota FROM tasks WHERE id = $1 AND status IN ('NOT_START', 'QUEUED', 'IN_PROGRESS') FOR UPDATE
), settled AS (
  UPDATE tasks t
  SET status = $2::task_status, fail_reason = $3, result_url = $4, data = COALESCE($5::jsonb, t.data),
      quota = LEAST(c.quota, $6::bigint), progress = 100, finish_time = now(), updated_at = now()
  FROM current c
  WHERE t.id = c.id
  RETURNING t.task_id, t.user_id, t.key_id, t.model, c.quota - t.quota AS refund
), refund_log AS (
  INSERT INTO logs (type, user_id, key_id, task_id, model, quota, content, dedupe_key)
  SELECT ${LOG_TYPE.refund}, user_id, key_id, task_id, model, refund, $7, 'refund:' || task_id FROM settled WHERE refund > 0
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING user_id, key_id, quota
), user_credit AS (
  UPDATE users u SET quota = u.quota + r.quota, used_quota = u.used_quota - r.quota, updated_at = now()
  FROM refund_log r WHERE u.id = r.user_id
), key_credit AS (
  UPDATE api_keys k SET quota_used = k.quota_used - r.quota
  FROM refund_log r WHERE k.id = r.key_id
)
SELECT refund FROM settled`;

/**
 * Settles the task with internal id `id`. Returns the quota refunded when this call settled it,
 * or null when the task had already been settled (by this or any other worker).
 */
export async function settleTask(sql: Sql, id: number, s: Settlement): Promise<bigint | null> {
  const { rows } = await sql.query<{ refund: string }>({
    name: 'settle-task',
    text: SETTLE,
    values: [id, s.status, s.failReason, s.resultUrl, s.data === null ? null : JSON.stringify(s.data), s.finalQuota.toString(), s.refundNote],
  });
  return rows[0] ? BigInt(rows[0].refund) : null;
}
