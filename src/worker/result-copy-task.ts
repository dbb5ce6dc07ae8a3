// The task rows the result copy reads and writes. Every write is conditional on the copy still being
// 'pending', so of two workers copying the same video only one records it, and a copy never
// overwrites a decision already made.
import type { Sql } from '../lib/database.ts';

export interface CopyCandidate {
  id: number;
  taskId: string;
  status: string;
  resultCopy: string;
  resultUrl: string;
  finishTime: Date | null;
  resultKey: string | null;
  thumbnailKey: string | null;
  /** Its owner deleted it: nobody can ask for the video any more. */
  deleted: boolean;
}

const FIND = `
  SELECT id, task_id AS "taskId", status, result_copy AS "resultCopy", result_url AS "resultUrl",
         finish_time AS "finishTime", result_key AS "resultKey", thumbnail_key AS "thumbnailKey",
         deleted_at IS NOT NULL AS deleted
  FROM tasks WHERE task_id = $1`;

export async function findCopyCandidate(sql: Sql, taskId: string): Promise<CopyCandidate | null> {
  const { rows } = await sql.query<CopyCandidate>({ name: 'result-copy-find', text: FIND, values: [taskId] });
  return rows[0] ?? null;
}

export interface StoredCopy {
  resultKey: string;
  bytes: number;
  sha256: string;
  thumbnailKey: string | null;
  retentionDays: number;
}

// A task deleted while its copy was being made keeps it only until the next retention pass.
const MARK_STORED = `
  UPDATE tasks
  SET result_copy = 'stored', result_key = $2, result_bytes = $3, result_sha256 = $4, thumbnail_key = $5,
      result_expires_at = CASE WHEN deleted_at IS NOT NULL THEN now()
                               ELSE COALESCE(finish_time, now()) + make_interval(days => $6) END,
      updated_at = now()
  WHERE id = $1 AND result_copy = 'pending'`;

/** Whether this call recorded the copy (false: another worker, or a decision, came first). */
export async function markCopyStored(sql: Sql, id: number, copy: StoredCopy): Promise<boolean> {
  const { rowCount } = await sql.query({
    name: 'result-copy-stored',
    text: MARK_STORED,
    values: [id, copy.resultKey, copy.bytes, copy.sha256, copy.thumbnailKey, copy.retentionDays],
  });
  return rowCount === 1;
}

const MARK_FAILED = `UPDATE tasks SET result_copy = 'failed', updated_at = now() WHERE id = $1 AND result_copy = 'pending'`;

export async function markCopyFailed(sql: Sql, id: number): Promise<boolean> {
  const { rowCount } = await sql.query({ name: 'result-copy-failed', text: MARK_FAILED, values: [id] });
  return rowCount === 1;
}

// A deleted task's video is never copied; 'expired' ends the copy for good, as retention would.
const MARK_SKIPPED = `UPDATE tasks SET result_copy = 'expired', updated_at = now() WHERE id = $1 AND result_copy = 'pending' AND deleted_at IS NOT NULL`;

export async function markCopySkipped(sql: Sql, id: number): Promise<boolean> {
  const { rowCount } = await sql.query({ name: 'result-copy-skipped', text: MARK_SKIPPED, values: [id] });
  return rowCount === 1;
}
