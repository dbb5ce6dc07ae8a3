// The webhook_deliveries table: one row per attempt, which is also how the gateway knows how many
// attempts a webhook (one event of a task, a task_webhooks row) has had and when the last one
// ended, whatever happened to the workers.
//
// Claiming an attempt: several jobs may carry the same event's webhook at once (a job re-run after
// its worker's lock lapsed, a reconciler's revival, a duplicate enqueue). Each one claims its
// attempt in a short transaction that holds a transaction-scoped advisory lock on that webhook;
// under it, each statement sees everything committed before, so the check (state still
// pending, no attempt in flight, the back-off over) and the insert of the attempt's row cannot
// interleave with another claim. The second claimant finds the first one's row and waits instead.
// The lock lives only for the claim, not the HTTP request, so no database connection is held
// while a receiver takes its time; and it is an advisory lock rather than a row lock on the task,
// so it never blocks the task's other writers.
import { type Selectable, sql } from 'kysely';
import type { Db, Queryable, Tx } from '../db/database.ts';
import { prepare } from '../db/prepared.ts';
import type { WebhookDelivery } from '../generated/kysely/database.ts';
import { newestFirst, type PageRequest, toPage } from '../lib/newest-first.ts';
import { unixSeconds } from '../lib/time.ts';
import type { WebhookEvent } from './events.ts';

/** The error text of an attempt under way; it becomes the outcome when the attempt ends. */
export const IN_FLIGHT = 'in flight';
export const ABANDONED = 'abandoned: the worker stopped before the attempt ended';
export const NO_SECRET = "no webhook secret: the task's API key has none, or the key is gone";

// Keeps these locks apart from any other use of advisory locks (the two-key form).
const LOCK_NAMESPACE = 0x77_68_6b;

export interface ClaimPolicy {
  maxAttempts: number;
  /** An attempt without an outcome this long after it began belonged to a worker that died. */
  abandonAfterMs: number;
  /** The wait after failed attempt number `attempt` before the next. */
  retryDelayMs: (attempt: number) => number;
}

export type Claim =
  /** Nothing (more) to send. */
  | { kind: 'none' }
  /** Not yet: an attempt is under way, or the back-off is not over. */
  | { kind: 'wait'; delayMs: number }
  /** This caller, and only this one, makes attempt number `attempt` now. */
  | { kind: 'attempt'; deliveryId: string; attempt: number; url: string; secret: string; occurredAt: Date };

interface WebhookKey {
  taskId: string;
  event: string;
}

// clock_timestamp(), not now(): the transaction may have waited for the lock.
const webhookState = prepare('webhook-state', (p: WebhookKey, qb) =>
  qb
    .selectFrom('taskWebhooks as w')
    .innerJoin('tasks as t', 't.taskId', 'w.taskId')
    .leftJoin('apiKeys as k', 'k.id', 't.keyId')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('webhookDeliveries as d')
          .select(['d.id', 'd.error', 'd.durationMs', 'd.createdAt'])
          .whereRef('d.taskId', '=', 'w.taskId')
          .whereRef('d.event', '=', 'w.event')
          .orderBy('d.id', 'desc')
          .limit(1)
          .as('last'),
      (join) => join.onTrue(),
    )
    .select((eb) => [
      'w.state',
      'w.createdAt as occurredAt',
      't.callbackUrl',
      'k.webhookSecret',
      eb
        .selectFrom('webhookDeliveries as d')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('d.taskId', '=', 'w.taskId')
        .whereRef('d.event', '=', 'w.event')
        .as('attempts'),
      'last.id as lastId',
      'last.error as lastError',
      'last.durationMs as lastDurationMs',
      sql<number | null>`(extract(epoch FROM clock_timestamp() - ${eb.ref('last.createdAt')}) * 1000)::float8`.as('msSinceLastStart'),
    ])
    .where('w.taskId', '=', p.taskId)
    .where('w.event', '=', p.event),
);

