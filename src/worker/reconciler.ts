// PostgreSQL is the source of truth; Redis only schedules. Periodically, every task that is not
// final is checked for a live job: a task whose job was lost (Redis flushed, a failed job that
// used up its retries) gets one again. Tasks past their timeout are settled here too, so even a
// task nobody is polling any more ends and is refunded.
import type { FastifyBaseLogger } from 'fastify';
import type { TaskQueue } from '../jobs/task-queue.ts';
import { type AdvanceDeps, endIfTimedOut } from './advance-task.ts';
import { timeoutSecondsFor } from './settings.ts';
import { findTask } from '../modules/tasks/tasks.repository.ts';

const BATCH = 500;

export interface ReconcileReport {
  checked: number;
  requeued: number;
  timedOut: number;
}

interface OpenTask {
  id: number;
  task_id: string;
  model: string;
  submit_time: Date;
}

const OPEN_TASKS = `
SELECT id, task_id, model, submit_time FROM tasks
WHERE status IN ('NOT_START', 'QUEUED', 'IN_PROGRESS') AND id > $1
ORDER BY id LIMIT $2`;

export async function reconcile(deps: AdvanceDeps & { queue: TaskQueue; log: FastifyBaseLogger }): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, requeued: 0, timedOut: 0 };
  let cursor = 0;
  for (;;) {
    const { rows } = await deps.sql.query<OpenTask>({ name: 'open-tasks', text: OPEN_TASKS, values: [cursor, BATCH] });
    if (rows.length === 0) break;
    cursor = rows.at(-1)?.id ?? cursor;
    report.checked += rows.length;
    await Promise.all(rows.map((row) => reconcileOne(deps, row, report)));
  }
  if (report.requeued || report.timedOut) deps.log.info(report, 'reconciled open tasks');
  return report;
}

async function reconcileOne(deps: AdvanceDeps & { queue: TaskQueue }, row: OpenTask, report: ReconcileReport): Promise<void> {
  const timeoutS = timeoutSecondsFor(deps.settings, row.model);
  if (Date.now() - row.submit_time.getTime() > timeoutS * 1000) {
    const task = await findTask(deps.sql, row.task_id);
    if (task && (await endIfTimedOut(deps, task))) report.timedOut++;
    return;
  }
  if (await deps.queue.ensureJob(row.task_id)) report.requeued++;
}
