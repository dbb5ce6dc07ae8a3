// PostgreSQL is the source of truth; Redis only schedules. Periodically every piece of work the
// database says is still to do is checked for a live job, and given one when it has none (Redis
// flushed, a job that used up its retries, a crash between a commit and an enqueue): open tasks,
// videos to copy, webhooks to send. Tasks past their timeout are settled here too, so even a task
// nobody is polling any more ends and is refunded.
import type { FastifyBaseLogger } from 'fastify';
import type { Queues } from '../jobs/job-queue.ts';
import type { Queryable } from '../db/database.ts';
import { prepare } from '../db/prepared.ts';
import { findTask } from '../modules/tasks/tasks.repository.ts';
import { type AdvanceDeps, endIfTimedOut, lostSubmitDeps } from './advance-task.ts';
import { resolveLostSubmit } from './lost-submit.ts';
import { timeoutSecondsFor } from './settings.ts';
import { pendingWebhooks } from '../webhooks/deliveries.repository.ts';
import { lostSubmits } from './upstream-orphans.ts';

const BATCH = 500;

export interface ReconcileReport {
  checked: number;
  requeued: number;
  timedOut: number;
}

interface WalkParams {
  after: number;
  limit: number;
}

// Each walks a partial index that holds only the rows with work left.
const pendingQuery = (kind: 'tasks' | 'results') =>
  prepare(`pending-${kind}`, (p: WalkParams, qb) => {
    const base = qb.selectFrom('tasks').select(['id', 'taskId', 'model', 'submitTime']).where('id', '>', p.after);
    const pending =
      kind === 'tasks'
        ? base.where('status', 'in', ['NOT_START', 'QUEUED', 'IN_PROGRESS'])
        : base.where('resultCopy', '=', 'pending');
    return pending.orderBy('id').limit(p.limit);
  });
const PENDING = { tasks: pendingQuery('tasks'), results: pendingQuery('results') };
type PendingRow = Awaited<ReturnType<(typeof PENDING)['tasks']['rows']>>[number];

type ReconcileDeps = AdvanceDeps & { queues: Queues; log: FastifyBaseLogger };

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, requeued: 0, timedOut: 0 };
  await walk(deps.db, 'tasks', async (row) => {
    report.checked++;
    const timeoutS = timeoutSecondsFor(deps.settings, row.model);
    if (Date.now() - row.submitTime.getTime() > timeoutS * 1000) {
      const task = await findTask(deps.db, row.taskId);
      if (task && (await endIfTimedOut(deps, task))) report.timedOut++;
    } else if (await deps.queues.tasks.ensureJob(row.taskId)) {
      report.requeued++;
    }
  });
  // A task that ended while its submit's answer was lost may have left an upstream task behind.
  for (const task of await lostSubmits(deps.db, BATCH)) {
    report.checked++;
    await resolveLostSubmit(lostSubmitDeps(deps), task);
  }
  await walk(deps.db, 'results', async (row) => {
    report.checked++;
    if (await deps.queues.results.ensureJob(row.taskId)) report.requeued++;
  });
  await walkPages((after) => pendingWebhooks(deps.db, after, BATCH), 0n, async (row) => {
    report.checked++;
    if (await deps.queues.webhooks.ensureJob(row.taskId, row.event)) report.requeued++;
  });
  if (report.requeued || report.timedOut) deps.log.info(report, 'reconciled pending work');
  return report;
}

/** Visits every row a keyset-paged query finds, BATCH at a time, in id order. */
async function walkPages<Row extends { id: Id }, Id>(page: (after: Id) => Promise<Row[]>, start: Id, visit: (row: Row) => Promise<void>): Promise<void> {
  let after = start;
  for (;;) {
    const rows = await page(after);
    if (rows.length === 0) return;
    after = rows.at(-1)?.id ?? after;
    await Promise.all(rows.map(visit));
  }
}

const walk = (db: Queryable, kind: keyof typeof PENDING, visit: (row: PendingRow) => Promise<void>) =>
  walkPages((after) => PENDING[kind].rows(db, { after, limit: BATCH }), 0, visit);
