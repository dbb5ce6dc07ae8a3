// The webhook_deliveries table: one row per attempt, which is also how the gateway knows how many
// attempts a webhook has had and when the last one ended, whatever happened to the workers.
//
// Claiming an attempt: several jobs may carry the same task's webhook at once (a job re-run after
// its worker's lock lapsed, a reconciler's revival, a duplicate enqueue). Each one claims its
// attempt in a short transaction that holds a transaction-scoped advisory lock on the task's
// webhook; under it, each statement sees everything committed before, so the check (state still
// pending, no attempt in flight, the back-off over) and the insert of the attempt's row cannot
// interleave with another claim. The second claimant finds the first one's row and waits instead.
// The lock lives only for the claim, not the HTTP request, so no database connection is held
// while a receiver takes its time; and it is an advisory lock rather than a row lock on the task,
// so it never blocks the task's other writers.
import type { PoolClient } from 'pg';
import type { WebhookDelivery } from '../generated/prisma/client.ts';
import type { Db, Sql } from '../lib/database.ts';
import { newestFirst, olderThan, type PageRequest, toPage } from '../lib/newest-first.ts';
import { unixSeconds } from '../lib/time.ts';
import type { WebhookEvent } from './payload.ts';

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
  | { kind: 'attempt'; deliveryId: string; attempt: number; url: string; secret: string };

interface StateRow {
  status: string;
  webhook_state: string;
  callback_url: string | null;
  webhook_secret: string | null;
  attempts: number;
  last_id: string | null;
  last_error: string | null;
  last_duration_ms: number | null;
  ms_since_last_start: number | null;
}

// clock_timestamp(), not now(): the transaction may have waited for the lock.
const STATE = `
SELECT t.status, t.webhook_state, t.callback_url, k.webhook_secret,
       (SELECT count(*)::int FROM webhook_deliveries d WHERE d.task_id = t.task_id) AS attempts,
       last.id::text AS last_id, last.error AS last_error, last.duration_ms AS last_duration_ms,
       (extract(epoch FROM clock_timestamp() - last.created_at) * 1000)::float8 AS ms_since_last_start
FROM tasks t
LEFT JOIN api_keys k ON k.id = t.key_id
LEFT JOIN LATERAL (
  SELECT id, error, duration_ms, created_at FROM webhook_deliveries d WHERE d.task_id = t.task_id ORDER BY d.id DESC LIMIT 1
) last ON true
WHERE t.task_id = $1`;

const SET_STATE = `UPDATE tasks SET webhook_state = $2::webhook_state WHERE task_id = $1 AND webhook_state = 'pending'`;

const INSERT_ATTEMPT = `
INSERT INTO webhook_deliveries (task_id, url, event, attempt, status_code, error, duration_ms, delivered, created_at)
VALUES ($1, $2, $3, $4, NULL, $5, 0, false, clock_timestamp())
RETURNING id::text`;

async function decide(client: PoolClient, taskId: string, event: WebhookEvent, policy: ClaimPolicy): Promise<Claim> {
  const state = (await client.query<StateRow>(STATE, [taskId])).rows[0];
  if (!state || state.webhook_state !== 'pending' || (state.status !== 'SUCCESS' && state.status !== 'FAILURE')) return { kind: 'none' };
  if (state.callback_url === null) {
    await client.query(SET_STATE, [taskId, 'none']);
    return { kind: 'none' };
  }

  let lastDurationMs = state.last_duration_ms ?? 0;
  const sinceLastStart = state.ms_since_last_start ?? 0;
  if (state.last_error === IN_FLIGHT) {
    if (sinceLastStart < policy.abandonAfterMs) return { kind: 'wait', delayMs: Math.ceil(policy.abandonAfterMs - sinceLastStart) };
    await client.query(`UPDATE webhook_deliveries SET error = $2 WHERE id = $1 AND error = $3`, [state.last_id, ABANDONED, IN_FLIGHT]);
    lastDurationMs = 0;
  }
  if (state.attempts >= policy.maxAttempts) {
    await client.query(SET_STATE, [taskId, 'failed']);
    return { kind: 'none' };
  }
  if (state.attempts > 0) {
    const waited = sinceLastStart - lastDurationMs;
    const due = policy.retryDelayMs(state.attempts);
    if (waited < due) return { kind: 'wait', delayMs: Math.ceil(due - waited) };
  }

  const attempt = state.attempts + 1;
  if (state.webhook_secret === null) {
    await client.query(INSERT_ATTEMPT, [taskId, state.callback_url, event, attempt, NO_SECRET]);
    await client.query(SET_STATE, [taskId, 'failed']);
    return { kind: 'none' };
  }
  const inserted = await client.query<{ id: string }>(INSERT_ATTEMPT, [taskId, state.callback_url, event, attempt, IN_FLIGHT]);
  return { kind: 'attempt', deliveryId: (inserted.rows[0] as { id: string }).id, attempt, url: state.callback_url, secret: state.webhook_secret };
}

/** Decides, for one job run, whether to make an attempt now, wait, or stop; see the top of the file. */
export async function claimAttempt(sql: Sql, taskId: string, event: WebhookEvent, policy: ClaimPolicy): Promise<Claim> {
  const client = await sql.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, taskId]);
    const claim = await decide(client, taskId, event, policy);
    await client.query('COMMIT');
    return claim;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

export interface AttemptOutcome {
  statusCode: number | null;
  error: string;
  durationMs: number;
  delivered: boolean;
}

// The attempt's outcome and, when it settles the webhook, the task's state, in one statement.
const FINISH = `
WITH attempt AS (
  UPDATE webhook_deliveries SET status_code = $2, error = $3, duration_ms = $4, delivered = $5 WHERE id = $1 RETURNING task_id
)
UPDATE tasks t SET webhook_state = $6::webhook_state
FROM attempt a
WHERE $6::webhook_state IS NOT NULL AND t.task_id = a.task_id AND t.webhook_state = 'pending'`;

/** Records how attempt `deliveryId` ended; `settle` moves the task's webhook to its final state. */
export async function finishAttempt(sql: Sql, deliveryId: string, outcome: AttemptOutcome, settle: 'delivered' | 'failed' | null): Promise<void> {
  await sql.query({
    name: 'finish-webhook-attempt',
    text: FINISH,
    values: [deliveryId, outcome.statusCode, outcome.error, outcome.durationMs, outcome.delivered, settle],
  });
}

export function toDeliveryView(delivery: WebhookDelivery) {
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
export async function listDeliveries(db: Db, filter: DeliveryFilter): Promise<{ rows: WebhookDelivery[]; nextCursor: string | null }> {
  const rows = await db.webhookDelivery.findMany({ where: { taskId: filter.task_id, id: olderThan(filter.cursor) }, ...newestFirst(filter) });
  return toPage(rows, filter.limit);
}

// Attempts of a webhook still being sent are kept whatever their age: they count towards its
// WEBHOOK_MAX_ATTEMPTS. Deleted in batches, so no statement holds many locks for long.
const PURGE = `
DELETE FROM webhook_deliveries WHERE id IN (
  SELECT d.id FROM webhook_deliveries d
  WHERE d.created_at < $1
    AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.task_id = d.task_id AND t.webhook_state = 'pending')
  LIMIT $2)`;
const PURGE_BATCH = 5_000;

/** Deletes the attempts made before `olderThan` of webhooks that are settled; returns how many. */
export async function purgeDeliveries(sql: Sql, olderThan: Date): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { rowCount } = await sql.query({ name: 'purge-webhook-deliveries', text: PURGE, values: [olderThan, PURGE_BATCH] });
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < PURGE_BATCH) return deleted;
  }
}
