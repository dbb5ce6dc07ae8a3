// The gateway as deployed (the API entry point in its own process), on its own database and Redis
// namespace: submit first, then query the tasks that submit created.
import { deleteKeysWithPrefix } from '../lib/redis.ts';
import { startServer } from '../lib/child-server.ts';
import { log } from '../lib/log.ts';
import { measure } from '../lib/measure.ts';
import { settleWrites } from '../lib/postgres.ts';
import type { Suite } from '../lib/suite.ts';
import { createCustomers } from './customers.ts';
import { prepareGatewayDatabase } from './database.ts';
import { countTasks, pickQueryTargets, queryLoad } from './query.ts';
import { submitLoad } from './submit.ts';
import { scratchStorageDir } from '../lib/scratch-storage.ts';

const QUERY_TASKS = 1_000;

export const gatewaySuite: Suite = {
  name: 'gateway',
  async run({ config, load, cleanup }) {
    const { redisUrl, redisPrefix } = config;
    log(`gateway: preparing database ${config.gatewayDatabase} and ${config.users} users`);
    const databaseUrl = await prepareGatewayDatabase(config, cleanup);
    const customers = await createCustomers(databaseUrl, config.users);
    // Keys left by an aborted earlier run would put old jobs in front of this run's.
    await deleteKeysWithPrefix(redisUrl, redisPrefix);
    cleanup.add(`delete Redis keys ${redisPrefix}:*`, async () => {
      log(`deleted ${await deleteKeysWithPrefix(redisUrl, redisPrefix)} Redis keys under ${redisPrefix}:`);
    });

    log('gateway: starting src/entrypoints/api.ts');
    const gateway = await startServer(
      {
        name: 'gateway',
        script: 'src/entrypoints/api.ts',
        env: {
          DATABASE_URL: databaseUrl,
          DATABASE_POOL_SIZE: String(config.poolSize),
          REDIS_URL: redisUrl,
          REDIS_PREFIX: redisPrefix,
          LOG_LEVEL: 'warn',
          ADMIN_TOKEN: 'bench',
          STORAGE_DIR: await scratchStorageDir(cleanup),
        },
        readyPath: '/readyz',
      },
      cleanup,
    );

    const submit = await measure('submit', 'gateway submit', submitLoad(gateway.url, customers), load);
    await settleWrites(databaseUrl);
    const targets = await pickQueryTargets(databaseUrl, customers, QUERY_TASKS);
    if (targets.length === 0) {
      throw new Error(`the submit measurement created no tasks to query (status codes: ${JSON.stringify(submit.statusCodes)})`);
    }
    const query = await measure('query', 'gateway query', queryLoad(gateway.url, targets), load);
    await gateway.stop();

    return {
      measurements: [submit, query],
      facts: { tasks_created: await countTasks(databaseUrl), query_tasks: targets.length },
    };
  },
};
