// Tasks in PostgreSQL. Every query on the request path is prepared once (src/db/prepared.ts).
import { type Selectable, sql } from 'kysely';
import type { Queryable } from '../../db/database.ts';
import { prepare } from '../../db/prepared.ts';
import type { Task } from '../../generated/kysely/database.ts';
import { AppError } from '../../lib/errors.ts';
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
  remixedFrom: string | null;
}

export const insufficientQuota = (): AppError => new AppError('insufficient_user_quota', 'insufficient user quota');

// The record is read on every poll of every client; leaving the two largest JSON columns out of
// it measurably cuts the work of both PostgreSQL and the API per request.
const RECORD_COLUMNS = [
  'id', 'taskId', 'platform', 'userId', 'group', 'channelId', 'model', 'upstreamModel', 'action', 'status', 'progress',
  'failReason', 'resultUrl', 'resultCopy', 'resultKey', 'resultExpiresAt', 'quota', 'data', 'submitTime', 'startTime',
  'finishTime', 'createdAt', 'updatedAt',
] as const satisfies readonly (keyof Task)[];

/** What EasyRouter's task record shows; the request, the price and the worker's bookkeeping stay in the database. */
export type TaskRecordRow = Pick<TaskRow, (typeof RECORD_COLUMNS)[number]>;

/*
 * The money path of a submit as one statement, so it is one transaction and one round trip:
 * lock the user's row if the balance covers the price; debit the key's spend (within its own
 * limit, if it has one); debit the user only if the key debit happened; insert the task only if
 * the user debit happened; insert the consume log for the task and its row in task_dispatch,
 * from which the dispatcher queues it. When any condition fails, no
 * row changes and no row comes back. Locks are taken user first, then key, like every other
 * writer of these rows, so concurrent submits queue instead of deadlocking.
 */
const chargeAndInsert = prepare('charge-and-insert-task', (p: NewTask & { quota: bigint }, qb) =>
  qb
    .with('payer', (db) => db.selectFrom('users').select('id').where('id', '=', p.userId).where('quota', '>=', p.quota).forUpdate())
    .with('keyDebit', (db) =>
      db
        .updateTable('apiKeys')
        .set((eb) => ({ quotaUsed: eb('quotaUsed', '+', p.quota) }))
        .where('id', '=', p.keyId)
        .where((eb) => eb.or([eb('quotaLimit', 'is', null), eb(eb('quotaLimit', '-', eb.ref('quotaUsed')), '>=', p.quota)]))
        .where((eb) => eb.exists(eb.selectFrom('payer').select('id')))
        .returning('id'),
    )
    .with('userDebit', (db) =>
      db
        .updateTable('users')
        .set((eb) => ({ quota: eb('quota', '-', p.quota), usedQuota: eb('usedQuota', '+', p.quota), updatedAt: sql`now()` }))
        .where('id', '=', (eb) => eb.selectFrom('payer').select('id'))
        .where((eb) => eb.exists(eb.selectFrom('keyDebit').select('id')))
        .returning('id'),
    )
    .with('task', (db) =>
      db
        .insertInto('tasks')
        .columns(['taskId', 'platform', 'userId', 'keyId', 'group', 'model', 'upstreamModel', 'action', 'quota', 'priceSnapshot', 'request', 'callbackUrl', 'remixedFrom'])
        .expression((eb) =>
          eb
            .selectFrom('userDebit')
            .select([
              eb.val(p.taskId).as('taskId'),
              eb.val(p.platform).as('platform'),
              'id',
              eb.val(p.keyId).as('keyId'),
              eb.val(p.group).as('group'),
              eb.val(p.model).as('model'),
              eb.val(p.model).as('upstreamModel'),
              eb.val(p.action).as('action'),
              eb.val(p.quota).as('quota'),
              eb.cast(eb.val(p.price), 'jsonb').as('priceSnapshot'),
              eb.cast(eb.val(p.request), 'jsonb').as('request'),
              eb.val(p.callbackUrl).as('callbackUrl'),
              eb.val(p.remixedFrom).as('remixedFrom'),
            ]),
        )
        .returning(RECORD_COLUMNS),
    )
    .with('consumeLog', (db) =>
      db
        .insertInto('logs')
        .columns(['type', 'userId', 'keyId', 'taskId', 'model', 'quota', 'content', 'dedupeKey'])
        .expression((eb) =>
          eb
            .selectFrom('task')
            .select([
              eb.lit(LOG_TYPE.consume).as('type'),
              'userId',
              eb.val(p.keyId).as('keyId'),
              'taskId',
              'model',
              'quota',
              eb.val(p.logContent).as('content'),
              sql<string>`'charge:' || ${eb.ref('taskId')}`.as('dedupeKey'),
            ]),
        ),
    )
    // The queue's source of truth: the dispatcher moves it into BullMQ (src/jobs/dispatcher.ts).
    .with('queued', (db) => db.insertInto('taskDispatch').columns(['id', 'taskId']).expression((eb) => eb.selectFrom('task').select(['id', 'taskId'])))
    .selectFrom('task')
    .selectAll(),
);

/**
 * Charges the user (and the key's own limit) and records the task; 402 when either is short.
 * `db` may be a transaction (an idempotent submit) or the pool.
 */
export async function insertChargedTask(db: Queryable, task: NewTask): Promise<TaskRow> {
  const row = await chargeAndInsert.first(db, { ...task, quota: BigInt(task.price.quota) });
  if (!row) throw insufficientQuota();
  // The request and the price were just written from memory; reading them back would only cost.
  return {
    ...row,
    keyId: task.keyId,
    request: task.request,
    priceSnapshot: task.price,
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

export interface IdempotencyClaim {
  /** The task an earlier request with this key created, when there was one within 24 hours. */
  existing: { requestHash: string; taskId: string } | null;
}

interface ClaimParams {
  userId: number;
  key: string;
  requestHash: string;
  taskId: string;
}

// Takes the key for this request, or over from a use more than 24 hours old; a live use wins.
// A concurrent request holding the key uncommitted makes this wait for its outcome.
const claimKey = prepare('claim-idempotency-key', (p: ClaimParams, qb) =>
  qb
    .insertInto('idempotencyKeys')
    .values({ userId: p.userId, key: p.key, requestHash: p.requestHash, taskId: p.taskId })
    .onConflict((oc) =>
      oc
        .columns(['userId', 'key'])
        .doUpdateSet((eb) => ({ requestHash: eb.ref('excluded.requestHash'), taskId: eb.ref('excluded.taskId'), createdAt: sql`now()` }))
        .where('idempotencyKeys.createdAt', '<', sql<Date>`now() - interval '24 hours'`),
    )
    .returning('id'),
);

const findKeyUse = prepare('find-idempotency-key', (p: { userId: number; key: string }, qb) =>
  qb.selectFrom('idempotencyKeys').select(['requestHash', 'taskId']).where('userId', '=', p.userId).where('key', '=', p.key),
);

/** Within the caller's transaction: claims the key, or says which task it already belongs to. */
export async function claimIdempotencyKey(db: Queryable, claim: ClaimParams): Promise<IdempotencyClaim> {
  if (await claimKey.first(db, claim)) return { existing: null };
  return { existing: (await findKeyUse.first(db, claim)) ?? null };
}

/** Forgets idempotency keys past their 24 hours; returns how many. */
export async function purgeIdempotencyKeys(db: Queryable): Promise<number> {
  const result = await db.deleteFrom('idempotencyKeys').where('createdAt', '<', sql<Date>`now() - interval '24 hours'`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
