// The end of a task's life, exactly once. Moving a task to SUCCESS or FAILURE, recording what it
// finally costs, refunding the rest (to the user's balance and the key's spend, with a log of
// type 6) and releasing the key's count of unfinished tasks happen in one statement: the status change is a compare-and-swap on a non-final status,
// and only the statement that wins it moves money. A repeated settlement (a duplicate job, two
// workers, the reconciler) finds the task final and changes nothing; were it ever to get as far as
// the refund, the unique "refund:<task_id>" log key would stop it there.
import { sql } from 'kysely';
import type { Queryable } from '../db/database.ts';
import { prepare } from '../db/prepared.ts';
import type { UpstreamBody } from '../db/json-columns.ts';
import { LOG_TYPE, type TaskRow } from '../modules/tasks/tasks.repository.ts';
import type { Metrics } from '../observability/metrics.ts';
import { inSpan } from '../observability/tracing.ts';
import { reportsEvent, type WebhookEvent } from '../webhooks/events.ts';

export interface Settlement {
  status: 'SUCCESS' | 'FAILURE';
  /** "CODE: message"; empty for SUCCESS. */
  failReason: string;
  /** The video; empty for FAILURE. */
  resultUrl: string;
  /** The latest upstream body to keep as the task's `data`; null keeps the stored one. */
  data: UpstreamBody | null;
  /**
   * What the task costs in the end, at most what was charged; the difference is refunded.
   * 0 for a failure; the charge itself for most successes.
   */
  finalQuota: bigint;
  /** The refund log's description. */
  refundNote: string;
  /** The upstream's own times of the task's start and end, when it gave them; the end defaults to now. */
  startedAt?: Date | null;
  finishedAt?: Date | null;
}

const OPEN_STATUSES = ['NOT_START', 'QUEUED', 'IN_PROGRESS'] as const;

const settle = prepare('settle-task', (p: Settlement & { id: number; startedAt: Date | null; finishedAt: Date | null }, qb) =>
  qb
    .with('current', (db) =>
      db.selectFrom('tasks').select(['id', 'quota']).where('id', '=', p.id).where('status', 'in', OPEN_STATUSES).forUpdate(),
    )
    .with('settled', (db) =>
      db
        .updateTable('tasks as t')
        .from('current as c')
        .set((eb) => ({
          status: p.status,
          failReason: p.failReason,
          resultUrl: p.resultUrl,
          data: eb.fn.coalesce(eb.cast<UpstreamBody>(eb.val(p.data), 'jsonb'), eb.ref('t.data')),
          quota: eb.fn('least', [eb.ref('c.quota'), eb.val(p.finalQuota)]),
          progress: 100,
          startTime: eb.fn.coalesce(eb.cast<Date | null>(eb.val(p.startedAt), 'timestamptz'), 't.startTime'),
          finishTime: eb.fn.coalesce(eb.cast<Date | null>(eb.val(p.finishedAt), 'timestamptz'), sql<Date>`now()`),
          updatedAt: sql`now()`,
          // What is left to do once the task is final, recorded with it so that a crash right after
          // the commit cannot lose it: the reconciler finds it here.
          // (The webhook to send, if any, is written by the tasks_webhook_event trigger.)
          resultCopy: eb.case().when(eb.val(p.status), '=', 'SUCCESS').then(sql.lit('pending' as const)).else(eb.ref('t.resultCopy')).end(),
        }))
        .whereRef('t.id', '=', 'c.id')
        .returning((eb) => ['t.taskId', 't.userId', 't.keyId', 't.model', eb(eb.ref('c.quota'), '-', eb.ref('t.quota')).as('refund'), 't.resultCopy', 't.callbackUrl', 't.webhookEvents']),
    )
    .with('refundLog', (db) =>
      db
        .insertInto('logs')
        .columns(['type', 'userId', 'keyId', 'taskId', 'model', 'quota', 'content', 'dedupeKey'])
        .expression((eb) =>
          eb
            .selectFrom('settled')
            .select([
              eb.lit(LOG_TYPE.refund).as('type'),
              'userId',
              'keyId',
              'taskId',
              'model',
              'refund',
              eb.val(p.refundNote).as('content'),
              sql<string>`'refund:' || ${eb.ref('taskId')}`.as('dedupeKey'),
            ])
            .where('refund', '>', 0n),
        )
        // The predicate names the partial unique index on dedupe_key as the arbiter.
        .onConflict((oc) => oc.column('dedupeKey').where('dedupeKey', 'is not', null).doNothing())
        .returning(['userId', 'keyId', 'quota']),
    )
    .with('userCredit', (db) =>
      db
        .updateTable('users as u')
        .from('refundLog as r')
        .set((eb) => ({ quota: eb('u.quota', '+', eb.ref('r.quota')), usedQuota: eb('u.usedQuota', '-', eb.ref('r.quota')), updatedAt: sql`now()` }))
        .whereRef('u.id', '=', 'r.userId')
        .returning('u.id'),
    )
    // The key gives back what was refunded and counts one unfinished task fewer (never below zero,
    // so a miscount can only ever let a key run more, not block it for good).
    .with('keyRelease', (db) =>
      db
        .updateTable('apiKeys as k')
        .from('settled as s')
        .set((eb) => ({
          quotaUsed: eb('k.quotaUsed', '-', eb.fn.coalesce(eb.selectFrom('refundLog as r').select('r.quota').whereRef('r.keyId', '=', 'k.id'), sql<bigint>`0`)),
          inflightTasks: eb.fn<number>('greatest', [eb('k.inflightTasks', '-', 1), sql<number>`0`]),
        }))
        .whereRef('k.id', '=', 's.keyId')
        // After the user's row: every writer locks users before keys (the charge does), and the
        // sub-statements of one statement otherwise run in no set order, which deadlocked.
        .where((eb) => eb(eb.selectFrom('userCredit').select(sql<number>`count(*)`.as('n')), '>=', 0)),
    )
    .selectFrom('settled')
    .select(['refund', 'resultCopy', 'callbackUrl', 'webhookEvents']),
);

