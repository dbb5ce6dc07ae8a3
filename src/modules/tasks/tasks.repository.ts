// Tasks in PostgreSQL. The two queries on the request path are written in SQL (see
// src/lib/database.ts for why); they return rows shaped like Prisma's Task model.
import type { Task } from '../../generated/prisma/client.ts';
import { AppError } from '../../lib/errors.ts';
import type { Sql } from '../../lib/database.ts';
import type { PriceSnapshot } from '../pricing/quota.ts';
import type { NormalizedRequest } from './normalize-request.ts';

export type TaskRow = Task;

export const LOG_TYPE = { topUp: 1, consume: 2, manage: 3, system: 4, error: 5, refund: 6 } as const;

export interface NewTask {
  taskId: string;
  userId: number;
  keyId: number;
  group: string;
  model: string;
  action: string;
  platform: string;
  request: NormalizedRequest;
  price: PriceSnapshot;
  /** The consume log's description. */
  logContent: string;
}

export const insufficientQuota = (): AppError => new AppError('insufficient_user_quota', 'insufficient user quota');

/** What EasyRouter's task record shows; the request and the price stay in the database. */
export type TaskRecordRow = Omit<TaskRow, 'keyId' | 'request' | 'priceSnapshot' | 'upstreamTaskId' | 'attempts' | 'unknownSince'>;

// The record is read on every poll of every client; leaving the two largest JSON columns out of
// it measurably cuts the work of both PostgreSQL and the API per request.
const RECORD_COLUMNS = `
  id, task_id AS "taskId", platform, user_id AS "userId", "group", channel_id AS "channelId", model,
  upstream_model AS "upstreamModel", action, status, progress, fail_reason AS "failReason",
  result_url AS "resultUrl", quota, data, submit_time AS "submitTime", start_time AS "startTime",
  finish_time AS "finishTime", created_at AS "createdAt", updated_at AS "updatedAt"`;

const TASK_COLUMNS = `${RECORD_COLUMNS}, key_id AS "keyId", price_snapshot AS "priceSnapshot", request,
  upstream_task_id AS "upstreamTaskId", attempts, unknown_since AS "unknownSince"`;

// pg returns int8 as a string; the Task model's quota is a bigint.
const withQuota = <T extends { quota: bigint }>(row: Omit<T, 'quota'> & { quota: string }): T => ({ ...row, quota: BigInt(row.quota) }) as T;

/*
 * The money path of a submit as one statement, so it is one transaction and one round trip:
 * lock the user's row if the balance covers the price; debit the key's spend (within its own
 * limit, if it has one); debit the user only if the key debit happened; insert the task only if
 * the user debit happened; insert the consume log for the task. When any condition fails, no
 * row changes and no row comes back. Locks are taken user first, then key, like every other
 * writer of these rows, so concurrent submits queue instead of deadlocking.
 */
const CHARGE_AND_INSERT = `
WITH payer AS (
  SELECT id FROM users WHERE id = $1 AND quota >= $2 FOR UPDATE
), key_debit AS (
  UPDATE api_keys SET quota_used = quota_used + $2
  WHERE id = $3 AND (quota_limit IS NULL OR quota_limit - quota_used >= $2) AND EXISTS (SELECT 1 FROM payer)
  RETURNING id
), user_debit AS (
  UPDATE users SET quota = quota - $2, used_quota = used_quota + $2, updated_at = now()
  WHERE id = (SELECT id FROM payer) AND EXISTS (SELECT 1 FROM key_debit)
  RETURNING id
), task AS (
  INSERT INTO tasks (task_id, platform, user_id, key_id, "group", model, upstream_model, action, quota, price_snapshot, request)
  SELECT $4, $5, id, $3, $6, $7, $7, $8, $2, $9::jsonb, $10::jsonb FROM user_debit
  RETURNING ${RECORD_COLUMNS}
), consume_log AS (
  INSERT INTO logs (type, user_id, key_id, task_id, model, quota, content, dedupe_key)
  SELECT ${LOG_TYPE.consume}, "userId", $3, "taskId", $7, $2, $11, 'charge:' || "taskId" FROM task
)
SELECT * FROM task`;

/** Charges the user (and the key's own limit) and records the task; 402 when either is short. */
export async function insertChargedTask(sql: Sql, task: NewTask): Promise<TaskRow> {
  const { rows } = await sql.query({ name: 'charge-and-insert-task', text: CHARGE_AND_INSERT, values: [
    task.userId,
    task.price.quota,
    task.keyId,
    task.taskId,
    task.platform,
    task.group,
    task.model,
    task.action,
    JSON.stringify(task.price),
    JSON.stringify(task.request),
    task.logContent,
  ] });
  if (rows.length === 0) throw insufficientQuota();
  // The request and the price were just written from memory; reading them back would only cost.
  return {
    ...withQuota<TaskRecordRow>(rows[0]),
    keyId: task.keyId,
    request: task.request as unknown as TaskRow['request'],
    priceSnapshot: task.price as unknown as TaskRow['priceSnapshot'],
    upstreamTaskId: null,
    attempts: 0,
    unknownSince: null,
  };
}

const FIND_TASK = `SELECT ${TASK_COLUMNS} FROM tasks WHERE task_id = $1`;

export async function findTask(sql: Sql, taskId: string): Promise<TaskRow | null> {
  const { rows } = await sql.query({ name: 'find-task', text: FIND_TASK, values: [taskId] });
  return rows[0] ? withQuota<TaskRow>(rows[0]) : null;
}

const FIND_OWNED_RECORD = `SELECT ${RECORD_COLUMNS} FROM tasks WHERE task_id = $1 AND user_id = $2`;

/** The task's record if `userId` owns the task; another user's task is as good as absent. */
export async function findOwnedTaskRecord(sql: Sql, taskId: string, userId: number): Promise<TaskRecordRow | null> {
  const { rows } = await sql.query({ name: 'find-owned-task-record', text: FIND_OWNED_RECORD, values: [taskId, userId] });
  return rows[0] ? withQuota<TaskRecordRow>(rows[0]) : null;
}

/** The task with this public id if `userId` owns it; another user's task is as good as absent. */
export async function findOwnedTask(sql: Sql, taskId: string, userId: number): Promise<TaskRow | null> {
  const task = await findTask(sql, taskId);
  return task && task.userId === userId ? task : null;
}
