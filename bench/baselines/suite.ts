// Reference figures from the same machine in the same run, so the gateway's are read as a ratio
// rather than as absolute numbers that move with the hardware. Each server runs alone.
//
// Three ways to charge a submit, on the same tables: a transaction of three statements (five round
// trips), one statement (one round trip, one commit per request), and concurrent requests batched
// into one statement and one commit. The last two are measured twice: over every account, and
// with every request on one account (a customer's burst, where each request waits for the row
// lock of the one before it unless requests share a commit).
import { startServer } from '../lib/child-server.ts';
import type { Cleanup } from '../lib/cleanup.ts';
import { log } from '../lib/log.ts';
import { type LoadSettings, type Measurement, measure } from '../lib/measure.ts';
import { dropDatabase, recreateDatabase, settleWrites } from '../lib/postgres.ts';
import { rotation } from '../lib/rotation.ts';
import type { Suite } from '../lib/suite.ts';
import { SUBMIT_BODY } from '../workload.ts';
import { checkBooks, createBaselineData } from './schema.ts';

/** Rows the read baseline picks from; more than fit in a CPU cache, as a real table would. */
const READ_ROWS = 10_000;

interface WriteBaseline {
  key: string;
  label: string;
  script: string;
  /** Accounts the requests pick from at random; 1 puts every request on account 1. */
  users: number;
}

export const baselineSuite: Suite = {
  name: 'baselines',
  async run({ config, load, cleanup }) {
    const name = config.baselineDatabase;
    log(`baselines: preparing database ${name} (${config.users} accounts, ${READ_ROWS} tasks)`);
    cleanup.add(`drop database ${name}`, () => dropDatabase(config.postgresUrl, name));
    const databaseUrl = await recreateDatabase(config.postgresUrl, name);
    const publicIds = await createBaselineData(databaseUrl, config.users, READ_ROWS);
    const env = {
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(config.poolSize),
      BASELINE_USERS: String(config.users),
      BASELINE_BATCHES_IN_FLIGHT: String(config.batchesInFlight),
    };

    const writes: WriteBaseline[] = [
      { key: 'baseline_tx', label: 'transaction baseline', script: 'bench/baselines/transaction-server.ts', users: config.users },
      { key: 'baseline_stmt', label: 'one-statement baseline', script: 'bench/baselines/statement-server.ts', users: config.users },
      { key: 'baseline_stmt_hot', label: 'one-statement baseline, one user', script: 'bench/baselines/statement-server.ts', users: 1 },
      { key: 'baseline_batched', label: 'batched baseline', script: 'bench/baselines/batched-server.ts', users: config.users },
      { key: 'baseline_batched_hot', label: 'batched baseline, one user', script: 'bench/baselines/batched-server.ts', users: 1 },
    ];
    const measurements: Measurement[] = [];
    for (const baseline of writes) measurements.push(await measureWrite(baseline, { ...env, BASELINE_USERS: String(baseline.users) }, load, cleanup));
    await checkBooks(databaseUrl, READ_ROWS);
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

    return { measurements: [...measurements, read] };
  },
};

async function measureWrite(baseline: WriteBaseline, env: Record<string, string>, load: LoadSettings, cleanup: Cleanup): Promise<Measurement> {
  const server = await startServer({ name: baseline.label, script: baseline.script, env, readyPath: '/readyz' }, cleanup);
  const measurement = await measure(
    baseline.key,
    baseline.label,
    { url: `${server.url}/v1/tasks`, method: 'POST', headers: { 'content-type': 'application/json' }, body: SUBMIT_BODY },
    load,
  );
  await server.stop();
  return measurement;
}
