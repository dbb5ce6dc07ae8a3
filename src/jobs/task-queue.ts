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

  async close(): Promise<void> {
    await this.queue.close();
  }
}
