// The events a task can report to its callback URL, and which of them a task asked for. Kept free
// of other imports: request schemas, the key admin and the worker all read it.
import type { TaskStatus } from '../generated/kysely/enums.ts';

export const WEBHOOK_EVENTS = ['task.queued', 'task.in_progress', 'task.succeeded', 'task.failed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** What a task reports when neither its request nor its key names events: its end. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['task.succeeded', 'task.failed'];

// The database trigger tasks_webhook_event (migration webhook_events) names events the same way.
const EVENT_OF_STATUS: Partial<Record<TaskStatus, WebhookEvent>> = {
  QUEUED: 'task.queued',
  IN_PROGRESS: 'task.in_progress',
  SUCCESS: 'task.succeeded',
  FAILURE: 'task.failed',
};

/** The event a task's move to `status` is; null for NOT_START, where every task starts. */
export function webhookEventOf(status: TaskStatus): WebhookEvent | null {
  return EVENT_OF_STATUS[status] ?? null;
}

export const isWebhookEvent = (name: string | undefined): name is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(name ?? '');

/** The events a key's tasks report when a request names none: the key's own list (empty when never set), else the default. */
export const keyWebhookEvents = (stored: string[]): WebhookEvent[] => (stored.length > 0 ? stored.filter(isWebhookEvent) : [...DEFAULT_WEBHOOK_EVENTS]);

/** Whether the task reports its move to `status` to a callback URL. */
export function reportsEvent(task: { callbackUrl: string | null; webhookEvents: string[] }, status: TaskStatus): WebhookEvent | null {
  const event = webhookEventOf(status);
  return event !== null && task.callbackUrl !== null && task.webhookEvents.includes(event) ? event : null;
}

