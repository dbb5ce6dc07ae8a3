import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullPrefix, TASK_JOB_NAME, TASK_QUEUE, type TaskJobData, taskJobOptions } from './contracts.ts';

export class TaskQueue {
  readonly queue: Queue<TaskJobData>;

  constructor(connection: Redis, redisPrefix: string) {
    this.queue = new Queue<TaskJobData>(TASK_QUEUE, { connection, prefix: bullPrefix(redisPrefix) });
  }

  async enqueue(taskId: string): Promise<void> {
    await this.queue.add(TASK_JOB_NAME, { taskId }, { ...taskJobOptions, jobId: taskId });
  }

  /**
   * Makes sure the task has a job that will run: adds one when there is none, and revives one that
   * failed or completed while the task is still open. Returns whether it had to do anything.
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
