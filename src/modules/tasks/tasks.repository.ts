// Tasks in PostgreSQL. The queries on the request path are written in SQL (see src/lib/database.ts
// for why); they return rows shaped like Prisma's Task model.
import type { PoolClient } from 'pg';
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
  callbackUrl: string | null;
  remixedFrom: string | null;
}

export const insufficientQuota = (): AppError => new AppError('insufficient_user_quota', 'insufficient user quota');

/** What EasyRouter's task record shows; the request, the price and the worker's bookkeeping stay in the database. */
export type TaskRecordRow = Pick<
  TaskRow,
  | 'id' | 'taskId' | 'platform' | 'userId' | 'group' | 'channelId' | 'model' | 'upstreamModel' | 'action' | 'status'
  | 'progress' | 'failReason' | 'resultUrl' | 'resultCopy' | 'resultKey' | 'resultExpiresAt' | 'quota' | 'data'
  | 'submitTime' | 'startTime' | 'finishTime' | 'createdAt' | 'updatedAt'
>;

// The record is read on every poll of every client; leaving the two largest JSON columns out of
// it measurably cuts the work of both PostgreSQL and the API per request.
const RECORD_COLUMNS = `
  id, task_id AS "taskId", platform, user_id AS "userId", "group", channel_id AS "channelId", model,
  upstream_model AS "upstreamModel", action, status, progress, fail_reason AS "failReason",
  result_url AS "resultUrl", result_copy AS "resultCopy", result_key AS "resultKey",
  result_expires_at AS "resultExpiresAt", quota, data, submit_time AS "submitTime",
  start_time AS "startTime", finish_time AS "finishTime", created_at AS "createdAt", updated_at AS "updatedAt"`;

const TASK_COLUMNS = `${RECORD_COLUMNS}, key_id AS "keyId", price_snapshot AS "priceSnapshot", request,
  upstream_task_id AS "upstreamTaskId", attempts, unknown_since AS "unknownSince", result_bytes AS "resultBytes",
  result_sha256 AS "resultSha256", thumbnail_key AS "thumbnailKey", callback_url AS "callbackUrl",
  webhook_state AS "webhookState", remixed_from AS "remixedFrom", deleted_at AS "deletedAt"`;

