// Deleting what the gateway keeps once its time is up: copies of result videos (and their
// thumbnails) RESULT_RETENTION_DAYS after their task ended, and uploaded input images.
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Queryable } from '../db/database.ts';
import { prepare } from '../db/prepared.ts';
import type { GatewayStorage } from '../storage/gateway-storage.ts';
import { UPLOADS_PREFIX } from '../storage/object-keys.ts';
import type { Storage } from '../storage/storage.ts';

export interface ResultRetentionDeps {
  db: Queryable;
  storage: Storage;
  log: FastifyBaseLogger;
  /** Tasks looked at per query. */
  batchSize?: number;
}

// Walks tasks_copy_expiry_idx. Tasks whose files could not be deleted this time are skipped, so
// one bad object cannot keep a run from finishing; they are tried again on the next run.
const expiredCopies = prepare('results-expired', (p: { skipped: number[]; limit: number }, qb) =>
  qb
    .selectFrom('tasks')
    .select(['id', 'taskId', 'resultKey', 'thumbnailKey'])
    .where('resultCopy', '=', 'stored')
    .where('resultExpiresAt', '<=', sql<Date>`now()`)
    .where((eb) => eb.not(eb('id', '=', eb.fn.any(eb.cast<number[]>(eb.val(p.skipped), sql`int[]`)))))
    .orderBy('resultExpiresAt')
    .limit(p.limit),
);

const markExpired = prepare('results-mark-expired', (p: { ids: number[] }, qb) =>
  qb
    .updateTable('tasks')
    .set({ resultCopy: 'expired', updatedAt: sql`now()` })
    .where('id', '=', (eb) => eb.fn.any(eb.cast<number[]>(eb.val(p.ids), sql`int[]`)))
    .where('resultCopy', '=', 'stored')
    .where('resultExpiresAt', '<=', sql<Date>`now()`),
);

const DEFAULT_BATCH = 200;
const DELETES_AT_ONCE = 16;
const UPLOAD_DELETE_CHUNK = 1_000;

/**
 * Deletes the stored video and thumbnail of every task whose copy's retention has ended and marks
 * the copy 'expired'. Files go first: a crash in between leaves a task still 'stored' whose files
 * are gone, which the next run finishes; the other order could leave files nothing points at.
 * Returns how many copies it expired.
 */
export async function purgeExpiredResults({ db, storage, log, batchSize = DEFAULT_BATCH }: ResultRetentionDeps): Promise<number> {
  const skipped: number[] = [];
  let expired = 0;
  for (;;) {
    const rows = await expiredCopies.rows(db, { skipped, limit: batchSize });
    if (rows.length === 0) break;
    const deleted: number[] = [];
    await inParallel(rows, DELETES_AT_ONCE, async (row) => {
      try {
        for (const key of [row.resultKey, row.thumbnailKey]) if (key) await storage.delete(key);
        deleted.push(row.id);
      } catch (err) {
        skipped.push(row.id);
        log.warn({ err, task_id: row.taskId }, 'could not delete an expired result copy; will try again');
      }
    });
    if (deleted.length) expired += await markExpired.affected(db, { ids: deleted });
    if (rows.length < batchSize) break;
  }
  if (expired) log.info({ expired }, 'expired result copies deleted');
  return expired;
}

/**
 * Deletes uploaded input images (keys under `uploads/`) last modified before `olderThan`; returns
 * how many. Listing costs one ListObjectsV2 per 1,000 objects on S3, one readdir per folder locally.
 */
export async function purgeExpiredUploads(storage: GatewayStorage, olderThan: Date): Promise<number> {
  let deleted = 0;
  let old: string[] = [];
  const flush = async () => {
    await inParallel(old, DELETES_AT_ONCE, (key) => storage.delete(key));
    deleted += old.length;
    old = [];
  };
  for await (const object of storage.list(UPLOADS_PREFIX)) {
    if (object.lastModified < olderThan) old.push(object.key);
    if (old.length >= UPLOAD_DELETE_CHUNK) await flush();
  }
  await flush();
  return deleted;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
