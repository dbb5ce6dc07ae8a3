// Upstream tasks that no gateway task recorded as its own: what a lost submit's answer would have
// said. Each is written down once (the unique upstream id), whatever became of it: adopted by the
// task whose submit created it, cancelled as a duplicate, or ended upstream without a charge
// (failed or cancelled there) while nobody could tell whose it was.
import type { Queryable } from '../db/database.ts';

export type OrphanOutcome = 'adopted' | 'cancelled' | 'cancel_failed' | 'not_charged';

/** The ids among `upstreamTaskIds` that a task or an earlier orphan already accounts for. */
export async function knownUpstreamIds(db: Queryable, upstreamTaskIds: string[]): Promise<Set<string>> {
  if (upstreamTaskIds.length === 0) return new Set();
  const [owned, orphaned] = await Promise.all([
    db.selectFrom('tasks').select('upstreamTaskId').where('upstreamTaskId', 'in', upstreamTaskIds).execute(),
    db.selectFrom('upstreamOrphans').select('upstreamTaskId').where('upstreamTaskId', 'in', upstreamTaskIds).execute(),
  ]);
  return new Set([...owned.map((r) => r.upstreamTaskId as string), ...orphaned.map((r) => r.upstreamTaskId)]);
}

/** Writes an orphan down; false when someone already did (then it is theirs to deal with). */
export async function recordOrphan(
  db: Queryable,
  orphan: { channelId: number; upstreamTaskId: string; outcome: OrphanOutcome; taskId: string },
): Promise<boolean> {
  const result = await db
    .insertInto('upstreamOrphans')
    .values(orphan)
    .onConflict((oc) => oc.column('upstreamTaskId').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Another task whose submit to the same account and model was lost around the same time. */
export async function hasOtherLostSubmit(
  db: Queryable,
  lost: { id: number; channelId: number; upstreamModel: string; from: Date; to: Date },
): Promise<boolean> {
  const row = await db
    .selectFrom('tasks')
    .select('id')
    .where('submitStartedAt', '>=', lost.from)
    .where('submitStartedAt', '<=', lost.to)
    .where('channelId', '=', lost.channelId)
    .where('upstreamModel', '=', lost.upstreamModel)
    .where('id', '!=', lost.id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Tasks with a submit whose answer was lost: open ones resolve it on their next look, final ones here. */
export async function lostSubmits(db: Queryable, limit: number) {
  return db
    .selectFrom('tasks')
    .selectAll()
    .where('submitStartedAt', 'is not', null)
    .where('status', 'in', ['SUCCESS', 'FAILURE'])
    .orderBy('id')
    .limit(limit)
    .execute();
}
