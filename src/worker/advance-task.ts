// One step in a task's life: submit it upstream, or poll it and record what the upstream says,
// or settle it. Each step ends by saying when the task should be looked at again.
import type { FastifyBaseLogger } from 'fastify';
import type { Queues } from '../jobs/job-queue.ts';
import type { Db } from '../db/database.ts';
import type { Storage } from '../storage/storage.ts';
import { inlineUploads, MissingUploadError } from './inline-uploads.ts';
import type { NormalizedRequest } from '../modules/tasks/normalize-request.ts';
import type { TaskRow } from '../modules/tasks/tasks.repository.ts';
import { type PriceSnapshot, quotaFor } from '../modules/pricing/quota.ts';
import { buildSubmitBody } from '../upstream/dashscope-submit-body.ts';
import type { TaskSnapshot, UpstreamClient, UpstreamFailure } from '../upstream/types.ts';
import { type Channel, type ChannelDirectory, upstreamModelFor } from './channels.ts';
import { QUEUED_PROGRESS, runningProgress } from './progress.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { endTask } from '../lifecycle/end-task.ts';
import { type Settlement, settleObserved } from '../lifecycle/settlement.ts';
import type { Metrics } from '../observability/metrics.ts';
import { timeoutSecondsFor, type WorkerSettings } from './settings.ts';
import { reportsEvent } from '../webhooks/events.ts';
import { type LostSubmitDeps, lostAfterMs, resolveLostSubmit } from './lost-submit.ts';
import { claimSubmit, clearLostSubmit, markSubmitted, recordPoll, recordSubmitFailure, releaseSubmitClaim } from './task-store.ts';
import { recordOrphan } from './upstream-orphans.ts';

