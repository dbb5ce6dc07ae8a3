// The money path of submits, many at a time: one statement and one commit for every submit that
// arrives together (charge-batcher.ts collects them). In order:
//
//   1. lock the paying users, then their keys, each in id order (every writer of these rows locks
//      users before keys, so concurrent batches and settlements queue instead of deadlocking), each
//      row found by its primary key: a join against the batch's ids let the planner scan the whole
//      table, every user and every dead version of their rows, on every batch;
//   2. decide each request against the locked balances with running sums in arrival order: the
//      user's quota, the key's own spending limit, the key's limit of unfinished tasks;
//   3. claim the Idempotency-Keys of the requests that passed (a key already in use is not charged);
//   4. debit each user and key once, by the sum of its charged requests; insert the tasks, their
//      consume logs and their rows in task_dispatch (from which the dispatcher queues them).
//
// Every row comes back with its verdict. A running sum counts every earlier request of the batch,
// charged or not, so a charged request is always covered; a request refused while an earlier one
// of its user or key was not charged may have been refused for nothing, and the batcher sends it
// again with the next batch, where it is decided afresh.
import { sql } from 'kysely';
import type { Queryable } from '../../db/database.ts';
import { prepare } from '../../db/prepared.ts';
import type { PriceSnapshot } from '../pricing/quota.ts';
import type { NormalizedRequest } from './normalize-request.ts';
import { LOG_TYPE, type TaskRow } from './tasks.repository.ts';

/** One submit of a batch, as the statement reads it (snake_case: it travels as JSON). */
export interface ChargeRow {
  ord: number;
  user_id: number;
  key_id: number;
  quota: number;
  task_id: string;
  platform: string;
  group: string;
  model: string;
  action: string;
  price_snapshot: PriceSnapshot;
  request: NormalizedRequest;
  callback_url: string | null;
  webhook_events: string[];
  remixed_from: string | null;
  log_content: string;
  idem_key: string | null;
  idem_hash: string | null;
  /** The submit's trace context, when tracing is on. */
  traceparent: string | null;
}

export type Verdict =
  /** Passed every limit; charged unless its Idempotency-Key was taken. */
  | 'ok'
  /** The user's balance does not cover it. */
  | 'quota'
  /** The key's own spending limit does not cover it. */
  | 'key_quota'
  /** The key is at its limit of unfinished tasks. */
  | 'inflight';

/**
 * What the database makes for a new task: its id and its time. Everything else in the row is
 * what the charge wrote or a default of the table, which the caller knows already (reading back
 * the whole record cost the API more than the rest of the statement's answer). The submit, created
 * and updated times are all now() of the charge's transaction: one is read, and stands for all three.
 */
export const CREATED_COLUMNS = ['id', 'taskId', 'createdAt'] as const satisfies readonly (keyof TaskRow)[];
export type CreatedTask = Pick<TaskRow, (typeof CREATED_COLUMNS)[number]>;

export interface ChargeResult {
  ord: number;
  verdict: Verdict;
  /** The task, when this row was charged. */
  created: CreatedTask | null;
}

/** The same row as the statement's queries see it (the plugin maps user_id to userId). */
interface ChargeInput {
  ord: number;
  userId: number;
  keyId: number;
  quota: bigint;
  taskId: string;
  platform: string;
  group: string;
  model: string;
  action: string;
  priceSnapshot: PriceSnapshot;
  request: NormalizedRequest;
  callbackUrl: string | null;
  webhookEvents: string[];
  remixedFrom: string | null;
  logContent: string;
  idemKey: string | null;
  idemHash: string | null;
  traceparent: string | null;
}

