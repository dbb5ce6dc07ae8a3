// Gauges of the whole gateway rather than of one process, read from PostgreSQL and Redis when
// Prometheus scrapes: unfinished tasks by status and model, jobs per queue and state, channels and
// their status, live workers. Added by the API process only (buildApp), so a sum over processes
// counts them once. A scrape costs at most one read of each every FRESH_MS however many scrapers
// there are, each read bounded (indexed, small tables, O(1) Redis counts) and given READ_TIMEOUT_MS;
// a source that does not answer leaves its gauges empty and shows as 0 in vgw_scrape_source_up.
import { Gauge } from 'prom-client';
import type { Db } from '../db/database.ts';
import type { Queues } from '../jobs/job-queue.ts';
import { aliveWorkers } from '../worker/heartbeats.repository.ts';
import { channelStates, countOpenTasks } from './cluster.repository.ts';
import type { Metrics } from './metrics.ts';

export interface ClusterSources {
  db: Db;
  queues: Queues;
}

const FRESH_MS = 2_000;
const READ_TIMEOUT_MS = 3_000;
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

async function bounded<T>(read: () => Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), READ_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(), timeout]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function readCluster({ db, queues }: ClusterSources) {
  const [tasks, channels, workers, jobs] = await Promise.all([
    bounded(() => countOpenTasks(db)),
    bounded(() => channelStates(db)),
    bounded(() => aliveWorkers(db)),
    bounded(() => Promise.all(Object.entries(queues).map(async ([name, queue]) => ({ name, counts: await queue.queue.getJobCounts(...JOB_STATES) })))),
  ]);
  return { tasks, channels, workers, jobs };
}

/** Adds the cluster gauges to `metrics`' registry; a second call (another app on the same registry) adds nothing. */
export function addClusterGauges(metrics: Metrics, sources: ClusterSources): void {
  const registers = [metrics.registry];
  if (metrics.registry.getSingleMetric('vgw_tasks')) return;
  let last: { at: number; read: ReturnType<typeof readCluster> } | undefined;
  const read = () => {
    if (!last || Date.now() - last.at >= FRESH_MS) last = { at: Date.now(), read: readCluster(sources) };
    return last.read;
  };

  new Gauge({
    name: 'vgw_scrape_source_up',
    help: 'Whether PostgreSQL and Redis answered the last read of the cluster gauges (1) or not (0)',
    labelNames: ['source'] as const,
    registers,
    async collect() {
      const state = await read();
      this.set({ source: 'postgres' }, state.tasks && state.channels && state.workers ? 1 : 0);
      this.set({ source: 'redis' }, state.jobs ? 1 : 0);
    },
  });
  const seen = new Map<string, { status: string; model: string }>();
  new Gauge({
    name: 'vgw_tasks',
    help: 'Unfinished tasks by status (NOT_START, QUEUED, IN_PROGRESS) and model; finished ones are counted by vgw_tasks_finished_total',
    labelNames: ['status', 'model'] as const,
    registers,
    async collect() {
      const { tasks } = await read();
      if (!tasks) return this.reset();
      // A status and model that had tasks stays at 0 rather than vanishing, so graphs show the drop to zero.
      for (const labels of seen.values()) this.set(labels, 0);
      for (const { status, model, count } of tasks) {
        seen.set(`${status}\n${model}`, { status, model });
        this.set({ status, model }, count);
      }
    },
  });
  new Gauge({
    name: 'vgw_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, prioritized, failed)',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      const { jobs } = await read();
      this.reset();
      for (const { name, counts } of jobs ?? []) for (const state of JOB_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'vgw_channel_status',
    help: 'Upstream channels: 1 on the series of each channel\'s current status (enabled, disabled, auto_disabled)',
    labelNames: ['channel', 'name', 'status'] as const,
    registers,
    async collect() {
      const { channels } = await read();
      this.reset();
      for (const c of channels ?? []) this.set({ channel: String(c.id), name: c.name, status: c.status }, 1);
    },
  });
  new Gauge({
    name: 'vgw_channel_inflight_tasks',
    help: 'Tasks submitted upstream on each channel and not yet final',
    labelNames: ['channel', 'name'] as const,
    registers,
    async collect() {
      const { channels } = await read();
      this.reset();
      for (const c of channels ?? []) this.set({ channel: String(c.id), name: c.name }, c.inflightTasks);
    },
  });
  new Gauge({
    name: 'vgw_workers_alive',
    help: 'Worker processes whose heartbeat is recent',
    registers,
    async collect() {
      const { workers } = await read();
      this.reset();
      if (workers) this.set(workers.length);
    },
  });
}
