import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullPrefix, type QueueDefinition, type TaskJobData } from './contracts.ts';

/** A queue of per-task jobs, producer side. */
export class JobQueue {
  readonly queue: Queue<TaskJobData>;
  private readonly definition: QueueDefinition;

  constructor(connection: Redis, redisPrefix: string, definition: QueueDefinition) {
    this.definition = definition;
    this.queue = new Queue<TaskJobData>(definition.name, { connection, prefix: bullPrefix(redisPrefix) });
  }

  async enqueue(taskId: string, delayMs = 0): Promise<void> {
    await this.queue.add(this.definition.jobName, { taskId }, { ...this.definition.options, jobId: taskId, delay: delayMs });
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
  async ensureJob(taskId: string): Promise<boolean> {
    const state = await this.queue.getJobState(taskId);
    if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
      return false;
    }
    if (state === 'failed') {
      await (await this.queue.getJob(taskId))?.retry('failed');
      return true;
    }
    if (state === 'completed') await this.queue.remove(taskId);
    await this.enqueue(taskId);
    return true;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export type Queues = Record<'tasks' | 'results' | 'webhooks', JobQueue>;
