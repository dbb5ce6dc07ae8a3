// Tasks in PostgreSQL. Every query on the request path is prepared once (src/db/prepared.ts).
import { type Selectable, sql } from 'kysely';
import type { Queryable } from '../../db/database.ts';
import { prepare } from '../../db/prepared.ts';
import type { Task } from '../../generated/kysely/database.ts';
import type { PriceSnapshot } from '../pricing/quota.ts';
import type { NormalizedRequest } from './normalize-request.ts';

export type TaskRow = Selectable<Task>;

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
  webhookEvents: string[];
  remixedFrom: string | null;
}

// The record is read on every poll of every client; leaving the two largest JSON columns out of
// it measurably cuts the work of both PostgreSQL and the API per request.
export const RECORD_COLUMNS = [
  'id', 'taskId', 'platform', 'userId', 'group', 'channelId', 'model', 'upstreamModel', 'action', 'status', 'progress',
  'failReason', 'resultUrl', 'resultCopy', 'resultKey', 'resultExpiresAt', 'quota', 'data', 'submitTime', 'startTime',
  'finishTime', 'createdAt', 'updatedAt',
] as const satisfies readonly (keyof Task)[];

/** What EasyRouter's task record shows; the request, the price and the worker's bookkeeping stay in the database. */
export type TaskRecordRow = Pick<TaskRow, (typeof RECORD_COLUMNS)[number]>;

const findByTaskId = prepare('find-task', (p: { taskId: string }, qb) => qb.selectFrom('tasks').selectAll().where('taskId', '=', p.taskId));

/** Any task, deleted or not: for the worker. */
export async function findTask(db: Queryable, taskId: string): Promise<TaskRow | null> {
  return (await findByTaskId.first(db, { taskId })) ?? null;
}

// A task another user owns, or that its owner deleted, is as good as absent.
const findOwnedRecord = prepare('find-owned-task-record', (p: { taskId: string; userId: number }, qb) =>
  qb.selectFrom('tasks').select(RECORD_COLUMNS).where('taskId', '=', p.taskId).where('userId', '=', p.userId).where('deletedAt', 'is', null),
);
const findOwned = prepare('find-owned-task', (p: { taskId: string; userId: number }, qb) =>
  qb.selectFrom('tasks').selectAll().where('taskId', '=', p.taskId).where('userId', '=', p.userId).where('deletedAt', 'is', null),
);

export async function findOwnedTaskRecord(db: Queryable, taskId: string, userId: number): Promise<TaskRecordRow | null> {
  return (await findOwnedRecord.first(db, { taskId, userId })) ?? null;
}

export async function findOwnedTask(db: Queryable, taskId: string, userId: number): Promise<TaskRow | null> {
  return (await findOwned.first(db, { taskId, userId })) ?? null;
}

export interface ListPage {
  /** Newest first ('desc', the default) or oldest first. */
  order: 'asc' | 'desc';
  limit: number;
  /** Start after this task (by public id); null for the first page. */
  after: string | null;
}

interface ListParams {
  userId: number;
  after: string | null;
  limit: number;
}

// The cursor is a task id; the user_id condition keeps another user's id from being used as one.
const listOwned = (order: 'asc' | 'desc') =>
  prepare(`list-tasks-${order}`, (p: ListParams, qb) =>
    qb
      .selectFrom('tasks')
      .selectAll()
      .where('userId', '=', p.userId)
      .where('deletedAt', 'is', null)
      .where((eb) =>
        eb.or([
          eb(sql`${p.after}::text`, 'is', null),
          eb('id', order === 'desc' ? '<' : '>', eb.selectFrom('tasks as cursor').select('cursor.id').where('cursor.taskId', '=', p.after).where('cursor.userId', '=', p.userId)),
        ]),
      )
      .orderBy('id', order)
      .limit(p.limit),
  );
const LIST = { desc: listOwned('desc'), asc: listOwned('asc') };

