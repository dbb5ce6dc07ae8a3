// A worker process's consumers: the task queue (many jobs at once; they mostly wait on HTTP) and
// the maintenance queue (the reconciler, on a schedule shared by every worker, so it runs once per
// interval however many workers there are).
import { Queue, Worker } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { CacheBus } from '../lib/cache-bus.ts';
import type { Config } from '../config/env.ts';
import { bullPrefix, MAINTENANCE_QUEUE, QUEUES, RECONCILE_JOB, type TaskJobData } from '../jobs/contracts.ts';
import type { Queues } from '../jobs/job-queue.ts';
import type { Db, Sql } from '../lib/database.ts';
import { DashScopeClient } from '../upstream/dashscope-client.ts';
import type { UpstreamClient } from '../upstream/types.ts';
import type { AdvanceDeps } from './advance-task.ts';
import { ChannelDirectory } from './channels.ts';
import { RateLimiter } from './rate-limiter.ts';
import { reconcile } from './reconciler.ts';
import { workerSettings } from './settings.ts';
import { createTaskProcessor } from './task-processor.ts';

export interface WorkerDeps {
  config: Config;
  db: Db;
  sql: Sql;
  redis: Redis;
  bus: CacheBus;
  queues: Queues;
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

export async function startWorker({ config, db, sql, redis, bus, queues, log, upstream }: WorkerDeps): Promise<RunningWorker> {
  const deps: AdvanceDeps = {
    sql,
    queues,
    channels: new ChannelDirectory(db, bus, CHANNEL_CACHE_MS),
    limiter: new RateLimiter(redis, config.REDIS_PREFIX),
    upstream: upstream ?? new DashScopeClient({ timeoutMs: config.UPSTREAM_TIMEOUT_MS }),
    settings: workerSettings(config),
    log,
  };
  const prefix = bullPrefix(config.REDIS_PREFIX);

  const tasks = new Worker<TaskJobData>(QUEUES.tasks.name, createTaskProcessor(deps), {
    connection: redis,
    prefix,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    // A job whose worker died is noticed one stalled check after its lock lapses, and run again
    // however often that happens: every step of a task is safe to repeat.
    stalledInterval: config.WORKER_LOCK_MS,
    maxStalledCount: Number.MAX_SAFE_INTEGER,
  });
  const maintenanceQueue = new Queue(MAINTENANCE_QUEUE, { connection: redis, prefix });
  await maintenanceQueue.upsertJobScheduler(RECONCILE_JOB, { every: config.RECONCILE_INTERVAL_MS }, { name: RECONCILE_JOB, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  const reconcileNow = () => reconcile({ ...deps, queues, log });
  const maintenance = new Worker(MAINTENANCE_QUEUE, async () => reconcileNow(), { connection: redis, prefix, concurrency: 1 });

  for (const worker of [tasks, maintenance]) {
    worker.on('error', (err) => log.error({ err }, 'worker error'));
    worker.on('failed', (job, err) => log.warn({ err, job_id: job?.id, attempts: job?.attemptsMade }, 'job failed; it will be retried'));
  }

  return {
    reconcileNow,
    async close() {
      await tasks.close();
      await maintenance.close();
      await maintenanceQueue.close();
    },
  };
}
