// `npm run worker`: the task worker alone. Any number may run against the same PostgreSQL and Redis.
import { pino } from 'pino';
import { loadConfig } from '../config/env.ts';
import { createInfra } from '../infra.ts';
import { loggerOptions } from '../lib/logger.ts';
import { startWorker } from '../worker/start-worker.ts';
import { onShutdown } from './shutdown.ts';
import { checkServices, startUp } from './start-up.ts';

await startUp('worker', async () => {
  const config = loadConfig();
  const log = pino(loggerOptions(config.LOG_LEVEL, 'worker'));
  await checkServices(config, { redis: true, createsDatabase: false });
  const infra = await createInfra(config, 'worker');
  const worker = await startWorker({ config, ...infra, log });
  log.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker started');
  onShutdown(log, async () => {
    await worker.close();
    await infra.close();
  });
});
