// What a webhook says: one event of a task (by default only its end), with the task record
// exactly as GET /v1/video/generations/{task_id} shows it in `data` when the event is sent.
import type { z } from 'zod';
import { sha256Hex } from '../lib/ids.ts';
import { unixSeconds } from '../lib/time.ts';
import { type taskRecordSchema, toTaskRecord } from '../modules/tasks/task-views.ts';
import type { TaskRecordRow } from '../modules/tasks/tasks.repository.ts';
import type { WebhookEvent } from './events.ts';

export interface WebhookPayload {
  /** Also the `webhook-id` header: the same on every attempt to deliver this event. */
  id: string;
  type: WebhookEvent;
  /** When the event happened (for the end: when the task ended), unix seconds. */
  created_at: number;
  data: z.infer<typeof taskRecordSchema>;
}

/**
 * The event's id, derived from the task and the event rather than drawn at random: every attempt
 * by every worker, before and after a crash, sends the same id without storing one, and a
 * receiver can use it to drop repeats.
 */
export function webhookEventId(taskId: string, event: WebhookEvent): string {
  return `evt_${sha256Hex(`${taskId}:${event}`).slice(0, 32)}`;
}

/**
 * The payload of one event of a task; `resultLink` is the video link the record shows (empty
 * unless the task succeeded), `occurredAt` when the event happened.
 */
export function webhookPayload(task: TaskRecordRow, event: WebhookEvent, resultLink: string, occurredAt: Date): WebhookPayload {
  return {
    id: webhookEventId(task.taskId, event),
    type: event,
    created_at: unixSeconds(occurredAt),
    data: toTaskRecord(task, resultLink),
  };
}
