// `npm run worker`: the task worker alone. Any number may run against the same PostgreSQL and Redis;
// each answers /healthz, /readyz and /metrics on METRICS_PORT.
import { setFlagsFromString } from 'node:v8';
import { pino } from 'pino';
import { loadConfig } from '../config/env.ts';
import { createInfra } from '../infra.ts';
import { startTracing } from '../observability/tracing.ts';
import { loggerOptions } from '../lib/logger.ts';
import { startOpsServer } from '../worker/ops-server.ts';
import { startWorker } from '../worker/start-worker.ts';
import { onShutdown } from './shutdown.ts';
import { checkServices, startUp } from './start-up.ts';

// A worker's live data is small (its tasks wait in Redis, not in memory) but it makes a great deal
// of short-lived garbage; by default V8 lets the heap grow to several times the live data before
// collecting it, which took one worker to 400 MB with 10,000 tasks in flight. Sized for memory,
// it collects earlier and stays under 300 MB (bench: worker_footprint_rss_peak_mb).
setFlagsFromString('--optimize-for-size');

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