export interface Settled {
  refunded: bigint;
  /** The video is to be copied into the gateway's storage. */
  copyPending: boolean;
  /** The webhook event to send about the task's end, if it reports it. */
  webhookEvent: WebhookEvent | null;
}

/**
 * Settles the task with internal id `id`. Returns what this call did, or null when the task had
 * already been settled (by this or any other worker).
 */
export async function settleTask(db: Queryable, id: number, s: Settlement): Promise<Settled | null> {
  const row = await settle.first(db, { ...s, startedAt: s.startedAt ?? null, finishedAt: s.finishedAt ?? null, id });
  if (!row) return null;
  return { refunded: BigInt(row.refund), copyPending: row.resultCopy === 'pending', webhookEvent: reportsEvent(row, s.status) };
}

export interface SettleDeps {
  db: Queryable;
  metrics: Metrics;
}

/**
 * settleTask, counted and traced: every settlement (the worker's, a cancel, a force-fail, a timeout) comes
 * through here, and only the call that settled the task counts it, once it has committed.
 */
export function settleObserved(deps: SettleDeps, task: Pick<TaskRow, 'id' | 'taskId' | 'model' | 'submitTime'>, s: Settlement): Promise<Settled | null> {
  return inSpan('task.settle', { attributes: { 'vgw.task_id': task.taskId, 'vgw.task_status': s.status } }, async (span) => {
    const settled = await settleTask(deps.db, task.id, s);
    span.setAttribute('vgw.settled', settled !== null);
    if (settled) {
      const labels = { status: s.status, model: task.model };
      deps.metrics.tasksFinished.inc(labels);
      deps.metrics.taskDuration.observe(labels, (Date.now() - task.submitTime.getTime()) / 1000);
      if (settled.refunded > 0n) deps.metrics.quotaRefunded.inc({ model: task.model }, Number(settled.refunded));
    }
    return settled;
  });
}
