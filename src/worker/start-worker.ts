// A worker process: the dispatcher that moves paid-for tasks from PostgreSQL into the task queue;
// the consumers of the task queue (many jobs at once; they mostly wait on HTTP) and of the
// follow-ups of finished tasks (copying the video, sending the webhook); and housekeeping on
// schedules kept in PostgreSQL and shared by every worker, so each runs once per interval however
// many workers there are, and keeps running when Redis loses its data.
import { type Processor, Worker } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import { type Config, databaseOptions } from '../config/env.ts';
import { openDatabase } from '../db/database.ts';
import type { Connections } from '../infra.ts';
import { bullPrefix, QUEUES, type TaskJobData } from '../jobs/contracts.ts';
import { redispatchOpenTasks } from '../jobs/dispatch.repository.ts';
import { Dispatcher } from '../jobs/dispatcher.ts';
import { PeriodicJobs } from '../jobs/periodic.ts';
import { RedisEpoch } from '../jobs/redis-epoch.ts';
import { createBlockingRedis, redisNamespace, redisTarget } from '../lib/redis.ts';
import { createResultLinks } from '../storage/result-links.ts';
import { DashScopeClient } from '../upstream/dashscope-client.ts';
import type { UpstreamClient } from '../upstream/types.ts';
import { createWebhookProcessor } from '../webhooks/webhook-processor.ts';
import type { AdvanceDeps } from './advance-task.ts';
import { HEAL_INTERVAL_MS, retestChannels } from './channel-healer.ts';
import { ChannelDirectory } from './channels.ts';
import { Heartbeat } from './heartbeat.ts';
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
const REDIS_EPOCH_CHECK_MS = 1_000;

export async function startWorker({ config, db, listener, redis, bus, queues, storage, metrics, secrets, log, upstream }: WorkerDeps): Promise<RunningWorker> {
  const settings = workerSettings(config);
  const namespace = redisNamespace(config);
  // Progress writes commit without waiting for the disk (see AdvanceDeps.progressDb).
  const progress = openDatabase({ ...databaseOptions(config), synchronousCommit: false });
  const deps: AdvanceDeps = {
    db,
    progressDb: progress.db,
    storage,
    queues,
    channels: new ChannelDirectory(db, bus, CHANNEL_CACHE_MS, secrets),
    limiter: new RateLimiter(redis, namespace),
    upstream: upstream ?? new DashScopeClient({ timeoutMs: config.UPSTREAM_TIMEOUT_MS, metrics }),
    settings,
    metrics,
    log,
  };
  const links = createResultLinks(storage, config);
  const prefix = bullPrefix(namespace);
  // Consumers block on Redis and ride out its outages; the process's other connection fails fast.
  const blocking = createBlockingRedis(redisTarget(config), `${config.REDIS_PREFIX}:worker:consumers`);
  const consumer = (name: string, processor: Processor<TaskJobData>, concurrency: number) =>
    new Worker<TaskJobData>(name, processor, {
      connection: blocking,
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
    workers.push(consumer(QUEUES.results.name, createResultCopyProcessor({ db, storage, config, metrics, log }), RESULT_COPY_CONCURRENCY));
  }
  if (consumes.has('webhooks')) {
    const processor = createWebhookProcessor({ db, config, metrics, log, resultLink: (task) => links.linkFor(task) });
    workers.push(consumer(QUEUES.webhooks.name, processor, config.WORKER_CONCURRENCY));
  }

  const reconcileNow = async () => {
    const report = await reconcile({ ...deps, queues, log });
    await purgeExpiredResults({ db, storage, log });
    return report;
  };
  const runPurge = () => purge({ db, storage, config, settings, log });
  const periodic = new PeriodicJobs(db, log);
  if (consumes.has('maintenance')) {
    const heal = () =>
      retestChannels({ db, bus, secrets, upstream: deps.upstream, log, minDelayS: config.CHANNEL_RETEST_MIN_S, maxDelayS: config.CHANNEL_RETEST_MAX_S });
    await periodic
      .every('reconcile', config.RECONCILE_INTERVAL_MS, reconcileNow)
      .every('purge', PURGE_INTERVAL_MS, runPurge)
      .every('channel-retest', HEAL_INTERVAL_MS, heal)
      .start();
  }

  const dispatcher = new Dispatcher({ db, queue: queues.tasks, listener, log });
  dispatcher.start();
  // When Redis comes back empty, every unfinished task is queued again and every pending copy and
  // webhook gets its job back at once, rather than at the next reconcile.
  const epoch = new RedisEpoch(redis, namespace, log);
  epoch.watch(REDIS_EPOCH_CHECK_MS, async () => {
    const requeued = await redispatchOpenTasks(db);
    dispatcher.wake();
    await reconcile({ ...deps, queues, log });
    log.info({ tasks: requeued }, 'restored the queues from PostgreSQL');
  });

  const heartbeat = new Heartbeat(db, config.WORKER_QUEUES, log);
  await heartbeat.start();

  for (const worker of workers) {
    worker.on('error', (err) => log.error({ err }, 'worker error'));
    worker.on('failed', (job, err) => log.warn({ err, queue: worker.name, job_id: job?.id, attempts: job?.attemptsMade }, 'job failed; it will be retried'));
  }

  return {
    reconcileNow,
    async close() {
      epoch.stop();
      await dispatcher.close();
      await periodic.close();
      for (const worker of workers) await worker.close();
      blocking.disconnect();
      await heartbeat.stop();
      await progress.close();
    },
  };
}
