// The gateway as deployed (the API entry point in its own process), on its own database and Redis
// namespace: submit over every customer, then every submit from one customer (the burst that
// queues on one row), then query the tasks the first created. With BENCH_PROFILE=1 the gateway
// runs under the V8 CPU profiler and its database sessions are sampled, and the report says where
// the time went during both submits. Before the gateway starts, its charge statement is measured
// behind a bare server (charge-server.ts): the ceiling the statement alone puts on the submit.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deleteKeysWithPrefix } from '../lib/redis.ts';
import { REPO_ROOT, startServer } from '../lib/child-server.ts';
import { formatProfileSummary, readCpuProfile, summarizeProfile } from '../lib/cpu-profile.ts';
import { log } from '../lib/log.ts';
import { type LoadSettings, type Measurement, measure } from '../lib/measure.ts';
import { formatWaitSummary, sampleWaits, type WaitSampler } from '../lib/pg-waits.ts';
import { settleWrites } from '../lib/postgres.ts';
import type { Suite } from '../lib/suite.ts';
import { HOT_BALANCE, SUBMIT_BODY } from '../workload.ts';
import type { BenchConfig } from '../config.ts';
import type { Cleanup } from '../lib/cleanup.ts';
import { createCustomers } from './customers.ts';
import { prepareGatewayDatabase } from './database.ts';
import { countTasks, pickQueryTargets, queryLoad } from './query.ts';
import { chargeFacts, readChargeCounters } from './charge-stats.ts';
import { submitLoad } from './submit.ts';
import { scratchStorageDir } from '../lib/scratch-storage.ts';

const QUERY_TASKS = 1_000;

export const gatewaySuite: Suite = {
  name: 'gateway',
  async run({ config, load, cleanup }) {
    const { redisUrl, redisPrefix } = config;
    const bare = await measureBareCharge(config, load, cleanup);
    log(`gateway: preparing database ${config.gatewayDatabase} and ${config.users} users`);
    const databaseUrl = await prepareGatewayDatabase(config, cleanup);
    const customers = await createCustomers(databaseUrl, config.users);
    const hotCustomer = await createCustomers(databaseUrl, 1, HOT_BALANCE);
    // Keys left by an aborted earlier run would put old jobs in front of this run's.
    await deleteKeysWithPrefix(redisUrl, redisPrefix);
    cleanup.add(`delete Redis keys ${redisPrefix}:*`, async () => {
      log(`deleted ${await deleteKeysWithPrefix(redisUrl, redisPrefix)} Redis keys under ${redisPrefix}:`);
    });

    // Kept after the run (not a cleanup step): the profile is for opening in Chrome DevTools too.
    const profileDir = config.profile ? await mkdtemp(path.join(tmpdir(), 'vgw-bench-profile-')) : undefined;
    log(`gateway: starting src/entrypoints/api.ts${profileDir ? ` under --cpu-prof into ${profileDir}` : ''}`);
    const gateway = await startServer(
      {
        name: 'gateway',
        script: 'src/entrypoints/api.ts',
        ...(profileDir ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
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

    const waits = profileDir ? await sampleWaits(databaseUrl) : undefined;
    // The counters include the warm-ups: these are means per statement, not totals.
    const atStart = await readChargeCounters(gateway.url);
    const submit = await measure('submit', 'gateway submit', submitLoad(gateway.url, customers), load);
    const afterSubmit = await readChargeCounters(gateway.url);
    const submitHot = await measure('submit_hot', 'gateway submit, one user', submitLoad(gateway.url, hotCustomer), load);
    const batching = { ...chargeFacts('submit', atStart, afterSubmit), ...chargeFacts('submit_hot', afterSubmit, await readChargeCounters(gateway.url)) };
    await waits?.stop();
    await settleWrites(databaseUrl);
    const targets = await pickQueryTargets(databaseUrl, customers, QUERY_TASKS);
    if (targets.length === 0) {
      throw new Error(`the submit measurement created no tasks to query (status codes: ${JSON.stringify(submit.statusCodes)})`);
    }
    const query = await measure('query', 'gateway query', queryLoad(gateway.url, targets), load);
    await gateway.stop();

    return {
      measurements: [bare, submit, submitHot, query],
      facts: { tasks_created: await countTasks(databaseUrl), query_tasks: targets.length, ...batching, ...(profileDir ? { profiled: 1 } : {}) },
      ...(profileDir && waits ? { notes: await profileNotes(profileDir, waits, [submit, submitHot]) } : {}),
    };
  },
};

/**
 * The gateway's charge statement behind a bare server (charge-server.ts), on a database of its own
 * so that its tasks do not grow the gateway's tables before the gateway is measured.
 */
async function measureBareCharge(config: BenchConfig, load: LoadSettings, cleanup: Cleanup): Promise<Measurement> {
  const name = `${config.gatewayDatabase}_bare`;
  log(`gateway: preparing database ${name} and ${config.users} users for the charge on a bare server`);
  const databaseUrl = await prepareGatewayDatabase(config, cleanup, name);
  await createCustomers(databaseUrl, config.users);
  const server = await startServer(
    {
      name: 'charge on a bare server',
      script: 'bench/gateway/charge-server.ts',
      env: { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: String(config.poolSize) },
      readyPath: '/readyz',
    },
    cleanup,
  );
  const measurement = await measure(
    'charge_bare',
    'gateway charge, bare server',
    { url: `${server.url}/v1/tasks`, method: 'POST', headers: { 'content-type': 'application/json' }, body: SUBMIT_BODY },
    load,
  );
  await server.stop();
  return measurement;
}

/**
 * The profile the gateway wrote on exit, and what its database sessions were doing, each
 * summarised over each measurement's own window.
 */
async function profileNotes(dir: string, waits: WaitSampler, measurements: Measurement[]): Promise<string[]> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return [`profile: the gateway wrote no .cpuprofile into ${dir} (did it exit cleanly?)`];
  const profile = await readCpuProfile(path.join(dir, file));
  const notes = [`profile: ${path.join(dir, file)} (figures above were taken under the profiler)`];
  for (const m of measurements) {
    const { startUs, endUs } = m.window;
    notes.push('', `profile of ${m.label}: node scripts/run.mjs bench/profile-summary.ts ${path.join(dir, file)} ${startUs} ${endUs}`, '');
    notes.push(formatProfileSummary(m.label, summarizeProfile(profile, REPO_ROOT, m.window)));
    notes.push('', formatWaitSummary(m.label, waits.summarize(m.window)));
  }
  return notes;
}
