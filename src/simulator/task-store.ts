// The tasks the simulator has accepted, and the status each one has at a given moment. A task's
// whole life is fixed at submit (when it starts, when it ends, how it ends), so its status is a
// function of the clock: no timers to run, none to clear on shutdown.
import { randomUUID } from 'node:crypto';
import type { Usage } from './usage.ts';

export type TaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';

export interface SimTask {
  id: string;
  /** The model the submit named, as the task list reports it. */
  model: string;
  submittedAt: number;
  scheduledAt: number;
  endsAt: number;
  canceledAt: number | null;
  /** `orig_prompt`; undefined when the submit had none. */
  prompt: string | undefined;
  usage: Usage;
  /** How a FAILED ending reports itself; null when the task succeeds. */
  failure: { code?: string; message?: string } | null;
  /** `[sim:unknown]`: every query answers UNKNOWN. */
  hidden: boolean;
  /** `[sim:flaky=N]`: queries of the task still to answer 500 InternalError. */
  flakyQueries: number;
}

export type NewTask = Pick<SimTask, 'model' | 'prompt' | 'usage' | 'failure' | 'hidden' | 'flakyQueries'> & { runningMs: number };

export interface TaskTiming {
  pendingMs: number;
  retentionMs: number;
}

export function statusAt(task: SimTask, now: number): TaskStatus {
  if (task.canceledAt !== null) return 'CANCELED';
  if (now < task.scheduledAt) return 'PENDING';
  if (now < task.endsAt) return 'RUNNING';
  return task.failure ? 'FAILED' : 'SUCCEEDED';
}

export class TaskStore {
  readonly #timing: TaskTiming;
  // Map order is submit order, and every task lives equally long, so expired tasks are always at
  // the front.
  readonly #tasks = new Map<string, SimTask>();
  #created = 0;

  constructor(timing: TaskTiming) {
    this.#timing = timing;
  }

  /** Tasks created since the simulator started, expired ones included. */
  get created(): number {
    return this.#created;
  }

  create(spec: NewTask, now: number): SimTask {
    this.#dropExpired(now);
    const { runningMs, ...rest } = spec;
    const scheduledAt = now + this.#timing.pendingMs;
    const task: SimTask = { id: randomUUID(), submittedAt: now, scheduledAt, endsAt: scheduledAt + runningMs, canceledAt: null, ...rest };
    this.#tasks.set(task.id, task);
    this.#created += 1;
    return task;
  }

  /** The task, unless it does not exist or is past retention (DashScope then answers UNKNOWN). */
  find(id: string, now: number): SimTask | undefined {
    const task = this.#tasks.get(id);
    return task && !this.#expired(task, now) ? task : undefined;
  }

  /** Cancels a PENDING task; false when there is no such task or it has left PENDING. */
  cancel(id: string, now: number): boolean {
    const task = this.find(id, now);
    if (!task || task.hidden || statusAt(task, now) !== 'PENDING') return false;
    task.canceledAt = now;
    return true;
  }

  /** Tasks submitted within [from, to] (epoch ms), optionally of one model, oldest first. */
  list(filter: { from: number; to: number; model?: string }, now: number): SimTask[] {
    this.#dropExpired(now);
    return [...this.#tasks.values()].filter(
      (task) => task.submittedAt >= filter.from && task.submittedAt <= filter.to && (filter.model === undefined || task.model === filter.model),
    );
  }

  #expired(task: SimTask, now: number): boolean {
    return now - task.submittedAt >= this.#timing.retentionMs;
  }

  #dropExpired(now: number): void {
    for (const task of this.#tasks.values()) {
      if (!this.#expired(task, now)) return;
      this.#tasks.delete(task.id);
    }
  }
}