/** One page of the user's tasks, and whether there are more. */
export async function listOwnedTasks(db: Queryable, userId: number, page: ListPage): Promise<{ tasks: TaskRow[]; hasMore: boolean }> {
  const rows = await LIST[page.order].rows(db, { userId, after: page.after, limit: page.limit + 1 });
  return { tasks: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}

const taskOwnedBy = prepare('task-owned-by', (p: { taskId: string; userId: number }, qb) =>
  qb.selectFrom('tasks').select('id').where('taskId', '=', p.taskId).where('userId', '=', p.userId),
);

/** Whether `taskId` names a task of `userId`'s, deleted or not (for telling a bad cursor from an empty page). */
export async function ownsTask(db: Queryable, taskId: string, userId: number): Promise<boolean> {
  return (await taskOwnedBy.first(db, { taskId, userId })) !== undefined;
}

// Deleting hides the task from its owner; its books stay. Its stored video goes at the next
// retention pass, which this brings forward to now.
const softDelete = prepare('soft-delete-task', (p: { taskId: string; userId: number }, qb) =>
  qb
    .updateTable('tasks')
    .set((eb) => ({
      deletedAt: sql`now()`,
      updatedAt: sql`now()`,
      resultExpiresAt: eb.case().when('resultCopy', '=', 'stored').then(sql<Date>`now()`).else(eb.ref('resultExpiresAt')).end(),
    }))
    .where('taskId', '=', p.taskId)
    .where('userId', '=', p.userId)
    .where('deletedAt', 'is', null),
);

export async function softDeleteTask(db: Queryable, taskId: string, userId: number): Promise<boolean> {
  return (await softDelete.affected(db, { taskId, userId })) === 1;
}

const findKeyUse = prepare('find-idempotency-key', (p: { userId: number; key: string }, qb) =>
  qb.selectFrom('idempotencyKeys').select(['requestHash', 'taskId']).where('userId', '=', p.userId).where('key', '=', p.key),
);

/** The task an Idempotency-Key was used for within 24 hours, and the hash of that request. */
export async function findIdempotencyKeyUse(db: Queryable, userId: number, key: string): Promise<{ requestHash: string; taskId: string } | null> {
  return (await findKeyUse.first(db, { userId, key })) ?? null;
}

/** Forgets idempotency keys past their 24 hours; returns how many. */
export async function purgeIdempotencyKeys(db: Queryable): Promise<number> {
  const result = await db.deleteFrom('idempotencyKeys').where('createdAt', '<', sql<Date>`now() - interval '24 hours'`).executeTakeFirst();
  return Number(result.numDeletedRows);
}

const queuePositionQuery = prepare('queue-position', (p: { model: string; id: number }, qb) =>
  qb.selectFrom('tasks').select(sql<number>`count(*)::int`.as('ahead')).where('status', '=', 'NOT_START').where('model', '=', p.model).where('id', '<', p.id),
);

/** How many tasks of the same model were accepted before this one and are not yet submitted upstream. */
export async function queuePosition(db: Queryable, task: Pick<TaskRow, 'model' | 'id'>): Promise<number> {
  return (await queuePositionQuery.first(db, { model: task.model, id: task.id }))?.ahead ?? 0;
}

const canPayQuery = prepare('can-pay', (p: { userId: number; keyId: number; quota: bigint }, qb) =>
  qb
    .selectFrom('users as u')
    .innerJoin('apiKeys as k', 'k.userId', 'u.id')
    .select('u.id')
    .where('u.id', '=', p.userId)
    .where('k.id', '=', p.keyId)
    .where('u.quota', '>=', p.quota)
    .where((eb) => eb.or([eb('k.quotaLimit', 'is', null), eb(eb('k.quotaLimit', '-', eb.ref('k.quotaUsed')), '>=', p.quota)])),
);

/**
 * Whether the user (and the key's own limit) can pay for `task` right now, read without locking: a
 * request that brings images checks this before it writes them (the charge itself decides, and
 * may still refuse).
 */
export async function canPay(db: Queryable, task: NewTask): Promise<boolean> {
  return (await canPayQuery.first(db, { userId: task.userId, keyId: task.keyId, quota: BigInt(task.price.quota) })) !== undefined;
}
