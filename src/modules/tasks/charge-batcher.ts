// Group commit for submits: concurrent submits are charged together, one statement and one commit
// per batch (charge.repository.ts), so a burst costs the database a few round trips and row locks
// instead of one per request. A batch leaves at the end of the event-loop turn in which its first
// submit arrived, or as soon as it is full; while `concurrency` batches are in flight the next one
// keeps filling, which is where bursts gain the most.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/database.ts';
import { isDatabaseUnavailable } from '../../db/unavailable.ts';
import { type ChargeRow, type CreatedTask, type Verdict, chargeBatch, createdTasks } from './charge.repository.ts';

export type ChargeOutcome =
  | { kind: 'charged'; created: CreatedTask }
  | { kind: 'refused'; verdict: Exclude<Verdict, 'ok'> }
  /** Its Idempotency-Key belongs to another task; the caller finds out which. */
  | { kind: 'key_taken' };

export interface ChargeBatcherOptions {
  maxBatch: number;
  concurrency: number;
  log: FastifyBaseLogger;
  /** After a batch that charged something has committed, with the submits it charged (the dispatchers are told, the metrics count them). */
  onCharged: (charged: Omit<ChargeRow, 'ord'>[]) => void;
  /** After every charge statement that answered, with its rows and how long it took. */
  onStatement: (rows: number, seconds: number) => void;
}

interface Entry {
  row: Omit<ChargeRow, 'ord'>;
  /** Charged in a batch of its own: its last batch failed for a reason that may be its own. */
  alone: boolean;
  /** Batches it was in that PostgreSQL rolled back for a conflict (deadlock, serialization). */
  conflicts: number;
  resolve(outcome: ChargeOutcome): void;
  reject(error: unknown): void;
}

// SQLSTATE classes of errors that a row's own data can cause (bad values, violated constraints).
const DATA_ERROR = /^(22|23)/;
const DEADLOCK = '40P01';
const SERIALIZATION_FAILURE = '40001';
const MAX_CONFLICTS = 3;

