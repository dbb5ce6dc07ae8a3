// The gateway as it runs end to end, for the suites that follow tasks past the submit: its own
// database and Redis namespace, the DashScope simulator as the one channel, the API and one
// worker process (which consumes every queue, as deployed: result copies and thumbnails share it
// with settlement).
import { type ServerProcess, startServer } from '../lib/child-server.ts';
import type { Cleanup } from '../lib/cleanup.ts';
import { log } from '../lib/log.ts';
import { withClient } from '../lib/postgres.ts';
import { deleteKeysWithPrefix } from '../lib/redis.ts';
import { scratchStorageDir } from '../lib/scratch-storage.ts';
import type { BenchConfig } from '../config.ts';
import { type Customer, createCustomers } from '../gateway/customers.ts';
import { prepareGatewayDatabase } from '../gateway/database.ts';
import { SUBMIT_BODY } from '../workload.ts';

// Upstream budgets high enough that the worker, not the simulator, is what is measured; the worker
// is told the same limits, and the simulator reports whether it kept to them.
export const SIM = { SIM_PENDING_MS: '200', SIM_RUNNING_MS: '5000', SIM_SUBMIT_QPS: '2000', SIM_QUERY_QPS: '5000', SIM_API_KEY: 'sk-sim' };
const WORKER = { CHANNEL_SUBMIT_QPS: '2000', CHANNEL_QUERY_QPS: '5000', POLL_FIRST_DELAY_MS: '500', POLL_INTERVAL_MS: '1000', WORKER_CONCURRENCY: '100' };
const CUSTOMERS = 100;

export interface WorkerStack {
  databaseUrl: string;
  customers: Customer[];
  simulator: ServerProcess;
  api: ServerProcess;
  worker: ServerProcess;
}

export interface StackOptions {
  database: string;
  redisPrefix: string;
  /** Settings that differ from SIM and WORKER for this stack. */
  overrides?: Record<string, string>;
  /** The worker runs under the V8 CPU profiler and writes its profile here on exit. */
  profileDir?: string;
}

export async function startWorkerStack(config: BenchConfig, cleanup: Cleanup, { database, redisPrefix, overrides = {}, profileDir }: StackOptions): Promise<WorkerStack> {
  const { redisUrl } = config;
  log(`${database}: preparing the database, the simulator, the API and one worker`);
  const databaseUrl = await prepareGatewayDatabase(config, cleanup, database);
  const customers = await createCustomers(databaseUrl, CUSTOMERS);
  await deleteKeysWithPrefix(redisUrl, redisPrefix);
  cleanup.add(`delete Redis keys ${redisPrefix}:*`, () => deleteKeysWithPrefix(redisUrl, redisPrefix));

  const simulator = await startServer(
    { name: 'simulator', script: 'src/entrypoints/simulator.ts', env: { ...SIM, ...overrides, LOG_LEVEL: 'warn' }, readyPath: '/__sim/stats', portVariable: 'SIM_PORT', hostVariable: 'SIM_HOST' },
    cleanup,
  );
  await withClient(databaseUrl, (c) => c.query(`INSERT INTO channels (name, base_url, api_key) VALUES ('simulator', $1, $2)`, [simulator.url, SIM.SIM_API_KEY]));
  const storageDir = await scratchStorageDir(cleanup);
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix, LOG_LEVEL: 'warn', ADMIN_TOKEN: 'bench', STORAGE_DIR: storageDir, ...WORKER, ...overrides };
  const api = await startServer({ name: 'gateway', script: 'src/entrypoints/api.ts', env, readyPath: '/readyz' }, cleanup);
  const worker = await startServer(
    {
      name: 'worker',
      script: 'src/entrypoints/worker.ts',
      env,
      readyPath: '/readyz',
      portVariable: 'METRICS_PORT',
      ...(profileDir ? { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    },
    cleanup,
  );
  return { databaseUrl, customers, simulator, api, worker };
}

/** One POST /v1/video/generations with SUBMIT_BODY; returns the task id. */
export async function submitTask(apiUrl: string, customer: Customer): Promise<string> {
  const res = await fetch(`${apiUrl}/v1/video/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.key}` },
    body: SUBMIT_BODY,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { task_id: string }).task_id;
}
