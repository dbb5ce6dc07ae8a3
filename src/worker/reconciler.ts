// PostgreSQL is the source of truth; Redis only schedules. Periodically every piece of work the
// database says is still to do is checked for a live job, and given one when it has none (Redis
// flushed, a job that used up its retries, a crash between a commit and an enqueue): open tasks,
// videos to copy, webhooks to send. Tasks past their timeout are settled here too, so even a task
// nobody is polling any more ends and is refunded.
import type { FastifyBaseLogger } from 'fastify';
import type { JobQueue, Queues } from '../jobs/job-queue.ts';
import type { Sql } from '../lib/database.ts';
import { findTask } from '../modules/tasks/tasks.repository.ts';
import { type AdvanceDeps, endIfTimedOut } from './advance-task.ts';
import { timeoutSecondsFor } from './settings.ts';

const BATCH = 500;

export interface ReconcileReport {
  checked: number;
  requeued: number;
  timedOut: number;
}

interface PendingRow {
  id: number;
  task_id: string;
  model: string;
  submit_time: Date;
}

// Each walks a partial index that holds only the rows with work left.
const PENDING = {
  tasks: `SELECT id, task_id, model, submit_time FROM tasks
          WHERE status IN ('NOT_START', 'QUEUED', 'IN_PROGRESS') AND id > $1 ORDER BY id LIMIT $2`,
  results: `SELECT id, task_id, model, submit_time FROM tasks
            WHERE result_copy = 'pending' AND id > $1 ORDER BY id LIMIT $2`,
  webhooks: `SELECT id, task_id, model, submit_time FROM tasks
             WHERE webhook_state = 'pending' AND id > $1 ORDER BY id LIMIT $2`,
} satisfies Record<keyof Queues, string>;

type ReconcileDeps = AdvanceDeps & { queues: Queues; log: FastifyBaseLogger };

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, requeued: 0, timedOut: 0 };
  await walk(deps.sql, 'tasks', async (row) => {
    report.checked++;
    const timeoutS = timeoutSecondsFor(deps.settings, row.model);
    if (Date.now() - row.submit_time.getTime() > timeoutS * 1000) {
      const task = await findTask(deps.sql, row.task_id);
      if (task && (await endIfTimedOut(deps, task))) report.timedOut++;
    } else if (await deps.queues.tasks.ensureJob(row.task_id)) {
      report.requeued++;
    }
  });
  for (const kind of ['results', 'webhooks'] as const) {
    const queue: JobQueue = deps.queues[kind];
    await walk(deps.sql, kind, async (row) => {
      report.checked++;
      if (await queue.ensureJob(row.task_id)) report.requeued++;
    });
  }
  if (report.requeued || report.timedOut) deps.log.info(report, 'reconciled pending work');
  return report;
}

async function walk(sql: Sql, kind: keyof typeof PENDING, visit: (row: PendingRow) => Promise<void>): Promise<void> {
  let cursor = 0;
  for (;;) {
    const { rows } = await sql.query<PendingRow>({ name: `pending-${kind}`, text: PENDING[kind], values: [cursor, BATCH] });
    if (rows.length === 0) return;
    cursor = rows.at(-1)?.id ?? cursor;
    await Promise.all(rows.map(visit));
  }
}
