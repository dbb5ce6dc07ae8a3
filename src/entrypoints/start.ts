// `npm start`: everything one machine needs, in one process. Prepares the database (create,
// migrate, seed), starts the simulator when there is no real upstream, the worker and the API.
import { pino } from 'pino';
import { buildApp } from '../app.ts';
import { databaseOptions, loadConfig } from '../config/env.ts';
import { prepareDatabaseAt } from '../db/prepare-database.ts';
import { createInfra } from '../infra.ts';
import { startTracing } from '../observability/tracing.ts';
import { loggerOptions } from '../lib/logger.ts';
import { publicBaseUrl } from '../storage/create-storage.ts';
import { startWorker } from '../worker/start-worker.ts';
import { ensureConsoleBuilt } from '../console/console-build.ts';
import { announceApi } from './announce.ts';
import { startLocalUpstreamIfNeeded } from './local-upstream.ts';
import { onShutdown } from './shutdown.ts';
import { checkServices, startUp } from './start-up.ts';

await startUp('start', async () => {
  const config = loadConfig();
  const log = pino(loggerOptions(config.LOG_LEVEL, 'start'));
  const tracing = await startTracing(config, 'start');
  await checkServices(config, { redis: true, createsDatabase: true });
  // Before anything else connects: the database may not exist yet, and storage reads its settings.
  const applied = await prepareDatabaseAt(databaseOptions(config));
  if (applied.length) log.info({ migrations: applied }, 'applied database migrations');
  // Before the API is built: it serves whatever build it finds.
  await ensureConsoleBuilt(log);
  const infra = await createInfra(config, 'api');
  const upstream = await startLocalUpstreamIfNeeded(config, infra.db, log);
  // The worker gets connections of its own, as in a deployment with separate processes: fifty jobs
  // at once must not leave the API's requests waiting for a database connection.
  // One registry for both: this process's /metrics, on PORT, shows the API's and the worker's figures.
  const workerInfra = await createInfra(config, 'worker', { metrics: infra.metrics, secrets: infra.secrets });
  const worker = await startWorker({ config, ...workerInfra, log: pino(loggerOptions(config.LOG_LEVEL, 'worker')) });
  const app = await buildApp({ config, ...infra });
  if (!config.ADMIN_TOKEN) log.warn('ADMIN_TOKEN is not set: the /admin API refuses every request');
  await app.listen({ port: config.PORT, host: config.HOST });
  announceApi(app, config, log);
  log.info(`web console at ${publicBaseUrl({ PUBLIC_BASE_URL: config.PUBLIC_BASE_URL, PORT: config.PORT })}/console/`);
  onShutdown(log, config.SHUTDOWN_DRAIN_MS, async () => {
    // Both drain at once: the API's requests and the worker's upstream calls share one SHUTDOWN_DRAIN_MS.
    await Promise.all([app.close(), worker.close()]);
    await workerInfra.close();
    await upstream?.close();
    await infra.close();
    await tracing?.shutdown();
  });
});