export class ChargeBatcher {
  private readonly db: Db;
  private readonly options: ChargeBatcherOptions;
  private pending: Entry[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Users whose rows a batch in flight is charging. */
  private readonly busyUsers = new Set<number>();

  constructor(db: Db, options: ChargeBatcherOptions) {
    this.db = db;
    this.options = options;
  }

  charge(row: Omit<ChargeRow, 'ord'>): Promise<ChargeOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, alone: false, conflicts: 0, resolve, reject });
      this.schedule();
    });
  }

  /** Sends at the end of this turn of the event loop, so that the submits arriving in it go together. */
  private schedule(): void {
    if (this.scheduled || this.pending.length === 0 || this.inFlight >= this.options.concurrency) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    while (this.pending.length > 0 && this.inFlight < this.options.concurrency) {
      const batch = this.takeBatch();
      // Everything waiting belongs to users whose batches are in flight.
      if (batch.length === 0) return;
      void this.run(batch);
    }
  }

  /**
   * The oldest submits that fit one batch. Two uses of one Idempotency-Key never share a batch, and
   * a user whose row a batch in flight holds waits for the next one: batches of this process never
   * queue on each other's row locks, and a customer's burst goes in as few statements as possible.
   */
  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    const rest: Entry[] = [];
    const keysUsed = new Set<string>();
    const users = new Set<number>();
    for (const entry of this.pending) {
      const idem = entry.row.idem_key === null ? null : `${entry.row.user_id}:${entry.row.idem_key}`;
      const fits =
        batch.length < this.options.maxBatch &&
        !this.busyUsers.has(entry.row.user_id) &&
        (idem === null || !keysUsed.has(idem)) &&
        // A submit charged alone goes in a batch of its own.
        (entry.alone ? batch.length === 0 : !batch[0]?.alone);
      if (fits) {
        batch.push(entry);
        users.add(entry.row.user_id);
        if (idem !== null) keysUsed.add(idem);
      } else {
        rest.push(entry);
      }
    }
    this.pending = rest;
    for (const user of users) this.busyUsers.add(user);
    return batch;
  }

  private async run(batch: Entry[]): Promise<void> {
    this.inFlight++;
    const rows = batch.map((entry, ord) => ({ ...entry.row, ord }));
    try {
      const started = performance.now();
      const results = await chargeBatch(this.db, rows);
      this.options.onStatement(rows.length, (performance.now() - started) / 1000);
      const charged = batch.filter((_, i) => results[i]?.created).map((entry) => entry.row);
      if (charged.length > 0) this.options.onCharged(charged);
      this.settle(batch, results.map((r) => (r.created === null ? { verdict: r.verdict } : { created: r.created })));
    } catch (err) {
      await this.recover(batch, err);
    } finally {
      for (const entry of batch) this.busyUsers.delete(entry.row.user_id);
      this.inFlight--;
      // At once, not at the end of the turn: what waited for this batch has all arrived, and the
      // answers to this batch's submits (resolved above, sent as microtasks after this) would
      // otherwise be written before the next statement leaves, with the database idle meanwhile.
      this.send();
    }
  }

  /**
   * Answers each submit of a batch, in order. A refusal is final only when every earlier submit of
   * the same user and of the same key was charged (the running sums were exact for it); otherwise
   * the submit goes back to the front of the line and is decided again with the next batch.
   */
  private settle(batch: Entry[], results: ({ created: CreatedTask } | { verdict: Verdict })[]): void {
    const unclean = new Set<string>();
    const retry: Entry[] = [];
    batch.forEach((entry, i) => {
      const result = results[i] as { created: CreatedTask } | { verdict: Verdict };
      const partitions = [`u${entry.row.user_id}`, `k${entry.row.key_id}`];
      if ('created' in result) {
        entry.resolve({ kind: 'charged', created: result.created });
        return;
      }
      const exact = partitions.every((p) => !unclean.has(p));
      for (const p of partitions) unclean.add(p);
      if (result.verdict === 'ok') entry.resolve({ kind: 'key_taken' });
      else if (exact) entry.resolve({ kind: 'refused', verdict: result.verdict });
      else retry.push(entry);
    });
    this.pending = [...retry, ...this.pending];
  }

  /**
   * A batch that failed. A data error may be one submit's own doing: each is charged again alone,
   * so only that one fails. A lost connection leaves the outcome unknown: the tasks that exist
   * were charged (the statement committed), the others were not.
   */
  private async recover(batch: Entry[], err: unknown): Promise<void> {
    const code = (err as { code?: unknown }).code;
    // Rolled back whole for a conflict with another transaction: nothing was written, try again.
    if ((code === DEADLOCK || code === SERIALIZATION_FAILURE) && batch.every((entry) => entry.conflicts < MAX_CONFLICTS)) {
      this.options.log.warn({ err, batch: batch.length }, 'a charge batch was rolled back for a conflict; charging it again');
      this.pending = [...batch.map((entry) => ({ ...entry, conflicts: entry.conflicts + 1 })), ...this.pending];
      return;
    }
    if (batch.length > 1 && typeof code === 'string' && DATA_ERROR.test(code)) {
      this.options.log.warn({ err, batch: batch.length }, 'a charge batch failed on its data; charging its submits one by one');
      this.pending = [...batch.map((entry) => ({ ...entry, alone: true })), ...this.pending];
      return;
    }
    if (isDatabaseUnavailable(err)) {
      try {
        const found = await createdTasks(this.db, batch.map((entry) => entry.row.task_id));
        if (found.length > 0) {
          // The statement committed after all: these were charged.
          const created = new Map(found.map((task) => [task.taskId, task]));
          this.options.onCharged(batch.filter((entry) => created.has(entry.row.task_id)).map((entry) => entry.row));
          for (const entry of batch) {
            const task = created.get(entry.row.task_id);
            if (task) entry.resolve({ kind: 'charged', created: task });
            else entry.reject(err);
          }
          return;
        }
      } catch {
        // Still unreachable: the submits fail as unavailable; each one's task id is unknown to the client.
      }
    }
    for (const entry of batch) entry.reject(err);
  }
}
