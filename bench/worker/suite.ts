// The worker's side: how fast one worker process carries tasks from submit to their final state
// against the simulator at fast timings, how many tasks it tracks in flight and with how much
// memory, and whether it ever went over the upstream's request limits (the simulator counts).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../lib/child-server.ts';
import { log } from '../lib/log.ts';
import { withClient } from '../lib/postgres.ts';
import { deleteKeysWithPrefix } from '../lib/redis.ts';
import { scratchStorageDir } from '../lib/scratch-storage.ts';
import type { Suite } from '../lib/suite.ts';
import { createCustomers } from '../gateway/customers.ts';
import { prepareGatewayDatabase } from '../gateway/database.ts';
import { SUBMIT_BODY } from '../workload.ts';

// Upstream budgets high enough that the worker, not the simulator, is what is measured; the worker
// is told the same limits, and the simulator reports whether it kept to them.
const SIM = { SIM_PENDING_MS: '200', SIM_RUNNING_MS: '5000', SIM_SUBMIT_QPS: '2000', SIM_QUERY_QPS: '5000', SIM_API_KEY: 'sk-sim' };
const WORKER = { CHANNEL_SUBMIT_QPS: '2000', CHANNEL_QUERY_QPS: '5000', POLL_FIRST_DELAY_MS: '500', POLL_INTERVAL_MS: '1000', WORKER_CONCURRENCY: '100' };
const SUBMITTERS = 50;
const SAMPLE_MS = 250;
const IDLE_SETTLE_MS = 2_000;
const TIMEOUT_MS = 180_000;

interface KindStats {
  requests: number;
  throttled: number;
  peakPerSecond: number;
  limit: number;
}

const rssMb = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : 0;
};

export const workerSuite: Suite = {
  name: 'worker',
  async run({ config, cleanup }) {
    const { redisUrl, workerTasks } = config;
    const redisPrefix = `${config.redisPrefix}w`;
    log(`worker: preparing database ${config.workerDatabase}`);
    const databaseUrl = await prepareGatewayDatabase(config, cleanup, config.workerDatabase);
    const customers = await createCustomers(databaseUrl, 100);
    await deleteKeysWithPrefix(redisUrl, redisPrefix);
    cleanup.add(`delete Redis keys ${redisPrefix}:*`, () => deleteKeysWithPrefix(redisUrl, redisPrefix));

    const simulator = await startServer(
      { name: 'simulator', script: 'src/entrypoints/simulator.ts', env: { ...SIM, LOG_LEVEL: 'warn' }, readyPath: '/__sim/stats', portVariable: 'SIM_PORT', hostVariable: 'SIM_HOST' },
      cleanup,
    );
    await withClient(databaseUrl, (c) => c.query(`INSERT INTO channels (name, base_url, api_key) VALUES ('simulator', $1, $2)`, [simulator.url, SIM.SIM_API_KEY]));
    // The worker consumes every queue, as deployed: result copies (and their thumbnails) share it with settlement.
    const storageDir = await scratchStorageDir(cleanup);
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix, LOG_LEVEL: 'warn', ADMIN_TOKEN: 'bench', STORAGE_DIR: storageDir, ...WORKER };
    const api = await startServer({ name: 'gateway', script: 'src/entrypoints/api.ts', env, readyPath: '/readyz' }, cleanup);
    log('worker: starting one worker process');
    const worker = await startServer({ name: 'worker', script: 'src/entrypoints/worker.ts', env, readyPath: '/readyz', portVariable: 'METRICS_PORT' }, cleanup);
    await sleep(IDLE_SETTLE_MS);
    const idleRss = rssMb(worker.pid);

    log(`worker: submitting ${workerTasks} tasks`);
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        for (let i = next++; i < workerTasks; i = next++) {
          const customer = customers[i % customers.length] as (typeof customers)[number];
          const res = await fetch(`${api.url}/v1/video/generations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.key}` },
            body: SUBMIT_BODY,
          });
          if (res.status !== 200) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
        }
      }),
    );
    await api.stop();

    let peakOpen = 0;
    let peakRss = 0;
    let final = 0;
    await withClient(databaseUrl, async (client) => {
      while (final < workerTasks) {
        if (Date.now() - started > TIMEOUT_MS) throw new Error(`only ${final} of ${workerTasks} tasks final after ${TIMEOUT_MS} ms`);
        await sleep(SAMPLE_MS);
        const { rows } = await client.query<{ open: string; final: string }>(
          `SELECT count(*) FILTER (WHERE status IN ('QUEUED', 'IN_PROGRESS')) AS open, count(*) FILTER (WHERE status IN ('SUCCESS', 'FAILURE')) AS final FROM tasks`,
        );
        peakOpen = Math.max(peakOpen, Number(rows[0]?.open));
        final = Number(rows[0]?.final);
        peakRss = Math.max(peakRss, rssMb(worker.pid));
      }
    });
    const elapsedS = (Date.now() - started) / 1000;
    const failed = await withClient(databaseUrl, async (c) => Number((await c.query(`SELECT count(*) AS n FROM tasks WHERE status = 'FAILURE'`)).rows[0].n));
    const stats = (await (await fetch(`${simulator.url}/__sim/stats`)).json()) as { submit: KindStats; query: KindStats };
    await worker.stop();
    await simulator.stop();

    const settledPerS = workerTasks / elapsedS;
    const withinLimits = stats.submit.throttled === 0 && stats.query.throttled === 0 && stats.submit.peakPerSecond <= stats.submit.limit && stats.query.peakPerSecond <= stats.query.limit;
    return {
      measurements: [],
      facts: {
        worker_tasks: workerTasks,
        worker_failed: failed,
        worker_settled_per_s: Math.round(settledPerS * 10) / 10,
        worker_elapsed_s: Math.round(elapsedS * 10) / 10,
        worker_inflight_peak: peakOpen,
        worker_rss_idle_mb: Math.round(idleRss),
        worker_rss_peak_mb: Math.round(peakRss),
        upstream_submit_peak_qps: stats.submit.peakPerSecond,
        upstream_submit_limit: stats.submit.limit,
        upstream_query_peak_qps: stats.query.peakPerSecond,
        upstream_query_limit: stats.query.limit,
        upstream_throttled: stats.submit.throttled + stats.query.throttled,
        upstream_within_limits: withinLimits ? 1 : 0,
      },
      notes: [
        `worker: ${workerTasks} tasks (${SIM.SIM_RUNNING_MS} ms upstream running time) from first submit to all settled in ${elapsedS.toFixed(1)} s with one worker: ${settledPerS.toFixed(1)} tasks/s, ${failed} failed`,
        `worker: up to ${peakOpen} tasks in flight at once; worker RSS ${idleRss.toFixed(0)} MB idle, ${peakRss.toFixed(0)} MB at peak`,
        `upstream: ${stats.submit.requests} submits (peak ${stats.submit.peakPerSecond}/s, limit ${stats.submit.limit}), ${stats.query.requests} queries (peak ${stats.query.peakPerSecond}/s, limit ${stats.query.limit}), throttled ${stats.submit.throttled + stats.query.throttled}: ${withinLimits ? 'never over the limits' : 'OVER THE LIMITS'}`,
      ],
    };
  },
};