const setState = prepare('webhook-set-state', (p: WebhookKey & { state: 'none' | 'failed' }, qb) =>
  qb.updateTable('taskWebhooks').set({ state: p.state }).where('taskId', '=', p.taskId).where('event', '=', p.event).where('state', '=', 'pending'),
);

const insertAttempt = prepare('webhook-insert-attempt', (p: { taskId: string; url: string; event: string; attempt: number; error: string }, qb) =>
  qb
    .insertInto('webhookDeliveries')
    .values({ taskId: p.taskId, url: p.url, event: p.event, attempt: p.attempt, statusCode: null, error: p.error, durationMs: 0, delivered: false, createdAt: sql`clock_timestamp()` })
    .returning('id'),
);

const abandon = prepare('webhook-abandon-attempt', (p: { id: bigint }, qb) =>
  qb.updateTable('webhookDeliveries').set({ error: ABANDONED }).where('id', '=', p.id).where('error', '=', IN_FLIGHT),
);

async function decide(tx: Tx, key: WebhookKey, policy: ClaimPolicy): Promise<Claim> {
  const state = await webhookState.first(tx, key);
  if (!state || state.state !== 'pending') return { kind: 'none' };
  if (state.callbackUrl === null) {
    await setState.affected(tx, { ...key, state: 'none' });
    return { kind: 'none' };
  }

  const attempts = state.attempts ?? 0;
  let lastDurationMs = state.lastDurationMs ?? 0;
  const sinceLastStart = state.msSinceLastStart ?? 0;
  if (state.lastError === IN_FLIGHT && state.lastId !== null) {
    if (sinceLastStart < policy.abandonAfterMs) return { kind: 'wait', delayMs: Math.ceil(policy.abandonAfterMs - sinceLastStart) };
    await abandon.affected(tx, { id: state.lastId });
    lastDurationMs = 0;
  }
  if (attempts >= policy.maxAttempts) {
    await setState.affected(tx, { ...key, state: 'failed' });
    return { kind: 'none' };
  }
  if (attempts > 0) {
    const waited = sinceLastStart - lastDurationMs;
    const due = policy.retryDelayMs(attempts);
    if (waited < due) return { kind: 'wait', delayMs: Math.ceil(due - waited) };
  }

  const attempt = attempts + 1;
  const url = state.callbackUrl;
  if (state.webhookSecret === null) {
    await insertAttempt.rows(tx, { ...key, url, attempt, error: NO_SECRET });
    await setState.affected(tx, { ...key, state: 'failed' });
    return { kind: 'none' };
  }
  const inserted = await insertAttempt.first(tx, { ...key, url, attempt, error: IN_FLIGHT });
  return { kind: 'attempt', deliveryId: String(inserted?.id), attempt, url, secret: state.webhookSecret, occurredAt: state.occurredAt };
}

