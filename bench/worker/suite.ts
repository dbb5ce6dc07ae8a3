// The worker's side: how fast one worker process carries tasks from submit to their final state
// against the simulator at fast timings, how many tasks it tracks in flight and with how much
// memory, and whether it ever went over the upstream's request limits (the simulator counts).
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../lib/child-server.ts';
import { formatProfileSummary, readCpuProfile, summarizeProfile } from '../lib/cpu-profile.ts';
import { log } from '../lib/log.ts';
import { withClient } from '../lib/postgres.ts';
import type { Suite } from '../lib/suite.ts';
import { measureFootprint, rssMb } from './footprint.ts';
import { SIM, startWorkerStack, submitTask } from './stack.ts';

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

export const workerSuite: Suite = {
  name: 'worker',
  async run({ config, cleanup }) {
    const { workerTasks } = config;
    // Kept after the run, like the gateway's: the profile is for opening in Chrome DevTools too.
    const profileDir = config.profile ? await mkdtemp(path.join(tmpdir(), 'vgw-bench-worker-profile-')) : undefined;
    const { databaseUrl, customers, simulator, api, worker } = await startWorkerStack(config, cleanup, {
      database: config.workerDatabase,
      redisPrefix: `${config.redisPrefix}w`,
      profileDir,
    });
    await sleep(IDLE_SETTLE_MS);
    const idleRss = rssMb(worker.pid);

    log(`worker: submitting ${workerTasks} tasks`);
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        for (let i = next++; i < workerTasks; i = next++) {
          await submitTask(api.url, customers[i % customers.length] as (typeof customers)[number]);
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

    const footprint = await measureFootprint(config, cleanup);

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
        ...footprint.facts,
      },
      notes: [
        `worker: ${workerTasks} tasks (${SIM.SIM_RUNNING_MS} ms upstream running time) from first submit to all settled in ${elapsedS.toFixed(1)} s with one worker: ${settledPerS.toFixed(1)} tasks/s, ${failed} failed`,
        `worker: up to ${peakOpen} tasks in flight at once; worker RSS ${idleRss.toFixed(0)} MB idle, ${peakRss.toFixed(0)} MB at peak`,
        ...(profileDir ? await workerProfileNotes(profileDir) : []),
        ...footprint.notes,
        `upstream: ${stats.submit.requests} submits (peak ${stats.submit.peakPerSecond}/s, limit ${stats.submit.limit}), ${stats.query.requests} queries (peak ${stats.query.peakPerSecond}/s, limit ${stats.query.limit}), throttled ${stats.submit.throttled + stats.query.throttled}: ${withinLimits ? 'never over the limits' : 'OVER THE LIMITS'}`,
      ],
    };
  },
};

async function workerProfileNotes(dir: string): Promise<string[]> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return [`profile: the worker wrote no .cpuprofile into ${dir} (did it exit cleanly?)`];
  const profile = await readCpuProfile(path.join(dir, file));
  return [`profile: ${path.join(dir, file)} (the worker, whole run)`, formatProfileSummary('worker', summarizeProfile(profile, REPO_ROOT))];
}
