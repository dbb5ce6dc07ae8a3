// The BullMQ processor of the webhooks queue: reports one event of a task (its end, unless the
// task asked for more) to its callback URL, signed,
// and tries again with a growing back-off until the receiver answers 2xx, answers 410 Gone, or
// WEBHOOK_MAX_ATTEMPTS attempts have failed. Between attempts the job waits in the delayed set,
// like a task's job between polls. Everything a run needs to know (how many attempts so far, when
// the last one ended) is read from webhook_deliveries, so a crash, a duplicate job or a revived
// one carries on where the webhook stands instead of starting over.
import { DelayedError, type Job } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/env.ts';
import type { TaskJobData } from '../jobs/contracts.ts';
import type { Db } from '../db/database.ts';
import type { Metrics } from '../observability/metrics.ts';
import { findTask, type TaskRow } from '../modules/tasks/tasks.repository.ts';
import { CALLBACK_CHECK_TIMEOUT_MS, checkCallbackUrl, type HostLookup } from './callback-url.ts';
import { type Claim, claimAttempt, finishAttempt } from './deliveries.repository.ts';
import { isWebhookEvent, webhookEventOf } from './events.ts';
import { webhookPayload } from './payload.ts';
import { postWebhook, WEBHOOK_USER_AGENT, type WebhookResponse } from './post-webhook.ts';
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs, type RetrySchedule } from './retry-schedule.ts';
import { signedHeaders } from './signing.ts';

export interface WebhookProcessorDeps {
  db: Db;
  config: Pick<Config, 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_MAX_ATTEMPTS' | 'WEBHOOK_ALLOW_PRIVATE_HOSTS'>;
  metrics: Metrics;
  log: FastifyBaseLogger;
  /** The video link a successful task's record shows; asked only for SUCCESS tasks. */
  resultLink: (task: TaskRow) => Promise<string>;
  /** Waits between attempts; default DEFAULT_RETRY_SCHEDULE (1 s, 4 s, 16 s... up to 1 h). */
  retrySchedule?: RetrySchedule;
  /** Resolves callback hosts; default the system resolver. */
  lookup?: HostLookup;
}

// Slack on top of the longest an attempt can take (DNS check plus request timeout) before an
// attempt without an outcome is taken for one whose worker died: declaring a live attempt dead
// would let the next one overlap it.
const ABANDON_MARGIN_MS = 30_000;

const GONE = 410;

// A success is reported once the video's copy has landed (seconds, usually), so the record in the
// webhook carries the gateway's lasting link: a receiver that keeps the link it was sent would
// otherwise keep the upstream's, which dies within 24 hours. A copy still pending this long after
// the task ended is not waited for any more.
export const COPY_WAIT_MS = 120_000;
const COPY_CHECK_MS = 1_000;

async function waitInQueue(job: Job<TaskJobData>, token: string | undefined, delayMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}

export function createWebhookProcessor(deps: WebhookProcessorDeps) {
  const schedule = deps.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
  const timeoutMs = deps.config.WEBHOOK_TIMEOUT_MS;
  const maxAttempts = deps.config.WEBHOOK_MAX_ATTEMPTS;
  const urlOptions = { allowPrivateHosts: deps.config.WEBHOOK_ALLOW_PRIVATE_HOSTS, lookup: deps.lookup };

  async function send(claim: Extract<Claim, { kind: 'attempt' }>, eventId: string, body: string): Promise<WebhookResponse & { giveUp: boolean }> {
    const check = await checkCallbackUrl(claim.url, urlOptions);
    if (!check.ok) return { statusCode: null, error: check.message, giveUp: check.permanent };
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await postWebhook({
      url: check.url,
      addresses: check.addresses,
      headers: { 'content-type': 'application/json', 'user-agent': WEBHOOK_USER_AGENT, ...signedHeaders(claim.secret, eventId, timestamp, body) },
      body,
      timeoutMs,
    });
    return { ...response, giveUp: response.statusCode === GONE };
  }

  return async function processWebhook(job: Job<TaskJobData>, token?: string): Promise<void> {
    const { taskId } = job.data;
    const task = await findTask(deps.db, taskId);
    if (!task) return;
    // A job queued before events existed names none: it reports the task's end.
    const event = isWebhookEvent(job.data.event) ? job.data.event : webhookEventOf(task.status);
    if (event === null) return;
    if (event === 'task.succeeded' && task.resultCopy === 'pending' && Date.now() - (task.finishTime?.getTime() ?? 0) < COPY_WAIT_MS) {
      return waitInQueue(job, token, COPY_CHECK_MS);
    }
    // The record as it is now: an early event sent late shows where the task has got to since.
    const link = task.status === 'SUCCESS' ? await deps.resultLink(task) : '';

    const claim = await claimAttempt(deps.db, taskId, event, {
      maxAttempts,
      abandonAfterMs: CALLBACK_CHECK_TIMEOUT_MS + timeoutMs + ABANDON_MARGIN_MS,
      retryDelayMs: (attempt) => retryDelayMs(schedule, attempt, taskId),
    });
    if (claim.kind === 'none') return;
    if (claim.kind === 'wait') return waitInQueue(job, token, claim.delayMs);
    // The end happened when the record says the task finished (DashScope's own end time, when it gave one).
    const ended = event === 'task.succeeded' || event === 'task.failed';
    const payload = webhookPayload(task, event, link, ended && task.finishTime ? task.finishTime : claim.occurredAt);
    const body = JSON.stringify(payload);

    const started = performance.now();
    const result = await send(claim, payload.id, body);
    const durationMs = Math.round(performance.now() - started);
    const delivered = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const settle = delivered ? 'delivered' : result.giveUp || claim.attempt >= maxAttempts ? 'failed' : null;
    await finishAttempt(deps.db, claim.deliveryId, { statusCode: result.statusCode, error: result.error, durationMs, delivered }, settle);
    deps.metrics.webhookAttempts.inc({ outcome: settle ?? 'retrying' });

    const context = { task_id: taskId, attempt: claim.attempt, status_code: result.statusCode, duration_ms: durationMs };
    if (delivered) {
      deps.log.info(context, 'webhook delivered');
      return;
    }
    if (settle === 'failed') {
      deps.log.warn({ ...context, error: result.error }, 'webhook failed for good');
      return;
    }
    deps.log.info({ ...context, error: result.error }, 'webhook attempt failed; it will be retried');
    return waitInQueue(job, token, retryDelayMs(schedule, claim.attempt, taskId));
  };
}
