import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RedisClient } from '../lib/redis.ts';
import { z } from 'zod';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { aliveWorkers, summarizeWorkers, type WorkersSummary } from '../worker/heartbeats.repository.ts';

export interface HealthRoutesOptions {
  db: Db;
  redis: RedisClient;
}

const CHECK_TIMEOUT_MS = 2_000;

const checkResult = z.enum(['ok', 'down']);
const workers = z
  .object({
    alive: z.number().int().describe('Worker processes whose heartbeat is recent'),
    queues: z.record(z.string(), z.number().int()).describe('How many of them consume each queue'),
  })
  .nullable()
  .describe('Live workers, from their heartbeats in PostgreSQL (null when PostgreSQL does not answer); none alive does not make the gateway unready');
// An object of named fields, so that what else an instance reports about itself joins it.
const readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  postgres: checkResult.describe('PostgreSQL answered within 2 s; without it nothing can be submitted'),
  redis: checkResult.describe('Redis answered within 2 s; while it is down submits still complete (their tasks run when it is back), so readiness does not depend on it'),
  workers,
});

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Reported, never a reason to be unready: the API serves (and queues) without any worker alive. */
async function liveWorkers(db: Db): Promise<WorkersSummary | null> {
  let summary: WorkersSummary | null = null;
  await probe(async () => (summary = summarizeWorkers(await aliveWorkers(db))));
  return summary;
}

export async function healthRoutes(app: FastifyInstance, { db, redis }: HealthRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/healthz', {
    schema: {
      operationId: 'health',
      tags: ['health'],
      summary: 'The process is up',
      security: [],
      response: { 200: z.object({ status: z.literal('ok') }) },
    },
    handler: async () => ({ status: 'ok' as const }),
  });

  r.get('/readyz', {
    schema: {
      operationId: 'ready',
      tags: ['health'],
      summary: 'The instance can take submits: PostgreSQL answers',
      description:
        "503 only when PostgreSQL does not answer. Redis's state is reported but does not fail readiness: during a Redis outage submits still complete and queries are served from PostgreSQL, so a load balancer must not take every instance out.",
      security: [],
      response: { 200: readiness.describe('PostgreSQL answers (Redis may be down: see `redis`)'), 503: readiness.describe('PostgreSQL does not answer within 2 s') },
    },
    handler: async (_request, reply) => {
      const [postgres, redisState, live] = await Promise.all([probe(() => sql`SELECT 1`.execute(db)), probe(() => redis.ping()), liveWorkers(db)]);
      const ready = postgres === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', postgres, redis: redisState, workers: live });
    },
  });
}
