// The one way to end an unfinished task from outside its normal course: a client's cancel, an
// operator's force-fail, a timeout. The task ends FAILURE with a full refund through the same
// compare-and-swap settlement the worker uses, so it happens exactly once whatever races it (the
// worker advancing the task, a second cancel, another instance); and the upstream task is
// cancelled while DashScope still allows it (PENDING), so the operator does not pay for a video
// nobody will get.
//
// A task still NOT_START may be in the middle of its upstream submit on some worker: once the
// settlement lands, that worker's record of the submit is refused (it is conditional on NOT_START)
// and it cancels the upstream task it just created.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { AppError } from '../lib/errors.ts';
import { findTask, type TaskRow } from '../modules/tasks/tasks.repository.ts';
import type { UpstreamChannel, UpstreamClient } from '../upstream/types.ts';
import type { Metrics } from '../observability/metrics.ts';
import { settleObserved } from './settlement.ts';

export interface EndTaskDeps {
  db: Db;
  /** The channel an upstream task runs on, for cancelling it there. */
  channel: (id: number) => Promise<UpstreamChannel | undefined>;
  upstream: Pick<UpstreamClient, 'cancel'>;
  /** Where the end's webhook is queued (best effort: the reconciler finds it otherwise). */
  queues: { webhooks: Pick<JobQueue, 'enqueue'> };
  metrics: Metrics;
  log: FastifyBaseLogger;
}

export type EndMode =
  /** A client's cancel: only a task not yet running upstream; a running one is left alone. */
  | 'cancel'
  /** An operator's force-fail or a timeout: always ends the task. */
  | 'force';

export type EndOutcome =
  /** This call ended the task; `task` is its final row. */
  | { ended: true; task: TaskRow; refunded: bigint }
  /** Nothing changed: the task was already final, or (cancel) it is running upstream. */
  | { ended: false; why: 'final' | 'running'; task: TaskRow };

const FINAL = new Set(['SUCCESS', 'FAILURE']);

/** DashScope's answer when a task is past PENDING: it cannot be cancelled any more. */
const NOT_PENDING = 'UnsupportedOperation';

export async function endTask(deps: EndTaskDeps, task: TaskRow, mode: EndMode, failReason: string): Promise<EndOutcome> {
  if (FINAL.has(task.status)) return { ended: false, why: 'final', task };
  if (mode === 'cancel' && task.status === 'IN_PROGRESS') return { ended: false, why: 'running', task };

  let canceledUpstream = false;
  if (task.upstreamTaskId !== null && task.channelId !== null && task.status === 'QUEUED') {
    const upstream = await cancelUpstream(deps, task, task.channelId, task.upstreamTaskId, mode);
    if (upstream === 'running' && mode === 'cancel') return { ended: false, why: 'running', task: await current(deps.db, task) };
    canceledUpstream = upstream === 'canceled';
  }

  const settled = await settleObserved(deps, task, {
    status: 'FAILURE',
    failReason,
    resultUrl: '',
    data: null,
    finalQuota: 0n,
    refundNote: `refund: ${failReason}`,
  });
  const final = await current(deps.db, task);
  if (!settled) {
    // A worker's poll saw the upstream task CANCELED between that cancel and this settlement, and
    // settled it first (with the same full refund): the client's cancel is what ended it. (A
    // forced end keeps its own reason or none: an operator's force-fail then answers 409.)
    if (mode === 'cancel' && canceledUpstream && final.status === 'FAILURE') return { ended: true, task: final, refunded: task.quota - final.quota };
    return { ended: false, why: 'final', task: final };
  }
  deps.log.info({ task_id: task.taskId, mode, refunded: settled.refunded.toString() }, `task ended: ${failReason}`);
  if (settled.webhookEvent) await deps.queues.webhooks.enqueue(task.taskId, 0, settled.webhookEvent).catch(() => {});
  return { ended: true, task: final, refunded: settled.refunded };
}

/**
 * Cancels the upstream task: 'canceled', 'running' when DashScope says it is no longer PENDING, or
 * 'not_asked' (its channel is gone, or, when forcing, the upstream could not be reached). In
 * 'cancel' mode an upstream that cannot be reached is an error (the client may try again); when
 * forcing, the task ends regardless and the upstream task, if it runs, is simply not waited for.
 */
async function cancelUpstream(
  deps: EndTaskDeps,
  task: TaskRow,
  channelId: number,
  upstreamTaskId: string,
  mode: EndMode,
): Promise<'canceled' | 'running' | 'not_asked'> {
  const channel = await deps.channel(channelId);
  if (!channel) return 'not_asked';
  const outcome = await deps.upstream.cancel(channel, upstreamTaskId);
  if (outcome.ok) return 'canceled';
  const { failure } = outcome;
  if (failure.code === NOT_PENDING) return 'running';
  deps.log.warn({ task_id: task.taskId, code: failure.code }, `could not cancel the upstream task: ${failure.message}`);
  if (mode === 'cancel') {
    throw new AppError('unavailable', `the upstream could not be asked to cancel task ${task.taskId} just now (${failure.code}); try again`);
  }
  return 'not_asked';
}

async function current(db: Db, task: TaskRow): Promise<TaskRow> {
  return (await findTask(db, task.taskId)) ?? task;
}