/** Decides, for one job run, whether to make an attempt now, wait, or stop; see the top of the file. */
export async function claimAttempt(db: Db, taskId: string, event: WebhookEvent, policy: ClaimPolicy): Promise<Claim> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${`${taskId} ${event}`}))`.execute(tx);
    return decide(tx, { taskId, event }, policy);
  });
}

export interface AttemptOutcome {
  statusCode: number | null;
  error: string;
  durationMs: number;
  delivered: boolean;
}

interface Finish extends AttemptOutcome {
  id: bigint;
  settle: 'delivered' | 'failed' | null;
}

// The attempt's outcome and, when it settles the webhook, the webhook's state, in one statement.
const finish = prepare('finish-webhook-attempt', (p: Finish, qb) =>
  qb
    .with('attempt', (db) =>
      db
        .updateTable('webhookDeliveries')
        .set({ statusCode: p.statusCode, error: p.error, durationMs: p.durationMs, delivered: p.delivered })
        .where('id', '=', p.id)
        .returning(['taskId', 'event']),
    )
    .updateTable('taskWebhooks as w')
    .from('attempt as a')
    .set((eb) => ({ state: eb.cast(eb.val(p.settle), sql`webhook_state`) }))
    .where(sql<boolean>`${p.settle}::webhook_state IS NOT NULL`)
    .whereRef('w.taskId', '=', 'a.taskId')
    .whereRef('w.event', '=', 'a.event')
    .where('w.state', '=', 'pending'),
);

/** Records how attempt `deliveryId` ended; `settle` moves its webhook to its final state. */
export async function finishAttempt(db: Queryable, deliveryId: string, outcome: AttemptOutcome, settle: 'delivered' | 'failed' | null): Promise<void> {
  await finish.affected(db, { ...outcome, id: BigInt(deliveryId), settle });
}

export function toDeliveryView(delivery: Selectable<WebhookDelivery>) {
  return {
    id: delivery.id.toString(),
    task_id: delivery.taskId,
    url: delivery.url,
    event: delivery.event,
    attempt: delivery.attempt,
    status_code: delivery.statusCode,
    error: delivery.error,
    duration_ms: delivery.durationMs,
    delivered: delivery.delivered,
    created_at: unixSeconds(delivery.createdAt),
  };
}

export interface DeliveryFilter extends PageRequest {
  task_id?: string;
}

/** Newest first; `nextCursor` continues with older attempts. */
export async function listDeliveries(db: Db, filter: DeliveryFilter): Promise<{ rows: Selectable<WebhookDelivery>[]; nextCursor: string | null }> {
  let query = db.selectFrom('webhookDeliveries').selectAll();
  if (filter.task_id !== undefined) query = query.where('taskId', '=', filter.task_id);
  return toPage(await newestFirst(query, filter).execute(), filter.limit);
}

// Attempts of a webhook still being sent are kept whatever their age: they count towards its
// WEBHOOK_MAX_ATTEMPTS. Deleted in batches, so no statement holds many locks for long.
const PURGE_BATCH = 5_000;

/** Runs a delete of at most PURGE_BATCH rows until one deletes fewer; returns how many went. */
async function deleteInBatches(deleteBatch: () => Promise<{ numDeletedRows: bigint }>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = Number((await deleteBatch()).numDeletedRows);
    deleted += count;
    if (count < PURGE_BATCH) return deleted;
  }
}

/**
 * Deletes the attempts made before `olderThan` of webhooks that are settled, and those settled
 * webhooks themselves once they are that old; returns how many attempts went.
 */
export async function purgeDeliveries(db: Queryable, olderThan: Date): Promise<number> {
  const attempts = await deleteInBatches(() =>
    db
      .deleteFrom('webhookDeliveries')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('webhookDeliveries as d')
          .select('d.id')
          .where('d.createdAt', '<', olderThan)
          .where((inner) =>
            inner.not(
              inner.exists(
                inner.selectFrom('taskWebhooks as w').select('w.id').whereRef('w.taskId', '=', 'd.taskId').whereRef('w.event', '=', 'd.event').where('w.state', '=', 'pending'),
              ),
            ),
          )
          .limit(PURGE_BATCH),
      )
      .executeTakeFirst(),
  );
  await deleteInBatches(() =>
    db
      .deleteFrom('taskWebhooks')
      .where('id', 'in', (eb) => eb.selectFrom('taskWebhooks').select('id').where('createdAt', '<', olderThan).where('state', '!=', 'pending').limit(PURGE_BATCH))
      .executeTakeFirst(),
  );
  return attempts;
}

/** Webhooks still to deliver, oldest first, after internal id `after`: what the reconciler revives. */
export async function pendingWebhooks(db: Queryable, after: bigint, limit: number) {
  return db.selectFrom('taskWebhooks').select(['id', 'taskId', 'event']).where('state', '=', 'pending').where('id', '>', after).orderBy('id').limit(limit).execute();
}
