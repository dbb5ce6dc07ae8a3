// The BullMQ processor of the results queue: copies a successful task's video from the upstream's
// 24-hour link into the gateway's storage, with a thumbnail, and records the copy on the task.
//
// The copy never touches the task's status, cost or result_url: a failure here only means clients
// keep getting the upstream's link. A failure that may pass (network, 5xx, a timeout, a storage
// error) is thrown, and BullMQ retries with backoff (the reconciler revives the job if the retries
// run out while the copy is still pending). Once the upstream link cannot work any more, the copy
// is marked 'failed' and the job ends without further retries.
//
// Safe to repeat and to race: a video always goes to the same key (`results/<task_id>.mp4`), each
// write of which replaces the object whole, and only one conditional UPDATE can record the copy.
import { type Job, UnrecoverableError } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/env.ts';
import type { TaskJobData } from '../jobs/contracts.ts';
import type { Db } from '../db/database.ts';
import type { Metrics, ResultCopyOutcome } from '../observability/metrics.ts';
import type { GatewayStorage } from '../storage/gateway-storage.ts';
import { resultThumbnailKey, resultVideoKey } from '../storage/object-keys.ts';
import type { StoredObject } from '../storage/storage.ts';
import { GONE_STATUSES, linkState, openDownload, UnusableLinkError, UpstreamRefusedError } from './result-copy-download.ts';
import { type CopyCandidate, findCopyCandidate, markCopyFailed, markCopySkipped, markCopyStored } from './result-copy-task.ts';
import { createThumbnailer, type Thumbnailer } from './result-copy-thumbnail.ts';

export interface ResultCopyDeps {
  db: Db;
  storage: GatewayStorage;
  config: Pick<Config, 'RESULT_RETENTION_DAYS' | 'RESULT_MAX_BYTES' | 'FFMPEG_PATH' | 'UPSTREAM_TIMEOUT_MS'>;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

export function createResultCopyProcessor(deps: ResultCopyDeps) {
  const thumbnailer = createThumbnailer(deps.config.FFMPEG_PATH);

  return async function copyResult(job: Job<TaskJobData>, _token?: string): Promise<void> {
    let outcome: ResultCopyOutcome | null;
    try {
      outcome = await copy(deps, thumbnailer, job.data.taskId);
    } catch (err) {
      deps.metrics.resultCopies.inc({ outcome: err instanceof UnrecoverableError ? 'failed' : 'error' });
      throw err;
    }
    if (outcome) deps.metrics.resultCopies.inc({ outcome });
  };
}

/** What became of the copy; null when there was nothing to do (no task, not pending, recorded elsewhere). */
async function copy(deps: ResultCopyDeps, thumbnailer: Thumbnailer, taskId: string): Promise<ResultCopyOutcome | null> {
  const task = await findCopyCandidate(deps.db, taskId);
  if (!task || task.status !== 'SUCCESS' || task.resultCopy !== 'pending') return null;
  const log = deps.log.child({ task_id: task.taskId });
  if (task.deleted) {
    await markCopySkipped(deps.db, task.id);
    return 'skipped';
  }

  const link = linkState(task.resultUrl, task.finishTime, Date.now());
  if (!link.usable) return giveUp(deps, task, link.reason, log);

  const videoKey = resultVideoKey(task.taskId);
  let stored: StoredObject;
  try {
    stored = await deps.storage.put(videoKey, await openDownload(task.resultUrl, deps.config.UPSTREAM_TIMEOUT_MS, deps.config.RESULT_MAX_BYTES), 'video/mp4');
  } catch (err) {
    // A failed write leaves no object behind, so there is nothing to clean up.
    if (err instanceof UnusableLinkError) return giveUp(deps, task, err.message, log);
    if (err instanceof UpstreamRefusedError && GONE_STATUSES.has(err.status) && Date.now() >= link.deadline) {
      return giveUp(deps, task, `${err.message} after the link expired`, log);
    }
    throw err;
  }

  const thumbnailKey = await storeThumbnail(deps.storage, thumbnailer, task.taskId, videoKey, log);
  const recorded = await markCopyStored(deps.db, task.id, {
    resultKey: videoKey,
    bytes: stored.bytes,
    sha256: stored.sha256,
    thumbnailKey,
    retentionDays: deps.config.RESULT_RETENTION_DAYS,
  });
  if (recorded) {
    log.info({ bytes: stored.bytes, thumbnail: thumbnailKey !== null }, 'result video copied');
    return 'stored';
  }
  await dropUnrecorded(deps, task.taskId, [videoKey, thumbnailKey]);
  return null;
}

async function giveUp(deps: ResultCopyDeps, task: CopyCandidate, reason: string, log: FastifyBaseLogger): Promise<never> {
  if (await markCopyFailed(deps.db, task.id)) log.warn({ reason }, 'result video not copied; clients keep the upstream link');
  throw new UnrecoverableError(reason);
}

async function storeThumbnail(storage: GatewayStorage, thumbnailer: Thumbnailer, taskId: string, videoKey: string, log: FastifyBaseLogger): Promise<string | null> {
  try {
    const thumbnail = await thumbnailer.extract(await storage.readLocation(videoKey));
    if (!thumbnail) return null;
    const key = resultThumbnailKey(taskId, thumbnail.format);
    await storage.put(key, thumbnail.data, thumbnail.contentType);
    return key;
  } catch (err) {
    log.warn({ err }, 'no thumbnail for the result video');
    return null;
  }
}

/**
 * Another worker recorded its copy first, or the copy was given up meanwhile. Objects the task
 * does not point at are deleted: under the same keys as the recorded copy they are that copy.
 */
async function dropUnrecorded(deps: ResultCopyDeps, taskId: string, keys: (string | null)[]): Promise<void> {
  const now = await findCopyCandidate(deps.db, taskId);
  const kept = now?.resultCopy === 'stored' ? [now.resultKey, now.thumbnailKey] : [];
  for (const key of keys) {
    if (key && !kept.includes(key)) await deps.storage.delete(key);
  }
}
