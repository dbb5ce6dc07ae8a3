// Job contracts shared by the API (producer) and the worker (consumer).
import type { JobsOptions } from 'bullmq';

export const TASK_QUEUE = 'tasks';

/**
 * One job per task carries it from NOT_START to a final state. The job id is the public task id,
 * so enqueueing the same task twice (a retried request, the reconciler) adds nothing.
 */
export interface TaskJobData {
  taskId: string;
}

export const TASK_JOB_NAME = 'advance';

export const taskJobOptions: JobsOptions = {
  attempts: 20,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { count: 1_000 },
  removeOnFail: { count: 5_000 },
};

export const bullPrefix = (redisPrefix: string): string => `${redisPrefix}:bull`;

/** Periodic housekeeping: tasks whose job was lost, tasks past their timeout. */
export const MAINTENANCE_QUEUE = 'maintenance';
export const RECONCILE_JOB = 'reconcile';
