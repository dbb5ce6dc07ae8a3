// What a webhook says: the task's end, with the task record exactly as
// GET /v1/video/generations/{task_id} shows it in `data`.
import type { z } from 'zod';
import { sha256Hex } from '../lib/ids.ts';
import { unixSeconds } from '../lib/time.ts';
import { type taskRecordSchema, toTaskRecord } from '../modules/tasks/task-views.ts';
import type { TaskRecordRow } from '../modules/tasks/tasks.repository.ts';

export const WEBHOOK_EVENTS = ['task.succeeded', 'task.failed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookPayload {
  /** Also the `webhook-id` header: the same on every attempt to deliver this event. */
  id: string;
  type: WebhookEvent;
  /** When the task ended, unix seconds. */
  created_at: number;
  data: z.infer<typeof taskRecordSchema>;
}

export function webhookEventOf(status: TaskRecordRow['status']): WebhookEvent | null {
  if (status === 'SUCCESS') return 'task.succeeded';
  if (status === 'FAILURE') return 'task.failed';
  return null;
}

/**
 * The event's id, derived from the task and the event rather than drawn at random: every attempt
 * by every worker, before and after a crash, sends the same id without storing one, and a
 * receiver can use it to drop repeats.
 */
export function webhookEventId(taskId: string, event: WebhookEvent): string {
  return `evt_${sha256Hex(`${taskId}:${event}`).slice(0, 32)}`;
}

/** The payload of a final task's webhook; `resultLink` is the video link the record shows (empty for a failure). */
export function webhookPayload(task: TaskRecordRow, resultLink: string): WebhookPayload {
  const type = webhookEventOf(task.status);
  if (type === null) throw new Error(`task ${task.taskId} is ${task.status}: only a final task has a webhook`);
  return {
    id: webhookEventId(task.taskId, type),
    type,
    created_at: unixSeconds(task.finishTime ?? task.updatedAt),
    data: toTaskRecord(task, resultLink),
  };
}
