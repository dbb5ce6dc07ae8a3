// `npm start`: everything one machine needs, in one process. Prepares the database (create,
// migrate, seed) before serving.
import { buildApp } from '../app.ts';
import { loadConfig } from '../config/env.ts';
import { prepareDatabase } from '../db/prepare-database.ts';
import { createInfra } from '../infra.ts';
import { onShutdown } from './shutdown.ts';

const config = loadConfig();
const infra = await createInfra(config, 'api');
const applied = await prepareDatabase(config.DATABASE_URL, infra.db);
const app = await buildApp({ config, ...infra });
if (applied.length) app.log.info({ migrations: applied }, 'applied database migrations');
if (!config.ADMIN_TOKEN) app.log.warn('ADMIN_TOKEN is not set: the /admin API refuses every request');
await app.listen({ port: config.PORT, host: config.HOST });
onShutdown(app.log, async () => {
  await app.close();
  await infra.close();
});
