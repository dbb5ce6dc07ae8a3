// The BullMQ processor of the task queue. A task keeps one job from submit to its final state:
// after each step the job puts itself back in the delayed set until the next look is due, so an
// in-flight task costs a sorted-set entry in Redis and nothing in the worker's memory.
import { SpanKind } from '@opentelemetry/api';
import { DelayedError, type Job } from 'bullmq';
import type { TaskJobData } from '../jobs/contracts.ts';
import { findTask } from '../modules/tasks/tasks.repository.ts';
import { contextOf, inSpan } from '../observability/tracing.ts';
import { type AdvanceDeps, advanceTask } from './advance-task.ts';

const FINAL = new Set(['SUCCESS', 'FAILURE']);

export function createTaskProcessor(deps: AdvanceDeps) {
  return async function processTask(job: Job<TaskJobData>, token?: string): Promise<void> {
    const task = await findTask(deps.db, job.data.taskId);
    if (!task || FINAL.has(task.status)) return;
    // Each step continues the trace of the task's submit (its upstream calls and settlement are spans in it).
    const next = await inSpan(
      'task.advance',
      { kind: SpanKind.CONSUMER, parent: contextOf(task.traceparent), attributes: { 'vgw.task_id': task.taskId, 'vgw.task_status': task.status } },
      () => advanceTask(deps, task),
    );
    if (next === null) return;
    await job.moveToDelayed(Date.now() + next, token);
    throw new DelayedError();
  };
}