const chargeBatchQuery = prepare('charge-batch', (p: { batch: string }, qb) =>
  qb
    .with('req', (db) =>
      db
        .selectFrom(
          sql<ChargeInput>`jsonb_to_recordset(${p.batch}::jsonb)`.as<'r'>(
            sql`r(ord int, user_id int, key_id int, quota bigint, task_id text, platform text, "group" text, model text, action text,
                  price_snapshot jsonb, request jsonb, callback_url text, webhook_events text[], remixed_from text, log_content text, idem_key text, idem_hash text, traceparent text)`,
          ),
        )
        .selectAll(),
    )
    .with('payers', (db) =>
      db
        .selectFrom((eb) => eb.selectFrom('req').select('userId').distinct().orderBy('userId').as('r'))
        .innerJoinLateral(
          (eb) => eb.selectFrom('users').select(['id', 'quota', 'maxInflight']).whereRef('users.id', '=', 'r.userId').forUpdate().as('u'),
          (join) => join.onTrue(),
        )
        .select(['u.id', 'u.quota', 'u.maxInflight']),
    )
    // The payers' locks first: this scalar subquery is evaluated before the first key is read.
    .with('keys', (db) =>
      db
        .selectFrom((eb) => eb.selectFrom('req').select('keyId').distinct().orderBy('keyId').as('r'))
        .innerJoinLateral(
          (eb) =>
            eb
              .selectFrom('apiKeys')
              .select(['id', 'quotaLimit', 'quotaUsed', 'maxInflight', 'inflightTasks'])
              .whereRef('apiKeys.id', '=', 'r.keyId')
              .forUpdate()
              .as('k'),
          (join) => join.onTrue(),
        )
        .where((eb) => eb(eb.selectFrom('payers').select(sql<number>`count(*)`.as('n')), '>=', 0))
        .select(['k.id', 'k.quotaLimit', 'k.quotaUsed', 'k.maxInflight', 'k.inflightTasks']),
    )
    .with('decided', (db) =>
      db
        .selectFrom('req as r')
        .innerJoin('payers as p', 'p.id', 'r.userId')
        .innerJoin('keys as k', 'k.id', 'r.keyId')
        // Only what the decision reads: the window functions sort these rows, and the request's
        // body and price would double the work of every sort. `charged` joins the rest back.
        .select(['r.ord', 'r.userId', 'r.keyId', 'r.quota', 'r.taskId', 'r.idemKey', 'r.idemHash'])
        .select((eb) => [
          'p.quota as balance',
          'k.quotaLimit',
          'k.quotaUsed',
          'k.inflightTasks',
          eb.fn.coalesce('k.maxInflight', 'p.maxInflight').as('maxInflight'),
          eb.fn.sum<bigint>('r.quota').over((ob) => ob.partitionBy('r.userId').orderBy('r.ord')).as('userRunning'),
          eb.fn.sum<bigint>('r.quota').over((ob) => ob.partitionBy('r.keyId').orderBy('r.ord')).as('keyRunning'),
          eb.fn.countAll<number>().over((ob) => ob.partitionBy('r.keyId').orderBy('r.ord')).as('keyCount'),
        ]),
    )
    .with('verdicts', (db) =>
      db.selectFrom('decided as d').selectAll('d').select((eb) =>
        eb
          .case()
          .when('d.userRunning', '>', eb.ref('d.balance'))
          .then(sql.lit<Verdict>('quota'))
          .when(eb.and([eb('d.quotaLimit', 'is not', null), eb(eb('d.quotaUsed', '+', eb.ref('d.keyRunning')), '>', eb.ref('d.quotaLimit'))]))
          .then(sql.lit<Verdict>('key_quota'))
          .when(eb.and([eb('d.maxInflight', 'is not', null), eb(eb('d.inflightTasks', '+', eb.ref('d.keyCount')), '>', eb.ref('d.maxInflight'))]))
          .then(sql.lit<Verdict>('inflight'))
          .else(sql.lit<Verdict>('ok'))
          .end()
          .as('verdict'),
      ),
    )
    // A key used less than 24 hours ago keeps its task; an older use is taken over.
    .with('claims', (db) =>
      db
        .insertInto('idempotencyKeys')
        .columns(['userId', 'key', 'requestHash', 'taskId'])
        .expression((eb) =>
          eb
            .selectFrom('verdicts')
            .select((e) => ['userId', e.fn.coalesce('idemKey', e.val('')).as('key'), e.fn.coalesce('idemHash', e.val('')).as('requestHash'), 'taskId'])
            .where('verdict', '=', 'ok')
            .where('idemKey', 'is not', null),
        )
        .onConflict((oc) =>
          oc
            .columns(['userId', 'key'])
            .doUpdateSet((eb) => ({ requestHash: eb.ref('excluded.requestHash'), taskId: eb.ref('excluded.taskId'), createdAt: sql`now()` }))
            .where('idempotencyKeys.createdAt', '<', sql<Date>`now() - interval '24 hours'`),
        )
        .returning('taskId'),
    )
    .with('charged', (db) =>
      db
        .selectFrom('verdicts as v')
        .innerJoin('req as r', 'r.ord', 'v.ord')
        .selectAll('r')
        .where('v.verdict', '=', 'ok')
        .where((eb) => eb.or([eb('v.idemKey', 'is', null), eb('v.taskId', 'in', eb.selectFrom('claims').select('taskId'))])),
    )
    .with('userDebit', (db) =>
      db
        .updateTable('users as u')
        .from((eb) => eb.selectFrom('charged').select((e) => ['userId', e.fn.sum<bigint>('quota').as('total')]).groupBy('userId').as('c'))
        .set((eb) => ({ quota: eb('u.quota', '-', eb.ref('c.total')), usedQuota: eb('u.usedQuota', '+', eb.ref('c.total')), updatedAt: sql`now()` }))
        .whereRef('u.id', '=', 'c.userId'),
    )
    .with('keyDebit', (db) =>
      db
        .updateTable('apiKeys as k')
        .from((eb) =>
          eb
            .selectFrom('charged')
            .select((e) => ['keyId', e.fn.sum<bigint>('quota').as('total'), sql<number>`count(*)::int`.as('tasks')])
            .groupBy('keyId')
            .as('c'),
        )
        .set((eb) => ({ quotaUsed: eb('k.quotaUsed', '+', eb.ref('c.total')), inflightTasks: eb('k.inflightTasks', '+', eb.ref('c.tasks')) }))
        .whereRef('k.id', '=', 'c.keyId'),
    )
    .with('task', (db) =>
      db
        .insertInto('tasks')
        .columns(['taskId', 'platform', 'userId', 'keyId', 'group', 'model', 'upstreamModel', 'action', 'quota', 'priceSnapshot', 'request', 'callbackUrl', 'webhookEvents', 'remixedFrom', 'traceparent'])
        .expression((eb) =>
          eb
            .selectFrom('charged')
            .select(['taskId', 'platform', 'userId', 'keyId', 'group', 'model', 'model as upstreamModel', 'action', 'quota', 'priceSnapshot', 'request', 'callbackUrl', 'webhookEvents', 'remixedFrom', 'traceparent']),
        )
        .returning(CREATED_COLUMNS),
    )
    .with('consumeLog', (db) =>
      db
        .insertInto('logs')
        .columns(['type', 'userId', 'keyId', 'taskId', 'model', 'quota', 'content'])
        .expression((eb) =>
          eb.selectFrom('charged').select([eb.lit(LOG_TYPE.consume).as('type'), 'userId', 'keyId', 'taskId', 'model', 'quota', 'logContent']),
        ),
    )
    // The queue's source of truth: the dispatcher moves it into BullMQ (src/jobs/dispatcher.ts).
    .with('queued', (db) => db.insertInto('taskDispatch').columns(['id', 'taskId']).expression((eb) => eb.selectFrom('task').select(['id', 'taskId'])))
    .selectFrom('verdicts as v')
    .leftJoin('task as t', 't.taskId', 'v.taskId')
    .select(['v.ord', 'v.verdict'])
    .select(CREATED_COLUMNS.map((column) => `t.${column}` as const))
    .orderBy('v.ord'),
);

/**
 * Charges a batch in one statement; one result per row, in `ord` order. A row whose user or key no
 * longer exists comes back refused for quota.
 */
export async function chargeBatch(db: Queryable, rows: ChargeRow[]): Promise<ChargeResult[]> {
  const found = await chargeBatchQuery.rows(db, { batch: JSON.stringify(rows) });
  const byOrd = new Map<number, ChargeResult>();
  for (const { ord, verdict, ...created } of found) {
    // The task's columns are all null when the row was not charged.
    byOrd.set(ord, { ord, verdict, created: created.id === null ? null : (created as CreatedTask) });
  }
  return rows.map((r) => byOrd.get(r.ord) ?? { ord: r.ord, verdict: 'quota', created: null });
}

/** Which of these tasks exist (after a batch whose outcome is unknown: the connection died). */
export async function createdTasks(db: Queryable, taskIds: string[]): Promise<CreatedTask[]> {
  return taskIds.length === 0 ? [] : db.selectFrom('tasks').select(CREATED_COLUMNS).where('taskId', 'in', taskIds).execute();
}
