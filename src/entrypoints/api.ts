// The API process alone (production, docker-compose): migrations are a separate step there.
import { buildApp } from '../app.ts';
import { loadConfig } from '../config/env.ts';
import { createInfra } from '../infra.ts';
import { startTracing } from '../observability/tracing.ts';
import { announceApi } from './announce.ts';
import { onShutdown } from './shutdown.ts';
import { checkServices, startUp } from './start-up.ts';

await startUp('api', async () => {
  const config = loadConfig();
  const tracing = await startTracing(config, 'api');
  await checkServices(config, { redis: true, createsDatabase: false });
  const infra = await createInfra(config, 'api');
  const app = await buildApp({ config, ...infra });
  await app.listen({ port: config.PORT, host: config.HOST });
  announceApi(app, config, app.log);
  onShutdown(app.log, config.SHUTDOWN_DRAIN_MS, async () => {
    await app.close();
    await infra.close();
    await tracing?.shutdown();
  });
});
