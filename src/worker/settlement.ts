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
      quota = LEAST(c.quota, $6::bigint), progress = 100, finish_time = now(), updated_at = now(),
      -- What is left to do once the task is final, recorded with it so that a crash right after
      -- the commit cannot lose it: the reconciler finds it here.
      result_copy = CASE WHEN $2::task_status = 'SUCCESS' THEN 'pending'::result_copy ELSE t.result_copy END,
      webhook_state = CASE WHEN t.callback_url IS NOT NULL THEN 'pending'::webhook_state ELSE t.webhook_state END
  FROM current c
  WHERE t.id = c.id
  RETURNING t.task_id, t.user_id, t.key_id, t.model, c.quota - t.quota AS refund, t.result_copy, t.webhook_state
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
SELECT refund, result_copy, webhook_state FROM settled`;

export interface Settled {
  refunded: bigint;
  /** The video is to be copied into the gateway's storage. */
  copyPending: boolean;
  /** A webhook is to be sent. */
  webhookPending: boolean;
}

/**
 * Settles the task with internal id `id`. Returns what this call did, or null when the task had
 * already been settled (by this or any other worker).
 */
export async function settleTask(sql: Sql, id: number, s: Settlement): Promise<Settled | null> {
  const { rows } = await sql.query<{ refund: string; result_copy: string; webhook_state: string }>({
    name: 'settle-task',
    text: SETTLE,
    values: [id, s.status, s.failReason, s.resultUrl, s.data === null ? null : JSON.stringify(s.data), s.finalQuota.toString(), s.refundNote],
  });
  const row = rows[0];
  if (!row) return null;
  return { refunded: BigInt(row.refund), copyPending: row.result_copy === 'pending', webhookPending: row.webhook_state === 'pending' };
}