// pg returns int8 as a string; the model's quota and result size are bigints.
function fromRow<T>(row: Record<string, unknown>): T {
  const converted: Record<string, unknown> = { ...row, quota: BigInt(row.quota as string) };
  if (typeof row.resultBytes === 'string') converted.resultBytes = BigInt(row.resultBytes);
  return converted as T;
}

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
  INSERT INTO tasks (task_id, platform, user_id, key_id, "group", model, upstream_model, action, quota, price_snapshot, request, callback_url, remixed_from)
  SELECT $4, $5, id, $3, $6, $7, $7, $8, $2, $9::jsonb, $10::jsonb, $12, $13 FROM user_debit
  RETURNING ${RECORD_COLUMNS}
), consume_log AS (
  INSERT INTO logs (type, user_id, key_id, task_id, model, quota, content, dedupe_key)
  SELECT ${LOG_TYPE.consume}, "userId", $3, "taskId", $7, $2, $11, 'charge:' || "taskId" FROM task
)
SELECT * FROM task`;

/**
 * Charges the user (and the key's own limit) and records the task; 402 when either is short.
 * `sql` may be a client inside a transaction (an idempotent submit) or the pool.
 */
export async function insertChargedTask(sql: Sql | PoolClient, task: NewTask): Promise<TaskRow> {
  const { rows } = await sql.query({
    name: 'charge-and-insert-task',
    text: CHARGE_AND_INSERT,
    values: [
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
      task.callbackUrl,
      task.remixedFrom,
    ],
  });
  if (rows.length === 0) throw insufficientQuota();
  // The request and the price were just written from memory; reading them back would only cost.
  return {
    ...fromRow<TaskRecordRow>(rows[0]),
    keyId: task.keyId,
    request: task.request as unknown as TaskRow['request'],
    priceSnapshot: task.price as unknown as TaskRow['priceSnapshot'],
    upstreamTaskId: null,
    attempts: 0,
    unknownSince: null,
    resultBytes: null,
    resultSha256: null,
    thumbnailKey: null,
    callbackUrl: task.callbackUrl,
    webhookState: 'none',
    remixedFrom: task.remixedFrom,
    deletedAt: null,
  };
}

// The charge's own conditions, read without locking: a request that brings images checks this
// before it writes them (the charge itself decides, and may still refuse).
const CAN_PAY = `
SELECT 1 FROM users u JOIN api_keys k ON k.user_id = u.id
WHERE u.id = $1 AND k.id = $2 AND u.quota >= $3 AND (k.quota_limit IS NULL OR k.quota_limit - k.quota_used >= $3)`;

/** Whether the user (and the key's own limit) can pay for `task` right now. */
export async function canPay(sql: Sql, task: NewTask): Promise<boolean> {
  const { rowCount } = await sql.query({ name: 'can-pay', text: CAN_PAY, values: [task.userId, task.keyId, task.price.quota] });
  return rowCount === 1;
}

const FIND_TASK = `SELECT ${TASK_COLUMNS} FROM tasks WHERE task_id = $1`;

/** Any task, deleted or not: for the worker. */
export async function findTask(sql: Sql, taskId: string): Promise<TaskRow | null> {
  const { rows } = await sql.query({ name: 'find-task', text: FIND_TASK, values: [taskId] });
  return rows[0] ? fromRow<TaskRow>(rows[0]) : null;
}

// A task another user owns, or that its owner deleted, is as good as absent.
const FIND_OWNED_RECORD = `SELECT ${RECORD_COLUMNS} FROM tasks WHERE task_id = $1 AND user_id = $2 AND deleted_at IS NULL`;
const FIND_OWNED = `SELECT ${TASK_COLUMNS} FROM tasks WHERE task_id = $1 AND user_id = $2 AND deleted_at IS NULL`;

export async function findOwnedTaskRecord(sql: Sql, taskId: string, userId: number): Promise<TaskRecordRow | null> {
  const { rows } = await sql.query({ name: 'find-owned-task-record', text: FIND_OWNED_RECORD, values: [taskId, userId] });
  return rows[0] ? fromRow<TaskRecordRow>(rows[0]) : null;
}

export async function findOwnedTask(sql: Sql | PoolClient, taskId: string, userId: number): Promise<TaskRow | null> {
  const { rows } = await sql.query({ name: 'find-owned-task', text: FIND_OWNED, values: [taskId, userId] });
  return rows[0] ? fromRow<TaskRow>(rows[0]) : null;
}

export interface ListPage {
  /** Newest first ('desc', the default) or oldest first. */
  order: 'asc' | 'desc';
  limit: number;
  /** Start after this task (by public id); null for the first page. */
  after: string | null;
}

// The cursor is a task id; the user_id condition keeps another user's id from being used as one.
const LIST = {
  desc: `SELECT ${TASK_COLUMNS} FROM tasks WHERE user_id = $1 AND deleted_at IS NULL
         AND ($2::text IS NULL OR id < (SELECT id FROM tasks WHERE task_id = $2 AND user_id = $1))
         ORDER BY id DESC LIMIT $3`,
  asc: `SELECT ${TASK_COLUMNS} FROM tasks WHERE user_id = $1 AND deleted_at IS NULL
        AND ($2::text IS NULL OR id > (SELECT id FROM tasks WHERE task_id = $2 AND user_id = $1))
        ORDER BY id ASC LIMIT $3`,
};

/** One page of the user's tasks, and whether there are more. */
export async function listOwnedTasks(sql: Sql, userId: number, page: ListPage): Promise<{ tasks: TaskRow[]; hasMore: boolean }> {
  const { rows } = await sql.query({ name: `list-tasks-${page.order}`, text: LIST[page.order], values: [userId, page.after, page.limit + 1] });
  const tasks = rows.slice(0, page.limit).map((row) => fromRow<TaskRow>(row));
  return { tasks, hasMore: rows.length > page.limit };
}

/** Whether `taskId` names a task of `userId`'s, deleted or not (for telling a bad cursor from an empty page). */
export async function ownsTask(sql: Sql, taskId: string, userId: number): Promise<boolean> {
  const { rowCount } = await sql.query('SELECT 1 FROM tasks WHERE task_id = $1 AND user_id = $2', [taskId, userId]);
  return rowCount === 1;
}

// Deleting hides the task from its owner; its books stay. Its stored video goes at the next
// retention pass, which this brings forward to now.
const SOFT_DELETE = `
UPDATE tasks SET deleted_at = now(), updated_at = now(),
  result_expires_at = CASE WHEN result_copy = 'stored' THEN now() ELSE result_expires_at END
WHERE task_id = $1 AND user_id = $2 AND deleted_at IS NULL`;

export async function softDeleteTask(sql: Sql, taskId: string, userId: number): Promise<boolean> {
  const { rowCount } = await sql.query({ name: 'soft-delete-task', text: SOFT_DELETE, values: [taskId, userId] });
  return rowCount === 1;
}

export interface IdempotencyClaim {
  /** The task an earlier request with this key created, when there was one within 24 hours. */
  existing: { requestHash: string; taskId: string } | null;
}

// Takes the key for this request, or over from a use more than 24 hours old; a live use wins.
// A concurrent request holding the key uncommitted makes this wait for its outcome.
const CLAIM_KEY = `
INSERT INTO idempotency_keys (user_id, key, request_hash, task_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, task_id = EXCLUDED.task_id, created_at = now()
  WHERE idempotency_keys.created_at < now() - interval '24 hours'
RETURNING id`;

/** Within the caller's transaction: claims the key, or says which task it already belongs to. */
export async function claimIdempotencyKey(
  client: PoolClient,
  claim: { userId: number; key: string; requestHash: string; taskId: string },
): Promise<IdempotencyClaim> {
  const { rowCount } = await client.query({ name: 'claim-idempotency-key', text: CLAIM_KEY, values: [claim.userId, claim.key, claim.requestHash, claim.taskId] });
  if (rowCount === 1) return { existing: null };
  const { rows } = await client.query<{ request_hash: string; task_id: string }>(
    'SELECT request_hash, task_id FROM idempotency_keys WHERE user_id = $1 AND key = $2',
    [claim.userId, claim.key],
  );
  const row = rows[0];
  return { existing: row ? { requestHash: row.request_hash, taskId: row.task_id } : null };
}

/** Forgets idempotency keys past their 24 hours; returns how many. */
export async function purgeIdempotencyKeys(sql: Sql): Promise<number> {
  const { rowCount } = await sql.query("DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'");
  return rowCount ?? 0;
}
