// The gateway at a glance: the queues in Redis; the channels, the open tasks and the workers that
// report a heartbeat in PostgreSQL.
import type { Db } from '../../db/database.ts';
import type { Queues } from '../../jobs/job-queue.ts';
import { unixSeconds } from '../../lib/time.ts';
import { aliveWorkers } from '../../worker/heartbeats.repository.ts';
import { openTasksByStatus } from './tasks.repository.ts';

const QUEUE_TIMEOUT_MS = 2_000;

async function queueCounts(queues: Queues) {
  const entries = await Promise.all(
    Object.entries(queues).map(async ([name, queue]) => {
      const counts = await queue.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
      return [name, { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0 }] as const;
    }),
  );
  return Object.fromEntries(entries);
}

export async function systemOverview(db: Db, queues: Queues) {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${QUEUE_TIMEOUT_MS} ms`)), QUEUE_TIMEOUT_MS);
  });
  const [queued, channels, open, workers] = await Promise.all([
    Promise.race([queueCounts(queues), deadline])
      .then((counts) => ({ counts, error: null }))
      .catch((err: Error) => ({ counts: Object.fromEntries(Object.keys(queues).map((name) => [name, null])), error: `the queues could not be read: ${err.message}` }))
      .finally(() => clearTimeout(timer)),
    db.selectFrom('channels').select(['id', 'name', 'status', 'statusReason', 'retestAt']).orderBy('id').execute(),
    openTasksByStatus(db),
    aliveWorkers(db),
  ]);
  return {
    queues: queued.counts,
    queues_error: queued.error,
    channels: channels.map((c) => ({ id: c.id, name: c.name, status: c.status, last_error: c.statusReason, retest_at: c.retestAt ? unixSeconds(c.retestAt) : null })),
    open_tasks: open as { NOT_START: number; QUEUED: number; IN_PROGRESS: number },
    workers: workers.map((w) => ({ id: w.workerId, host: w.host, pid: w.pid, queues: w.queues, version: w.version, started_at: unixSeconds(w.startedAt), last_seen: unixSeconds(w.lastSeen) })),
  };
}