export interface AdvanceDeps {
  db: Db;
  /**
   * For the updates each poll and submit make (progress, the upstream's answer), which announce
   * themselves to the status stream: PostgreSQL makes a notifying commit hold a server-wide lock
   * until its WAL is on disk, so these commit without waiting for the disk. One lost to a crash of
   * the database is made again by the next poll, or found by the lost-submit check; money and the
   * mark before a submit are always written with `db`.
   */
  progressDb: Db;
  /** Holds images clients uploaded as input_reference. */
  storage: Storage;
  /** Where the work that follows a task's end is queued. */
  queues: Pick<Queues, 'results' | 'webhooks'>;
  channels: ChannelDirectory;
  limiter: RateLimiter;
  upstream: UpstreamClient;
  settings: WorkerSettings;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

/** Look again after this many ms; null when the task is final. */
export type NextLook = number | null;

/** Room in the upstream budget further away than this is not waited for: the task comes back later. */
const MAX_SLOT_WAIT_MS = 1_000;
const NO_CHANNEL_RETRY_MS = 30_000;
const MAX_SUBMIT_BACKOFF_MS = 60_000;
/** Another worker's submit of the task is under way: look again shortly (it is recorded by then, or lost). */
const SUBMIT_BUSY_MS = 1_000;

// Spreads tasks submitted together over time; only ever later, so no task is polled more often
// than the configured interval.
const jitter = (ms: number): number => Math.round(ms * (1 + Math.random() * 0.2));

export async function advanceTask(deps: AdvanceDeps, task: TaskRow): Promise<NextLook> {
  if (await endIfTimedOut(deps, task)) return null;
  return task.status === 'NOT_START' ? submit(deps, task) : poll(deps, task);
}

/**
 * Fails (and refunds) a task that is past its model's timeout, cancelling it upstream while it is
 * still PENDING there; true when it was past it.
 */
export async function endIfTimedOut(deps: AdvanceDeps, task: TaskRow): Promise<boolean> {
  const timeoutS = timeoutSecondsFor(deps.settings, task.model);
  if (Date.now() - task.submitTime.getTime() <= timeoutS * 1000) return false;
  const ending = { db: deps.db, channel: (id: number) => deps.channels.get(id), upstream: deps.upstream, queues: deps.queues, metrics: deps.metrics, log: deps.log };
  await endTask(ending, task, 'force', `Timeout: the task did not finish within ${timeoutS} s`);
  return true;
}

async function submit(deps: AdvanceDeps, task: TaskRow): Promise<NextLook> {
  const { channels, limiter, upstream, settings, db, log } = deps;
  if (task.submitStartedAt) return lostSubmit(deps, task);
  const channel = await channels.pick(task.model, task.attempts > 0 ? task.channelId : null);
  if (!channel) {
    log.warn({ task_id: task.taskId, model: task.model }, 'no enabled channel serves this model; the task waits');
    return NO_CHANNEL_RETRY_MS;
  }
  const upstreamModel = upstreamModelFor(channel, task.model);
  let request: NormalizedRequest;
  try {
    request = await inlineUploads(task.request as unknown as NormalizedRequest, deps.storage);
  } catch (err) {
    if (!(err instanceof MissingUploadError)) throw err;
    await settle(deps, task, failure(`InputMissing: ${err.message}`, null));
    return null;
  }
  // Written down before the request leaves: a crash or a lost answer from here on is found again
  // in the account's task list rather than paid for twice.
  const startedAt = await claimSubmit(db, task.id, { channelId: channel.id, upstreamModel });
  if (!startedAt) return SUBMIT_BUSY_MS;
  // The budget is taken last, right before the request leaves, so requests reach the upstream as
  // evenly spaced as they were let through.
  const wait = await waitForSlot(limiter, channel, 'submit', channel.submitQps ?? settings.channelSubmitQps);
  if (wait !== null) {
    await releaseSubmitClaim(db, task.id, startedAt);
    return wait;
  }
  const outcome = await upstream.submit(channel, buildSubmitBody(request, upstreamModel));
  if (outcome.ok) {
    const recorded = await markSubmitted(deps.progressDb, task.id, {
      channelId: channel.id,
      upstreamModel,
      upstreamTaskId: outcome.upstreamTaskId,
      data: outcome.body,
      progress: QUEUED_PROGRESS,
    });
    if (!recorded) {
      // The task ended (a cancel, a timeout) while its submit was on its way: nobody will poll it.
      log.warn({ task_id: task.taskId, upstream_task_id: outcome.upstreamTaskId }, 'the task ended while it was being submitted; canceling the upstream task');
      const canceled = await upstream.cancel(channel, outcome.upstreamTaskId);
      await recordOrphan(db, { channelId: channel.id, upstreamTaskId: outcome.upstreamTaskId, outcome: canceled.ok ? 'cancelled' : 'cancel_failed', taskId: task.taskId });
      await clearLostSubmit(db, task.id, startedAt);
      return null;
    }
    await reportMove(deps, task, 'QUEUED');
    return jitter(settings.pollFirstDelayMs);
  }

  const f = outcome.failure;
  log.warn({ task_id: task.taskId, channel_id: channel.id, code: f.code, disposition: f.disposition }, `upstream submit failed: ${f.message}`);
  if (answerLost(f)) {
    // The request may have been taken: the mark stays, and the task list will tell.
    return lostAfterMs(settings.upstreamTimeoutMs);
  }
  switch (f.disposition) {
    case 'request':
      await settle(deps, task, failure(reasonOf(f), f.body));
      return null;
    case 'channel':
      await channels.disable(channel.id, reasonOf(f));
      await recordSubmitFailure(db, task.id, f.body);
      return 0;
    case 'retry':
      await recordSubmitFailure(db, task.id, f.body);
      return jitter(Math.min(MAX_SUBMIT_BACKOFF_MS, 1_000 * 2 ** task.attempts));
  }
}

export const lostSubmitDeps = (deps: AdvanceDeps): LostSubmitDeps => ({
  db: deps.db,
  channel: (id) => deps.channels.get(id),
  upstream: deps.upstream,
  upstreamTimeoutMs: deps.settings.upstreamTimeoutMs,
  pollIntervalMs: deps.settings.pollIntervalMs,
  log: deps.log,
});

/** No answer came (or no usable one with a 2xx): the upstream may or may not have created the task. */
const answerLost = (f: UpstreamFailure): boolean => f.kind === 'network' || f.kind === 'timeout' || f.kind === 'invalid_response';

async function lostSubmit(deps: AdvanceDeps, task: TaskRow): Promise<NextLook> {
  const outcome = await resolveLostSubmit(lostSubmitDeps(deps), task);
  switch (outcome.kind) {
    case 'wait':
      return outcome.waitMs;
    case 'unavailable':
      return jitter(deps.settings.pollIntervalMs);
    case 'adopted':
      return 0;
    case 'cleared':
      return 0;
  }
}

async function poll(deps: AdvanceDeps, task: TaskRow): Promise<NextLook> {
  const { channels, limiter, upstream, settings, log } = deps;
  const channel = task.channelId === null ? undefined : await channels.get(task.channelId);
  if (!channel || !task.upstreamTaskId) {
    await settle(deps, task, failure('ChannelGone: the upstream channel that ran this task no longer exists', null));
    return null;
  }
  const wait = await waitForSlot(limiter, channel, 'query', channel.queryQps ?? settings.channelQueryQps);
  if (wait !== null) return wait;

  const outcome = await upstream.query(channel, task.upstreamTaskId);
  if (!outcome.ok) {
    // Whatever went wrong, the task still exists upstream: ask again later (the timeout ends it).
    log.warn({ task_id: task.taskId, code: outcome.failure.code }, `upstream query failed: ${outcome.failure.message}`);
    return jitter(settings.pollIntervalMs);
  }
  const snapshot = outcome.task;
  const now = new Date();
  switch (snapshot.state) {
    case 'PENDING':
      await recordPoll(deps.progressDb, task.id, { status: 'QUEUED', progress: QUEUED_PROGRESS, data: snapshot.body, unknownSince: null, startedAt: null });
      return jitter(settings.pollIntervalMs);
    case 'RUNNING': {
      const startedAt = snapshot.scheduledAt ?? task.startTime ?? now;
      const progress = runningProgress(capabilityOf(task), startedAt, now);
      await recordPoll(deps.progressDb, task.id, { status: 'IN_PROGRESS', progress, data: snapshot.body, unknownSince: null, startedAt: snapshot.scheduledAt });
      await reportMove(deps, task, 'IN_PROGRESS');
      return jitter(settings.pollIntervalMs);
    }
    case 'SUCCEEDED':
      await settle(deps, task, success(task, snapshot));
      return null;
    case 'FAILED':
      await settle(deps, task, {
        ...failure(snapshot.code ? `${snapshot.code}: ${snapshot.message ?? ''}`.trim() : `UpstreamFailed: ${snapshot.message ?? 'the upstream task failed without giving a reason'}`, snapshot.body),
        ...upstreamTimes(snapshot),
      });
      return null;
    case 'CANCELED':
      await settle(deps, task, { ...failure('Canceled: the task was canceled upstream', snapshot.body), ...upstreamTimes(snapshot) });
      return null;
    case 'UNKNOWN': {
      // DashScope answers UNKNOWN for tasks it cannot find, which can be momentary; only a run of
      // such answers as long as the grace period ends the task.
      const since = task.unknownSince ?? now;
      if (now.getTime() - since.getTime() >= settings.unknownGraceMs) {
        await settle(deps, task, failure('UNKNOWN: the upstream no longer knows this task', snapshot.body));
        return null;
      }
      const status = task.status === 'IN_PROGRESS' ? 'IN_PROGRESS' : 'QUEUED';
      await recordPoll(deps.progressDb, task.id, { status, progress: task.progress, data: snapshot.body, unknownSince: since, startedAt: null });
      return jitter(settings.pollIntervalMs);
    }
  }
}

/** null when the request may go now; otherwise the delay before trying again. */
async function waitForSlot(limiter: RateLimiter, channel: Channel, kind: 'submit' | 'query', qps: number): Promise<number | null> {
  const admission = await limiter.admit(`${channel.id}:${kind}`, qps, MAX_SLOT_WAIT_MS);
  return admission.admitted ? null : jitter(admission.retryInMs);
}

const capabilityOf = (task: TaskRow) => (task.request as unknown as NormalizedRequest).capability;

const reasonOf = (f: UpstreamFailure): string => `${f.code}: ${f.message}`;

function failure(reason: string, data: Record<string, unknown> | null): Settlement {
  return { status: 'FAILURE', failReason: reason, resultUrl: '', data, finalQuota: 0n, refundNote: `refund: ${reason}` };
}

function success(task: TaskRow, snapshot: TaskSnapshot): Settlement {
  if (!snapshot.videoUrl) return failure('InvalidResponse: the upstream reported success without a video URL', snapshot.body);
  const price = task.priceSnapshot as unknown as PriceSnapshot;
  // videoedit was charged for the longest possible output; it costs what it really produced.
  const settleToOutput = capabilityOf(task) === 'videoedit' && snapshot.outputSeconds !== null;
  const finalQuota = settleToOutput ? BigInt(quotaFor(price, snapshot.outputSeconds as number)) : task.quota;
  return {
    status: 'SUCCESS',
    failReason: '',
    resultUrl: snapshot.videoUrl,
    data: snapshot.body,
    finalQuota,
    refundNote: `settled to ${snapshot.outputSeconds} s of output (charged for ${price.seconds} s at submit)`,
    ...upstreamTimes(snapshot),
  };
}

// DashScope's own times of a task's run, which a poll may never catch (a run shorter than the
// poll interval); the times the worker saw things are only the fallback.
const upstreamTimes = (snapshot: TaskSnapshot) => ({ startedAt: snapshot.scheduledAt, finishedAt: snapshot.endedAt });

/**
 * Queues the webhook of the task's move to `status` when it asked for that event. The event itself
 * was written with the move (the tasks_webhook_event trigger), so a crash before this line only
 * delays the webhook until the reconciler's next pass.
 */
async function reportMove(deps: AdvanceDeps, task: TaskRow, status: 'QUEUED' | 'IN_PROGRESS'): Promise<void> {
  const event = task.status === status ? null : reportsEvent(task, status);
  if (event) await deps.queues.webhooks.enqueue(task.taskId, 0, event);
}

async function settle(deps: AdvanceDeps, task: TaskRow, settlement: Settlement): Promise<void> {
  const settled = await settleObserved(deps, task, settlement);
  if (!settled) return;
  deps.log.info({ task_id: task.taskId, status: settlement.status, refunded: settled.refunded.toString() }, `task ${settlement.status}`);
  // Recorded in the task already; queued now so it starts at once rather than at the next reconcile.
  if (settled.copyPending) await deps.queues.results.enqueue(task.taskId);
  if (settled.webhookEvent) await deps.queues.webhooks.enqueue(task.taskId, 0, settled.webhookEvent);
}
