// Moves paid-for tasks from PostgreSQL (task_dispatch, written by the charge itself) into the
// BullMQ task queue, in bulk. The submit never waits on Redis: it commits and answers, and the
// dispatchers of the worker processes pick the tasks up, woken at once by the trigger's
// notification and, in case a notification was missed or Redis refused, by a sweep every second.
// Each task is queued once: rows are claimed with SKIP LOCKED and deleted in the same transaction
// as the enqueue, and the job id is the task id, so a crash in between only repeats a no-op.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.ts';
import { CHANNELS, type PgListener } from '../db/listener.ts';
import { dispatchBatch } from './dispatch.repository.ts';
import type { JobQueue } from './job-queue.ts';

export interface DispatcherDeps {
  db: Db;
  queue: Pick<JobQueue, 'enqueueMany'>;
  listener: PgListener;
  log: FastifyBaseLogger;
}

const BATCH = 500;
const SWEEP_MS = 1_000;

export class Dispatcher {
  private readonly deps: DispatcherDeps;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private sweep: NodeJS.Timeout | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(deps: DispatcherDeps) {
    this.deps = deps;
  }

  start(): void {
    this.unsubscribe.push(this.deps.listener.on(CHANNELS.dispatch, () => this.wake()));
    this.unsubscribe.push(this.deps.listener.onGap(() => this.wake()));
    this.sweep = setInterval(() => this.wake(), SWEEP_MS);
    this.wake();
  }

  /** Runs now, or once more right after the run under way. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweep);
    for (const off of this.unsubscribe) off();
    await this.running;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        while ((await dispatchBatch(this.deps.db, BATCH, (ids) => this.deps.queue.enqueueMany(ids))) === BATCH && !this.closed);
      } catch (err) {
        // Redis or PostgreSQL is unavailable: the tasks stay where they are until the next sweep.
        this.deps.log.warn({ err }, 'could not move new tasks into the queue; will try again');
        return;
      }
    } while (this.again && !this.closed);
  }
}
