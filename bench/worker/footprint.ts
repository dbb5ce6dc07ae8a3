// The worker's footprint: how much memory one worker process needs to track many tasks in flight
// at once. Tasks run upstream for ten minutes, so once submitted they stay in flight; each waits for
// its next status query in Redis's delayed set, not in the worker's memory, and is polled every
// 30 s as a real deployment would. The goal (issue 10): 10,000 in flight under 300 MB RSS.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchConfig } from '../config.ts';
import type { Cleanup } from '../lib/cleanup.ts';
import { log } from '../lib/log.ts';
import { withClient } from '../lib/postgres.ts';
import { startWorkerStack, submitTask } from './stack.ts';

const SUBMITTERS = 50;
const SAMPLE_MS = 250;
/** After the last task went in flight, long enough for every task's first status query and some second ones. */
const HOLD_MS = 45_000;
const TIMEOUT_MS = 300_000;

// Tasks that outlast the run, polled at a realistic pace (the default POLL_INTERVAL_MS is 12 s):
// the memory measured is the cost of tracking them, not of finishing them.
const OVERRIDES = { SIM_RUNNING_MS: '600000', POLL_FIRST_DELAY_MS: '20000', POLL_INTERVAL_MS: '30000' };

export const rssMb = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : 0;
};

export interface Footprint {
  facts: Record<string, number>;
  notes: string[];
}

export async function measureFootprint(config: BenchConfig, cleanup: Cleanup): Promise<Footprint> {
  const tasks = config.footprintTasks;
  const { databaseUrl, customers, simulator, api, worker } = await startWorkerStack(config, cleanup, {
    database: config.footprintDatabase,
    redisPrefix: `${config.redisPrefix}f`,
    overrides: OVERRIDES,
  });
  const idleRss = rssMb(worker.pid);
  log(`footprint: submitting ${tasks} tasks that run upstream for 10 minutes`);
  const started = Date.now();
  let peakRss = idleRss;
  let next = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(worker.pid))), SAMPLE_MS);
  try {
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        for (let i = next++; i < tasks; i = next++) await submitTask(api.url, customers[i % customers.length] as (typeof customers)[number]);
      }),
    );
    let inFlight = 0;
    let peakInFlight = 0;
    let allInFlightAt = 0;
    await withClient(databaseUrl, async (client) => {
      while (!allInFlightAt || Date.now() - allInFlightAt < HOLD_MS) {
        if (Date.now() - started > TIMEOUT_MS) throw new Error(`only ${inFlight} of ${tasks} tasks in flight after ${TIMEOUT_MS} ms`);
        await sleep(SAMPLE_MS * 4);
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE status IN ('QUEUED', 'IN_PROGRESS')`);
        inFlight = Number(rows[0]?.n);
        peakInFlight = Math.max(peakInFlight, inFlight);
        if (inFlight >= tasks && !allInFlightAt) {
          allInFlightAt = Date.now();
          log(`footprint: all ${tasks} in flight after ${((allInFlightAt - started) / 1000).toFixed(0)} s (RSS ${rssMb(worker.pid).toFixed(0)} MB); holding ${HOLD_MS / 1000} s`);
        }
      }
    });
    const stats = (await (await fetch(`${simulator.url}/__sim/stats`)).json()) as { query: { requests: number } };
    return {
      facts: {
        worker_footprint_tasks: tasks,
        worker_footprint_inflight: peakInFlight,
        worker_footprint_rss_idle_mb: Math.round(idleRss),
        worker_footprint_rss_peak_mb: Math.round(peakRss),
      },
      notes: [
        `footprint: one worker tracked ${peakInFlight} tasks in flight at once (each polled every 30 s; ${stats.query.requests} status queries), RSS ${idleRss.toFixed(0)} MB idle, ${peakRss.toFixed(0)} MB at peak`,
      ],
    };
  } finally {
    clearInterval(sampler);
    await api.stop();
    await worker.stop();
    await simulator.stop();
  }
}
