// Updates to tasks that are still under way. Each is conditional on the task not being final, so
// a late or duplicate observation can never reopen a settled task.
import { sql } from 'kysely';
import type { Queryable } from '../db/database.ts';
import type { UpstreamBody } from '../db/json-columns.ts';
import { prepare } from '../db/prepared.ts';

interface Submitted {
  channelId: number;
  upstreamModel: string;
  upstreamTaskId: string;
  data: UpstreamBody;
  progress: number;
}

const claimSubmitQuery = prepare('claim-submit', (p: { id: number; channelId: number; upstreamModel: string }, qb) =>
  qb
    .updateTable('tasks')
    .set((eb) => ({
      submitStartedAt: sql`now()`,
      channelId: p.channelId,
      upstreamModel: p.upstreamModel,
      attempts: eb('attempts', '+', 1),
      updatedAt: sql`now()`,
    }))
    .where('id', '=', p.id)
    .where('status', '=', 'NOT_START')
    .where('upstreamTaskId', 'is', null)
    .where('submitStartedAt', 'is', null)
    .returning('submitStartedAt'),
);

/**
 * Records, before the request leaves, that the task is being submitted to `channelId`: if the
 * answer never gets recorded (the worker dies, the connection breaks after the request was sent),
 * the mark stays and the next look finds the upstream task in the account's task list instead of
 * submitting a second one. Null when the task is not open for a submit (another worker's is under
 * way or was lost, or the task has moved on).
 */
export async function claimSubmit(db: Queryable, id: number, s: { channelId: number; upstreamModel: string }): Promise<Date | null> {
  return (await claimSubmitQuery.first(db, { ...s, id }))?.submitStartedAt ?? null;
}

const markSubmittedQuery = prepare('mark-submitted', (p: Submitted & { id: number }, qb) =>
  qb
    .updateTable('tasks')
    .set((eb) => ({
      status: 'QUEUED',
      channelId: p.channelId,
      upstreamModel: p.upstreamModel,
      upstreamTaskId: p.upstreamTaskId,
      submitStartedAt: null,
      data: eb.cast<UpstreamBody>(eb.val(p.data), 'jsonb'),
      progress: eb.fn('greatest', [eb.ref('progress'), eb.val(p.progress)]),
      updatedAt: sql`now()`,
    }))
    .where('id', '=', p.id)
    .where('status', '=', 'NOT_START')
    .where('upstreamTaskId', 'is', null),
);

/**
 * Records that the upstream accepted the task. Returns false when another worker got there
 * first, in which case the caller's upstream task is a duplicate.
 */
export async function markSubmitted(db: Queryable, id: number, s: Submitted): Promise<boolean> {
  return (await markSubmittedQuery.affected(db, { ...s, id })) === 1;
}

const recordSubmitFailureQuery = prepare('record-submit-failure', (p: { id: number; body: UpstreamBody | null }, qb) =>
  qb
    .updateTable('tasks')
    .set((eb) => ({
      submitStartedAt: null,
      data: eb.fn.coalesce(eb.cast<UpstreamBody>(eb.val(p.body), 'jsonb'), eb.ref('data')),
      updatedAt: sql`now()`,
    }))
    .where('id', '=', p.id)
    .where('status', '=', 'NOT_START'),
);

/**
 * Records a submit the upstream answered with a refusal (no task was created): the mark is
 * cleared, and the channel it went to stays recorded, so the next attempt can go elsewhere;
 * `body` is the upstream's answer, when one came.
 */
export async function recordSubmitFailure(db: Queryable, id: number, body: UpstreamBody | null): Promise<void> {
  await recordSubmitFailureQuery.affected(db, { id, body });
}

const clearLostSubmitQuery = prepare('clear-lost-submit', (p: { id: number; startedAt: Date }, qb) =>
  qb.updateTable('tasks').set({ submitStartedAt: null, updatedAt: sql`now()` }).where('id', '=', p.id).where('submitStartedAt', '=', p.startedAt),
);

/** A lost submit that created nothing upstream (or whose task was dealt with): the mark goes. */
export async function clearLostSubmit(db: Queryable, id: number, startedAt: Date): Promise<boolean> {
  return (await clearLostSubmitQuery.affected(db, { id, startedAt })) === 1;
}

const releaseClaimQuery = prepare('release-submit-claim', (p: { id: number; startedAt: Date }, qb) =>
  qb
    .updateTable('tasks')
    .set((eb) => ({ submitStartedAt: null, attempts: eb('attempts', '-', 1), updatedAt: sql`now()` }))
    .where('id', '=', p.id)
    .where('submitStartedAt', '=', p.startedAt),
);

/**
 * Gives back a claim whose request never left (the channel's budget had no room): the task is as
 * it was before the claim. `attempts` counts requests sent upstream, and drives the back-off after
 * a refusal; a task that waited its turn behind a busy channel must not back off as if it had failed.
 */
export async function releaseSubmitClaim(db: Queryable, id: number, startedAt: Date): Promise<void> {
  await releaseClaimQuery.affected(db, { id, startedAt });
}

interface Poll {
  status: 'QUEUED' | 'IN_PROGRESS';
  progress: number;
  data: UpstreamBody;
  unknownSince: Date | null;
  /** When the upstream says the task started running; the time it was first seen running otherwise. */
  startedAt: Date | null;
}

// An upstream PENDING after RUNNING does not take a task back to QUEUED; progress only grows.
const recordPollQuery = prepare('record-poll', (p: Poll & { id: number }, qb) =>
  qb
    .updateTable('tasks')
    .set((eb) => ({
      status: eb.case().when('status', '=', 'IN_PROGRESS').then(eb.ref('status')).else(eb.cast<'QUEUED' | 'IN_PROGRESS'>(eb.val(p.status), sql`task_status`)).end(),
      startTime: eb
        .case()
        .when(eb.val(p.status), '=', 'IN_PROGRESS')
        .then(eb.fn.coalesce(eb.cast<Date | null>(eb.val(p.startedAt), 'timestamptz'), 'startTime', sql<Date>`now()`))
        .else(eb.ref('startTime'))
        .end(),
      progress: eb.fn('greatest', [eb.ref('progress'), eb.val(p.progress)]),
      data: eb.cast<UpstreamBody>(eb.val(p.data), 'jsonb'),
      unknownSince: p.unknownSince,
      updatedAt: sql`now()`,
    }))
    .where('id', '=', p.id)
    .where('status', 'in', ['QUEUED', 'IN_PROGRESS']),
);

export async function recordPoll(db: Queryable, id: number, p: Poll): Promise<void> {
  await recordPollQuery.affected(db, { ...p, id });
}
