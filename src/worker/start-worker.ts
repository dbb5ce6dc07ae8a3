// A worker process's consumers: the task queue (many jobs at once; they mostly wait on HTTP), the
// follow-ups of finished tasks (copying the video, sending the webhook), and the maintenance queue
// (on schedules shared by every worker, so each runs once per interval however many workers there are).
import { Queue, type Processor, Worker } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/env.ts';
import type { Connections } from '../infra.ts';
import { bullPrefix, MAINTENANCE_QUEUE, PURGE_JOB, QUEUES, RECONCILE_JOB, type TaskJobData } from '../jobs/contracts.ts';
import { createResultLinks } from '../storage/result-links.ts';
import { DashScopeClient } from '../upstream/dashscope-client.ts';
import type { UpstreamClient } from '../upstream/types.ts';
import { createWebhookProcessor } from '../webhooks/webhook-processor.ts';
import type { AdvanceDeps } from './advance-task.ts';
import { ChannelDirectory } from './channels.ts';
import { RateLimiter } from './rate-limiter.ts';
import { reconcile } from './reconciler.ts';
import { createResultCopyProcessor } from './result-copy.ts';
import { purge, PURGE_INTERVAL_MS } from './purge.ts';
import { purgeExpiredResults } from './result-retention.ts';
import { workerSettings } from './settings.ts';
import { createTaskProcessor } from './task-processor.ts';

export interface WorkerDeps extends Connections {
  config: Config;
  log: FastifyBaseLogger;
  /** Defaults to the DashScope client. */
  upstream?: UpstreamClient;
}

export interface RunningWorker {
  /** Runs the reconciler now, outside its schedule. */
  reconcileNow(): ReturnType<typeof reconcile>;
  close(): Promise<void>;
}

const CHANNEL_CACHE_MS = 30_000;
// Each copy holds a few upload buffers and may run ffmpeg; a handful at once is plenty.
const RESULT_COPY_CONCURRENCY = 4;

export async function startWorker({ config, db, sql, redis, bus, queues, storage, log, upstream }: WorkerDeps): Promise<RunningWorker> {
  const settings = workerSettings(config);
  const deps: AdvanceDeps = {
    sql,
    storage,
    queues,
    channels: new ChannelDirectory(db, bus, CHANNEL_CACHE_MS),
    limiter: new RateLimiter(redis, config.REDIS_PREFIX),
    upstream: upstream ?? new DashScopeClient({ timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
    settings,
    log,
  };
  const links = createResultLinks(storage, config);
  const prefix = bullPrefix(config.REDIS_PREFIX);
  const consumer = (name: string, processor: Processor<TaskJobData>, concurrency: number) =>
    new Worker<TaskJobData>(name, processor, {
      connection: redis,
      prefix,
      concurrency,
      lockDuration: config.WORKER_LOCK_MS,
      // A job whose worker died is noticed one stalled check after its lock lapses, and run again
      // however often that happens: every step of this work is safe to repeat.
      stalledInterval: config.WORKER_LOCK_MS,
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    });

  const consumes = new Set(config.WORKER_QUEUES);
  const workers: Worker[] = [];
  if (consumes.has('tasks')) workers.push(consumer(QUEUES.tasks.name, createTaskProcessor(deps), config.WORKER_CONCURRENCY));
  if (consumes.has('results')) {
    workers.push(consumer(QUEUES.results.name, createResultCopyProcessor({ sql, storage, config, log }), RESULT_COPY_CONCURRENCY));
  }
  if (consumes.has('webhooks')) {
    const processor = createWebhookProcessor({ sql, config, log, resultLink: (task) => links.linkFor(task) });
    workers.push(consumer(QUEUES.webhooks.name, processor, config.WORKER_CONCURRENCY));
  }

  const maintenanceQueue = new Queue(MAINTENANCE_QUEUE, { connection: redis, prefix });
  const kept = { removeOnComplete: 100, removeOnFail: 100 };
  await maintenanceQueue.upsertJobScheduler(RECONCILE_JOB, { every: config.RECONCILE_INTERVAL_MS }, { name: RECONCILE_JOB, opts: kept });
  await maintenanceQueue.upsertJobScheduler(PURGE_JOB, { every: PURGE_INTERVAL_MS }, { name: PURGE_JOB, opts: kept });
  const reconcileNow = async () => {
    const report = await reconcile({ ...deps, queues, log });
    await purgeExpiredResults({ sql, storage, log });
    return report;
  };
  const runPurge = () => purge({ sql, storage, config, settings, log });
  if (consumes.has('maintenance')) {
    workers.push(new Worker(MAINTENANCE_QUEUE, async (job) => (job.name === PURGE_JOB ? runPurge() : reconcileNow()), { connection: redis, prefix, concurrency: 1 }));
  }

  for (const worker of workers) {
    worker.on('error', (err) => log.error({ err }, 'worker error'));
    worker.on('failed', (job, err) => log.warn({ err, queue: worker.name, job_id: job?.id, attempts: job?.attemptsMade }, 'job failed; it will be retried'));
  }

  return {
    reconcileNow,
    async close() {
      for (const worker of workers) await worker.close();
      await maintenanceQueue.close();
    },
  };
}
