// Task rows held in memory for the queries clients poll with. An entry is dropped the moment its
// task changes anywhere (the status stream), so a poll never sees a state older than the last
// committed one once the change has been announced; while announcements cannot be received, every
// read goes to PostgreSQL and nothing is kept. A read that overlaps a change is not kept either, so a
// row read just before a change cannot outlive it here.
import type { TaskRow } from './tasks.repository.ts';
import type { TaskEvents } from './task-events.ts';

export class TaskCache {
  private readonly events: TaskEvents;
  private readonly maxEntries: number;
  /** Map order is recency: a hit moves its entry to the end, the front is evicted first. */
  private readonly entries = new Map<string, TaskRow>();
  /** Reads under way, by task: a change to the task while its read is out replaces the marker. */
  private readonly reading = new Map<string, object>();
  hits = 0;
  misses = 0;

  constructor(events: TaskEvents, maxEntries: number) {
    this.events = events;
    this.maxEntries = maxEntries;
    events.followAll((change) => this.forget(change.taskId));
    events.onGap(() => this.entries.clear());
  }

  async get(taskId: string, load: (taskId: string) => Promise<TaskRow | null>): Promise<TaskRow | null> {
    const held = this.events.live ? this.entries.get(taskId) : undefined;
    if (held) {
      this.hits++;
      this.entries.delete(taskId);
      this.entries.set(taskId, held);
      return held;
    }
    this.misses++;
    const marker = {};
    this.reading.set(taskId, marker);
    try {
      const row = await load(taskId);
      if (row && this.events.live && this.reading.get(taskId) === marker) this.keep(taskId, row);
      return row;
    } finally {
      if (this.reading.get(taskId) === marker) this.reading.delete(taskId);
    }
  }

  /** Drops what is held about a task that just changed. */
  forget(taskId: string): void {
    this.entries.delete(taskId);
    if (this.reading.has(taskId)) this.reading.set(taskId, {});
  }

  get size(): number {
    return this.entries.size;
  }

  private keep(taskId: string, row: TaskRow): void {
    this.entries.set(taskId, row);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
