// Updates to tasks that are still under way. Each is conditional on the task not being final, so
// a late or duplicate observation can never reopen a settled task.
import type { Sql } from '../lib/database.ts';

const MARK_SUBMITTED = `
UPDATE tasks SET status = 'QUEUED', channel_id = $2, upstream_model = $3, upstream_task_id = $4, data = $5::jsonb,
  attempts = attempts + 1, progress = GREATEST(progress, $6), updated_at = now()
WHERE id = $1 AND status = 'NOT_START' AND upstream_task_id IS NULL
RETURNING id`;

/**
 * Records that the upstream accepted the task. Returns false when another worker got there
 * first, in which case the caller's upstream task is a duplicate.
 */
export async function markSubmitted(
  sql: Sql,
  id: number,
  s: { channelId: number; upstreamModel: string; upstreamTaskId: string; data: Record<string, unknown>; progress: number },
): Promise<boolean> {
  const { rowCount } = await sql.query({
    name: 'mark-submitted',
    text: MARK_SUBMITTED,
    values: [id, s.channelId, s.upstreamModel, s.upstreamTaskId, JSON.stringify(s.data), s.progress],
  });
  return rowCount === 1;
}

const RECORD_SUBMIT_FAILURE = `
UPDATE tasks SET attempts = attempts + 1, channel_id = $2, data = COALESCE($3::jsonb, data), updated_at = now()
WHERE id = $1 AND status = 'NOT_START'`;

/**
 * Remembers a failed submit attempt and the channel it went to, so the next one can go elsewhere;
 * `body` is the upstream's answer, when one came.
 */
export async function recordSubmitFailure(sql: Sql, id: number, channelId: number, body: Record<string, unknown> | null): Promise<void> {
  await sql.query({
    name: 'record-submit-failure',
    text: RECORD_SUBMIT_FAILURE,
    values: [id, channelId, body === null ? null : JSON.stringify(body)],
  });
}

// An upstream PENDING after RUNNING does not take a task back to QUEUED; progress only grows.
const RECORD_POLL = `
UPDATE tasks SET
  status = CASE WHEN status = 'IN_PROGRESS' THEN status ELSE $2::task_status END,
  start_time = CASE WHEN $2::task_status = 'IN_PROGRESS' THEN COALESCE(start_time, now()) ELSE start_time END,
  progress = GREATEST(progress, $3), data = $4::jsonb, unknown_since = $5, updated_at = now()
WHERE id = $1 AND status IN ('QUEUED', 'IN_PROGRESS')`;

export async function recordPoll(
  sql: Sql,
  id: number,
  p: { status: 'QUEUED' | 'IN_PROGRESS'; progress: number; data: Record<string, unknown>; unknownSince: Date | null },
): Promise<void> {
  await sql.query({ name: 'record-poll', text: RECORD_POLL, values: [id, p.status, p.progress, JSON.stringify(p.data), p.unknownSince] });
}
