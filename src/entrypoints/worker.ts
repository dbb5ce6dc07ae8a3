// `npm run worker`: the task worker alone. Any number may run against the same PostgreSQL and Redis;
// each answers /healthz, /readyz and /metrics on METRICS_PORT.
import { pino } from 'pino';
import { loadConfig } from '../config/env.ts';
import { createInfra } from '../infra.ts';
import { startTracing } from '../observability/tracing.ts';
import { loggerOptions } from '../lib/logger.ts';
import { startOpsServer } from '../worker/ops-server.ts';
import { startWorker } from '../worker/start-worker.ts';
import { onShutdown } from './shutdown.ts';
import { checkServices, startUp } from './start-up.ts';

await startUp('worker', async () => {
  const config = loadConfig();
  const log = pino(loggerOptions(config.LOG_LEVEL, 'worker'));
  const tracing = await startTracing(config, 'worker');
  await checkServices(config, { redis: true, createsDatabase: false });
  const infra = await createInfra(config, 'worker');
  // First, so that a port already taken stops the process before it has taken any job.
  const ops = await startOpsServer({ config, db: infra.db, redis: infra.redis, metrics: infra.metrics, log });
  const worker = await startWorker({ config, ...infra, log });
  log.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker started');
  onShutdown(log, config.SHUTDOWN_DRAIN_MS, async () => {
    // Health answers until the jobs in hand are done, so an orchestrator does not kill a draining worker.
    await worker.close();
    await ops.close();
    await infra.close();
    await tracing?.shutdown();
  });
});
