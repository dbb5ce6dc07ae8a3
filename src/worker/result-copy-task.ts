// The task rows the result copy reads and writes. Every write is conditional on the copy still being
// 'pending', so of two workers copying the same video only one records it, and a copy never
// overwrites a decision already made.
import { sql } from 'kysely';
import type { Queryable } from '../db/database.ts';
import { prepare } from '../db/prepared.ts';

export interface CopyCandidate {
  id: number;
  taskId: string;
  status: string;
  resultCopy: string;
  resultUrl: string;
  finishTime: Date | null;
  resultKey: string | null;
  thumbnailKey: string | null;
  /** Its owner deleted it: nobody can ask for the video any more. */
  deleted: boolean;
}

const find = prepare('result-copy-find', (p: { taskId: string }, qb) =>
  qb
    .selectFrom('tasks')
    .select((eb) => ['id', 'taskId', 'status', 'resultCopy', 'resultUrl', 'finishTime', 'resultKey', 'thumbnailKey', eb('deletedAt', 'is not', null).$castTo<boolean>().as('deleted')])
    .where('taskId', '=', p.taskId),
);

export async function findCopyCandidate(db: Queryable, taskId: string): Promise<CopyCandidate | null> {
  return (await find.first(db, { taskId })) ?? null;
}

export interface StoredCopy {
  resultKey: string;
  bytes: number;
  sha256: string;
  thumbnailKey: string | null;
  retentionDays: number;
}

// A task deleted while its copy was being made keeps it only until the next retention pass.
const markStored = prepare('result-copy-stored', (p: StoredCopy & { id: number }, qb) =>
  qb
    .updateTable('tasks')
    .set((eb) => ({
      resultCopy: 'stored',
      resultKey: p.resultKey,
      resultBytes: eb.cast<bigint>(eb.val(p.bytes), 'bigint'),
      resultSha256: p.sha256,
      thumbnailKey: p.thumbnailKey,
      resultExpiresAt: eb
        .case()
        .when('deletedAt', 'is not', null)
        .then(sql<Date>`now()`)
        .else(sql<Date>`COALESCE(${eb.ref('finishTime')}, now()) + make_interval(days => ${p.retentionDays})`)
        .end(),
      updatedAt: sql`now()`,
    }))
    .where('id', '=', p.id)
    .where('resultCopy', '=', 'pending'),
);

/** Whether this call recorded the copy (false: another worker, or a decision, came first). */
export async function markCopyStored(db: Queryable, id: number, copy: StoredCopy): Promise<boolean> {
  return (await markStored.affected(db, { ...copy, id })) === 1;
}

const markFailed = prepare('result-copy-failed', (p: { id: number }, qb) =>
  qb.updateTable('tasks').set({ resultCopy: 'failed', updatedAt: sql`now()` }).where('id', '=', p.id).where('resultCopy', '=', 'pending'),
);

export async function markCopyFailed(db: Queryable, id: number): Promise<boolean> {
  return (await markFailed.affected(db, { id })) === 1;
}

// A deleted task's video is never copied; 'expired' ends the copy for good, as retention would.
const markSkipped = prepare('result-copy-skipped', (p: { id: number }, qb) =>
  qb
    .updateTable('tasks')
    .set({ resultCopy: 'expired', updatedAt: sql`now()` })
    .where('id', '=', p.id)
    .where('resultCopy', '=', 'pending')
    .where('deletedAt', 'is not', null),
);

export async function markCopySkipped(db: Queryable, id: number): Promise<boolean> {
  return (await markSkipped.affected(db, { id })) === 1;
}
