// Connections shared by every process: PostgreSQL (a pool, and one connection that listens for
// changes), Redis (commands, and a subscriber for cache invalidation), the job queues and storage.
// Closed in reverse order of dependency.
import { type Logger, pino } from 'pino';
import { type Config, databaseOptions } from './config/env.ts';
import { QUEUES } from './jobs/contracts.ts';
import { JobQueue, type Queues } from './jobs/job-queue.ts';
import { CacheBus } from './lib/cache-bus.ts';
import { type Db, openDatabase } from './db/database.ts';
import { PgListener } from './db/listener.ts';
import { loggerOptions } from './lib/logger.ts';
import { createRedis, createSubscriberRedis, type RedisClient, redisNamespace, redisTarget, whenReady } from './lib/redis.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { SecretBox } from './lib/secret-box.ts';
import { sealChannelKeys } from './modules/admin/channels.repository.ts';
import { createStorage } from './storage/create-storage.ts';
import type { GatewayStorage } from './storage/gateway-storage.ts';

/** What the API and the worker are built from; every process passes its Infra's. */
export interface Connections {
  db: Db;
  /** Changes in PostgreSQL as they are committed: new tasks to queue, task status changes. */
  listener: PgListener;
  /** Commands that fail fast while Redis is unreachable. */
  redis: RedisClient;
  bus: CacheBus;
  queues: Queues;
  /** The gateway's own files: copies of results, thumbnails, uploaded images. */
  storage: GatewayStorage;
  /** The process's Prometheus registry and figures, served at /metrics. */
  metrics: Metrics;
  /** Encrypts and decrypts upstream API keys at rest (ENCRYPTION_KEY). */
  secrets: SecretBox;
}

export interface Infra extends Connections {
  close(): Promise<void>;
}

const REDIS_READY_MS = 10_000;

/**
 * `shared`: what another Infra of the same process already has: its metrics registry (npm start's
 * API and worker report together) and its SecretBox (the channel keys were sealed, or the missing
 * ENCRYPTION_KEY reported, once for the process).
 */
export async function createInfra(config: Config, role: string, shared: { metrics?: Metrics; secrets?: SecretBox } = {}): Promise<Infra> {
  const database = openDatabase(databaseOptions(config));
  const listener = new PgListener({ url: config.DATABASE_URL, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS, log: pino(loggerOptions(config.LOG_LEVEL, `${role}:listener`)) });
  await listener.start();
  const namespace = redisNamespace(config);
  const redis = createRedis(redisTarget(config), `${config.REDIS_PREFIX}:${role}`);
  await whenReady(redis, REDIS_READY_MS);
  // Subscriptions are not on any request's path: this one waits through outages and resubscribes.
  const subscriber = createSubscriberRedis(redisTarget(config), `${config.REDIS_PREFIX}:${role}:invalidations`);
  const bus = new CacheBus(subscriber, redis, `${namespace}:invalidate`);
  await bus.start();
  const queues: Queues = {
    tasks: new JobQueue(redis, namespace, QUEUES.tasks),
    results: new JobQueue(redis, namespace, QUEUES.results),
    webhooks: new JobQueue(redis, namespace, QUEUES.webhooks),
  };
  const storage = await createStorage(config, database.db);
  const secrets = shared.secrets ?? (await openSecrets(config, database.db, pino(loggerOptions(config.LOG_LEVEL, role))));
  return {
    db: database.db,
    listener,
    redis,
    bus,
    queues,
    storage,
    metrics: shared.metrics ?? createMetrics(),
    secrets,
    async close() {
      for (const queue of Object.values(queues)) await queue.close();
      await storage.close();
      subscriber.disconnect();
      await redis.quit().catch(() => redis.disconnect());
      await listener.close();
      await database.close();
    },
  };
}

/** The process's SecretBox; channel keys still stored in clear are sealed under it at once. */
async function openSecrets(config: Config, db: Db, log: Logger): Promise<SecretBox> {
  const secrets = new SecretBox(config.ENCRYPTION_KEY, config.ENCRYPTION_KEY_PREVIOUS);
  if (secrets.enabled) {
    const sealed = await sealChannelKeys(db, secrets);
    if (sealed > 0) log.info(`encrypted ${sealed} channel API key(s) under ENCRYPTION_KEY`);
  } else {
    log.warn('ENCRYPTION_KEY is not set: upstream API keys are stored unencrypted; set it (openssl rand -base64 32) to encrypt them');
  }
  return secrets;
}
