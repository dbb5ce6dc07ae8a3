// The status stream as an API process sees it: every change to a task, committed anywhere, arrives
// through the process's PostgreSQL listener (src/db/listener.ts) and is handed to whoever follows
// that task here (the query cache, waiting requests, event streams). Nothing polls.
import { CHANNELS, type PgListener, parseTaskChange, type TaskChange } from '../../db/listener.ts';

export type ChangeHandler = (change: TaskChange) => void;

export class TaskEvents {
  private readonly listener: PgListener;
  private readonly byTask = new Map<string, Set<ChangeHandler>>();
  private readonly everyChange = new Set<ChangeHandler>();
  private readonly gapHandlers = new Set<() => void>();

  constructor(listener: PgListener) {
    this.listener = listener;
    listener.on(CHANNELS.taskChange, (payload) => this.deliver(parseTaskChange(payload)));
    listener.onGap(() => {
      for (const handler of this.gapHandlers) handler();
    });
  }

  /** Whether changes are being received; while not, nothing may rely on hearing of them. */
  get live(): boolean {
    return this.listener.connected;
  }

  /** Follows one task; returns the way to stop. */
  follow(taskId: string, handler: ChangeHandler): () => void {
    let handlers = this.byTask.get(taskId);
    if (!handlers) {
      handlers = new Set();
      this.byTask.set(taskId, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.byTask.get(taskId) === handlers) this.byTask.delete(taskId);
    };
  }

  /** Follows every task (the cache); returns the way to stop. */
  followAll(handler: ChangeHandler): () => void {
    this.everyChange.add(handler);
    return () => this.everyChange.delete(handler);
  }

  /** Called when changes may have been missed (the listener reconnected): re-read what you hold. */
  onGap(handler: () => void): () => void {
    this.gapHandlers.add(handler);
    return () => this.gapHandlers.delete(handler);
  }

  /** How many tasks someone here follows (for metrics and tests). */
  get followed(): number {
    return this.byTask.size;
  }

  private deliver(change: TaskChange): void {
    for (const handler of this.everyChange) handler(change);
    for (const handler of this.byTask.get(change.taskId) ?? []) handler(change);
  }
}
