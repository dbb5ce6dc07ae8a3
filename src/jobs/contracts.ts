// Job contracts shared by the API and the worker: which queues exist, what their jobs carry and
// how they are retried. Every job concerns one task and its id is the task's public id (with the
// event, for a webhook: one job per event), so enqueueing the same work twice (a retried request,
// the reconciler) adds nothing.
import type { JobsOptions } from 'bullmq';

export interface TaskJobData {
  taskId: string;
  /** Webhooks only: which of the task's events the job reports (task.succeeded...). Jobs queued
   * before events existed carry none and report the task's end. */
  event?: string;
}

/** A job's id: the task's id, and the event after a dot for a webhook (BullMQ ids take no ':'). */
export const jobIdOf = (data: TaskJobData): string => (data.event ? `${data.taskId}.${data.event}` : data.taskId);

export interface QueueDefinition {
  name: string;
  jobName: string;
  options: JobsOptions;
}

const kept: JobsOptions = { removeOnComplete: { count: 1_000 }, removeOnFail: { count: 5_000 } };

export const QUEUES = {
  /** Carries a task from NOT_START to its final state, one step per run. */
  tasks: { name: 'tasks', jobName: 'advance', options: { ...kept, attempts: 20, backoff: { type: 'exponential', delay: 2_000 } } },
  /** Copies a successful task's video from the upstream's link into the gateway's storage. */
  results: { name: 'results', jobName: 'copy', options: { ...kept, attempts: 12, backoff: { type: 'exponential', delay: 5_000 } } },
  /** Reports a task's events (its end, by default) to its callback URL. */
  // Deliveries wait between attempts inside the job; these attempts only cover errors of the
  // gateway's own (database down...), after which a re-run is safe.
  webhooks: { name: 'webhooks', jobName: 'deliver', options: { ...kept, attempts: 10, backoff: { type: 'exponential', delay: 5_000 } } },
} satisfies Record<string, QueueDefinition>;

export type QueueKey = keyof typeof QUEUES;

export const bullPrefix = (redisPrefix: string): string => `${redisPrefix}:bull`;
