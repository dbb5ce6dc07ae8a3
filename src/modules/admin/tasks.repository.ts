// Tasks as operators see them: every task of every user, with everything the gateway knows.
import { sql } from 'kysely';
import type { Db, Queryable } from '../../db/database.ts';
import { AppError } from '../../lib/errors.ts';
import { newestFirst, type PageRequest, toPage } from '../../lib/newest-first.ts';
import { unixSeconds } from '../../lib/time.ts';
import { findTask, type TaskRow } from '../tasks/tasks.repository.ts';

const time = (at: Date | null) => (at ? unixSeconds(at) : null);

export function toAdminTaskView(task: TaskRow) {
  return {
    task_id: task.taskId,
    user_id: task.userId,
    key_id: task.keyId,
    group: task.group,
    model: task.model,
    upstream_model: task.upstreamModel,
    action: task.action,
    status: task.status,
    progress: task.progress,
    fail_reason: task.failReason,
    quota: Number(task.quota),
    channel_id: task.channelId,
    upstream_task_id: task.upstreamTaskId,
    attempts: task.attempts,
    result_copy: task.resultCopy,
    webhook_events: task.webhookEvents,
    callback_url: task.callbackUrl,
    deleted: task.deletedAt !== null,
    submit_time: unixSeconds(task.submitTime),
    start_time: time(task.startTime),
    finish_time: time(task.finishTime),
  };
}

export interface AdminTaskFilter extends PageRequest {
  user_id?: number;
  key_id?: number;
  status?: TaskRow['status'];
  model?: string;
  channel_id?: number;
  /** Submit time, unix seconds, inclusive. */
  from?: number;
  /** Submit time, unix seconds, exclusive. */
  to?: number;
}

export async function listTasks(db: Db, filter: AdminTaskFilter) {
  let query = db.selectFrom('tasks').selectAll();
  if (filter.user_id !== undefined) query = query.where('userId', '=', filter.user_id);
  if (filter.key_id !== undefined) query = query.where('keyId', '=', filter.key_id);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.model !== undefined) query = query.where('model', '=', filter.model);
  if (filter.channel_id !== undefined) query = query.where('channelId', '=', filter.channel_id);
  if (filter.from !== undefined) query = query.where('submitTime', '>=', new Date(filter.from * 1000));
  if (filter.to !== undefined) query = query.where('submitTime', '<', new Date(filter.to * 1000));
  return toPage(await newestFirst(query, filter).execute(), filter.limit);
}

export async function requireTask(db: Queryable, taskId: string): Promise<TaskRow> {
  const task = await findTask(db, taskId);
  if (!task) throw new AppError('not_found', `task ${taskId} not found`, 'task_id');
  return task;
}

/** A task's logs, webhook events and their attempts, oldest first (a task has a handful). */
export async function taskHistory(db: Db, taskId: string) {
  const [logs, webhooks, deliveries] = await Promise.all([
    db.selectFrom('logs').selectAll().where('taskId', '=', taskId).orderBy('id').execute(),
    db.selectFrom('taskWebhooks').select(['event', 'state', 'createdAt']).where('taskId', '=', taskId).orderBy('id').execute(),
    db.selectFrom('webhookDeliveries').selectAll().where('taskId', '=', taskId).orderBy('id').execute(),
  ]);
  return { logs, webhooks, deliveries };
}

/** Open tasks per status, for the system overview. */
export async function openTasksByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('tasks')
    .select(['status', sql<string>`count(*)`.as('n')])
    .where('status', 'in', ['NOT_START', 'QUEUED', 'IN_PROGRESS'])
    .groupBy('status')
    .execute();
  const counts: Record<string, number> = { NOT_START: 0, QUEUED: 0, IN_PROGRESS: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}
