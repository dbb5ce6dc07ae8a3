// The body of GET /api/v1/tasks/{id} for each status, with the fields and field order of
// DashScope's documented examples.
import { formatChinaTime } from '../lib/china-time.ts';
import { type SimTask, statusAt } from './task-store.ts';
import type { Usage } from './usage.ts';

export interface TaskView {
  output: Record<string, string>;
  usage?: Usage;
}

export const unknownTaskView = (taskId: string): TaskView => ({ output: { task_id: taskId, task_status: 'UNKNOWN' } });

/** `videoUrl` is asked for only when the task has succeeded. */
export function taskView(task: SimTask, now: number, videoUrl: () => string): TaskView {
  const status = statusAt(task, now);
  const output: Record<string, string> = { task_id: task.id, task_status: status, submit_time: formatChinaTime(task.submittedAt) };
  switch (status) {
    case 'PENDING':
      return { output };
    case 'CANCELED':
      return { output: { ...output, end_time: formatChinaTime(task.canceledAt ?? now) } };
    case 'RUNNING':
      return { output: { ...output, scheduled_time: formatChinaTime(task.scheduledAt) } };
    case 'FAILED':
      return { output: { ...output, ...finished(task), ...definedOnly(task.failure ?? {}) } };
    case 'SUCCEEDED':
      return {
        output: { ...output, ...finished(task), ...definedOnly({ orig_prompt: task.prompt }), video_url: videoUrl() },
        usage: task.usage,
      };
  }
}

const finished = (task: SimTask) => ({ scheduled_time: formatChinaTime(task.scheduledAt), end_time: formatChinaTime(task.endsAt) });

function definedOnly(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
