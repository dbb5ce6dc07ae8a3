// The task_dispatch table: tasks paid for and not yet in the task queue (see prisma/schema.prisma).
import { sql } from 'kysely';
import type { Db, Queryable } from '../db/database.ts';
import { CHANNELS } from '../db/listener.ts';
import { prepare } from '../db/prepared.ts';

const OPEN_STATUSES = ['NOT_START', 'QUEUED', 'IN_PROGRESS'] as const;

// SKIP LOCKED: several dispatchers (one per worker) each take rows nobody else holds.
const claim = prepare('dispatch-claim', (p: { limit: number }, qb) =>
  qb.selectFrom('taskDispatch').select(['id', 'taskId']).orderBy('id').limit(p.limit).forUpdate().skipLocked(),
);

const release = prepare('dispatch-release', (p: { ids: number[] }, qb) =>
  qb.deleteFrom('taskDispatch').where('id', '=', (eb) => eb.fn.any(eb.cast<number[]>(eb.val(p.ids), sql`int[]`))),
);

/**
 * Takes up to `limit` waiting tasks, hands their public ids to `enqueue`, and forgets them once it
 * succeeded, all in one transaction: a crash or a Redis error before the commit leaves them
 * waiting for the next run, and the queue's job ids (the task ids) make a repeat harmless.
 * Returns how many it moved.
 */
export async function dispatchBatch(db: Db, limit: number, enqueue: (taskIds: string[]) => Promise<void>): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const rows = await claim.rows(tx, { limit });
    if (rows.length === 0) return 0;
    await enqueue(rows.map((r) => r.taskId));
    await release.affected(tx, { ids: rows.map((r) => r.id) });
    return rows.length;
  });
}

/** Puts every unfinished task back to be queued (the queue lost its jobs); returns how many it added. */
export async function redispatchOpenTasks(db: Queryable): Promise<number> {
  const result = await db
    .insertInto('taskDispatch')
    .columns(['id', 'taskId'])
    .expression((eb) => eb.selectFrom('tasks').select(['id', 'taskId']).where('status', 'in', OPEN_STATUSES))
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

/** How many tasks wait to be queued (for health and metrics). */
export async function dispatchBacklog(db: Queryable): Promise<number> {
  const row = await db.selectFrom('taskDispatch').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return row.n;
}

/**
 * Wakes every dispatcher (their listeners hear it at once). Sent after the charge has committed,
 * in a transaction of its own that need not reach the disk: PostgreSQL holds a server-wide lock
 * from a notifying transaction's commit until its WAL is flushed, so a NOTIFY inside the charge
 * would make every submit wait for every other. A wake-up lost to a crash is made up by the sweep.
 * One statement, one round trip: set_config(..., true) lasts until the end of the statement's own
 * transaction, whose commit it governs.
 */
export async function wakeDispatchers(db: Db): Promise<void> {
  await sql`SELECT pg_notify(${CHANNELS.dispatch}, '') FROM (SELECT set_config('synchronous_commit', 'off', true)) AS local_setting`.execute(db);
}
