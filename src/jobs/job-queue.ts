import { Queue } from 'bullmq';
import type { RedisClient } from '../lib/redis.ts';
import { bullPrefix, jobIdOf, type QueueDefinition, type TaskJobData } from './contracts.ts';

/** A queue of per-task jobs, producer side. */
export class JobQueue {
  readonly queue: Queue<TaskJobData>;
  private readonly definition: QueueDefinition;

  constructor(connection: RedisClient, redisPrefix: string, definition: QueueDefinition) {
    this.definition = definition;
    this.queue = new Queue<TaskJobData>(definition.name, { connection, prefix: bullPrefix(redisPrefix) });
  }

  /** `event`: for the webhooks queue, which of the task's events. */
  async enqueue(taskId: string, delayMs = 0, event?: string): Promise<void> {
    const data: TaskJobData = event ? { taskId, event } : { taskId };
    await this.queue.add(this.definition.jobName, data, { ...this.definition.options, jobId: jobIdOf(data), delay: delayMs });
  }

  /** One round trip for many tasks; a task that already has a job here keeps it. */
  async enqueueMany(taskIds: string[]): Promise<void> {
    const { jobName, options } = this.definition;
    await this.queue.addBulk(taskIds.map((taskId) => ({ name: jobName, data: { taskId }, opts: { ...options, jobId: taskId } })));
  }

  /**
   * Makes sure the task has a job here that will run: adds one when there is none, and revives
   * one that failed or completed while its work is still to do. Returns whether it did anything.
   */
  async ensureJob(taskId: string, event?: string): Promise<boolean> {
    const jobId = jobIdOf({ taskId, event });
    const state = await this.queue.getJobState(jobId);
    if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
      return false;
    }
    if (state === 'failed') {
      await (await this.queue.getJob(jobId))?.retry('failed');
      return true;
    }
    if (state === 'completed') await this.queue.remove(jobId);
    await this.enqueue(taskId, 0, event);
    return true;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export type Queues = Record<'tasks' | 'results' | 'webhooks', JobQueue>;
