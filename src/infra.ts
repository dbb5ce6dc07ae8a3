// Connections shared by every process: PostgreSQL, Redis (commands, and a subscriber for cache
// invalidation) and the task queue. Closed in reverse order of dependency.
import type { Redis } from 'ioredis';
import type { Config } from './config/env.ts';
import { TaskQueue } from './jobs/task-queue.ts';
import { CacheBus } from './lib/cache-bus.ts';
import { type Db, openDatabase, type Sql } from './lib/database.ts';
import { createRedis } from './lib/redis.ts';

export interface Infra {
  db: Db;
  /** The same pool as `db`'s, for the queries written in SQL. */
  sql: Sql;
  redis: Redis;
  bus: CacheBus;
  queue: TaskQueue;
  close(): Promise<void>;
}

export async function createInfra(config: Config, role: string): Promise<Infra> {
  const database = openDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = createRedis(config.REDIS_URL, `${config.REDIS_PREFIX}:${role}`);
  const subscriber = createRedis(config.REDIS_URL, `${config.REDIS_PREFIX}:${role}:invalidations`);
  const bus = new CacheBus(subscriber, redis, `${config.REDIS_PREFIX}:invalidate`);
  await bus.start();
  const queue = new TaskQueue(redis, config.REDIS_PREFIX);
  return {
    db: database.db,
    sql: database.sql,
    redis,
    bus,
    queue,
    async close() {
      await queue.close();
      subscriber.disconnect();
      await redis.quit();
      await database.close();
    },
  };
}
