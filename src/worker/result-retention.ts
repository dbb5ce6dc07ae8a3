// Deleting what the gateway keeps once its time is up: copies of result videos (and their
// thumbnails) RESULT_RETENTION_DAYS after their task ended, and uploaded input images.
import type { FastifyBaseLogger } from 'fastify';
import type { Sql } from '../lib/database.ts';
import type { GatewayStorage } from '../storage/gateway-storage.ts';
import { UPLOADS_PREFIX } from '../storage/object-keys.ts';
import type { Storage } from '../storage/storage.ts';

export interface ResultRetentionDeps {
  sql: Sql;
  storage: Storage;
  log: FastifyBaseLogger;
  /** Tasks looked at per query. */
  batchSize?: number;
}

interface ExpiredRow {
  id: number;
  task_id: string;
  result_key: string | null;
  thumbnail_key: string | null;
}

// Walks tasks_copy_expiry_idx. Tasks whose files could not be deleted this time are skipped, so
// one bad object cannot keep a run from finishing; they are tried again on the next run.
const EXPIRED = `
  SELECT id, task_id, result_key, thumbnail_key FROM tasks
  WHERE result_copy = 'stored' AND result_expires_at <= now() AND NOT (id = ANY($1::int[]))
  ORDER BY result_expires_at LIMIT $2`;

const MARK_EXPIRED = `
  UPDATE tasks SET result_copy = 'expired', updated_at = now()
  WHERE id = ANY($1::int[]) AND result_copy = 'stored' AND result_expires_at <= now()`;

const DEFAULT_BATCH = 200;
const DELETES_AT_ONCE = 16;
const UPLOAD_DELETE_CHUNK = 1_000;

/**
 * Deletes the stored video and thumbnail of every task whose copy's retention has ended and marks
 * the copy 'expired'. Files go first: a crash in between leaves a task still 'stored' whose files
 * are gone, which the next run finishes; the other order could leave files nothing points at.
 * Returns how many copies it expired.
 */
export async function purgeExpiredResults({ sql, storage, log, batchSize = DEFAULT_BATCH }: ResultRetentionDeps): Promise<number> {
  const skipped: number[] = [];
  let expired = 0;
  for (;;) {
    const { rows } = await sql.query<ExpiredRow>({ name: 'results-expired', text: EXPIRED, values: [skipped, batchSize] });
    if (rows.length === 0) break;
    const deleted: number[] = [];
    await inParallel(rows, DELETES_AT_ONCE, async (row) => {
      try {
        for (const key of [row.result_key, row.thumbnail_key]) if (key) await storage.delete(key);
        deleted.push(row.id);
      } catch (err) {
        skipped.push(row.id);
        log.warn({ err, task_id: row.task_id }, 'could not delete an expired result copy; will try again');
      }
    });
    if (deleted.length) expired += (await sql.query({ name: 'results-mark-expired', text: MARK_EXPIRED, values: [deleted] })).rowCount ?? 0;
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
