// Reference figures from the same machine in the same run, so the gateway's are read as a ratio
// rather than as absolute numbers that move with the hardware. Each server runs alone.
import { startServer } from '../lib/child-server.ts';
import { log } from '../lib/log.ts';
import { measure } from '../lib/measure.ts';
import { dropDatabase, recreateDatabase, settleWrites } from '../lib/postgres.ts';
import { rotation } from '../lib/rotation.ts';
import type { Suite } from '../lib/suite.ts';
import { SUBMIT_BODY } from '../workload.ts';
import { createBaselineData } from './schema.ts';

/** Rows the read baseline picks from; more than fit in a CPU cache, as a real table would. */
const READ_ROWS = 10_000;

export const baselineSuite: Suite = {
  name: 'baselines',
  async run({ config, load, cleanup }) {
    const name = config.baselineDatabase;
    log(`baselines: preparing database ${name} (${config.users} accounts, ${READ_ROWS} tasks)`);
    cleanup.add(`drop database ${name}`, () => dropDatabase(config.postgresUrl, name));
    const databaseUrl = await recreateDatabase(config.postgresUrl, name);
    const publicIds = await createBaselineData(databaseUrl, config.users, READ_ROWS);
    const env = { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: String(config.poolSize), BASELINE_USERS: String(config.users) };

    const txServer = await startServer(
      { name: 'transaction baseline', script: 'bench/baselines/transaction-server.ts', env, readyPath: '/readyz' },
      cleanup,
    );
    const tx = await measure(
      'baseline_tx',
      'transaction baseline',
      { url: `${txServer.url}/v1/tasks`, method: 'POST', headers: { 'content-type': 'application/json' }, body: SUBMIT_BODY },
      load,
    );
    await txServer.stop();
    await settleWrites(databaseUrl);

    const readServer = await startServer({ name: 'read baseline', script: 'bench/baselines/read-server.ts', env, readyPath: '/readyz' }, cleanup);
    const nextId = rotation(publicIds);
    const read = await measure(
      'baseline_read',
      'read baseline',
      { url: `${readServer.url}/v1/tasks/${publicIds[0] ?? ''}`, setupRequest: (request) => ({ ...request, path: `/v1/tasks/${nextId()}` }) },
      load,
    );
    await readServer.stop();

    return { measurements: [tx, read] };
  },
};
