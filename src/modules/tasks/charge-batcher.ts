// Group commit for submits: concurrent submits are charged together, one statement and one commit
// per batch (charge.repository.ts), so a burst costs the database a few round trips and row locks
// instead of one per request. A batch leaves at the end of the event-loop turn in which its first
// submit arrived, or as soon as it is full; while `concurrency` batches are in flight the next one
// keeps filling, which is where bursts gain the most.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/database.ts';
import { isDatabaseUnavailable } from '../../db/unavailable.ts';
import { type ChargeRow, type Verdict, chargeBatch, existingTaskIds } from './charge.repository.ts';
import { findTaskRecords, type TaskRecordRow } from './tasks.repository.ts';

export type ChargeOutcome =
  | { kind: 'charged'; task: TaskRecordRow }
  | { kind: 'refused'; verdict: Exclude<Verdict, 'ok'> }
  /** Its Idempotency-Key belongs to another task; the caller finds out which. */
  | { kind: 'key_taken' };

export interface ChargeBatcherOptions {
  maxBatch: number;
  concurrency: number;
  log: FastifyBaseLogger;
}

interface Entry {
  row: Omit<ChargeRow, 'ord'>;
  /** Charged in a batch of its own: its last batch failed for a reason that may be its own. */
  alone: boolean;
  resolve(outcome: ChargeOutcome): void;
  reject(error: unknown): void;
}

// SQLSTATE classes of errors that a row's own data can cause (bad values, violated constraints).
const DATA_ERROR = /^(22|23)/;

export class ChargeBatcher {
  private readonly db: Db;
  private readonly options: ChargeBatcherOptions;
  private pending: Entry[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(db: Db, options: ChargeBatcherOptions) {
    this.db = db;
    this.options = options;
  }

  charge(row: Omit<ChargeRow, 'ord'>): Promise<ChargeOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, alone: false, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0 || this.inFlight >= this.options.concurrency) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.pending.length > 0 && this.inFlight < this.options.concurrency) void this.run(this.takeBatch());
    });
  }

  /** The oldest submits that fit one batch; two uses of one Idempotency-Key never share a batch. */
  private takeBatch(): Entry[] {
    const first = this.pending[0] as Entry;
    if (first.alone) {
      this.pending.shift();
      return [first];
    }
    const batch: Entry[] = [];
    const rest: Entry[] = [];
    const keysUsed = new Set<string>();
    for (const entry of this.pending) {
      const idem = entry.row.idem_key === null ? null : `${entry.row.user_id}:${entry.row.idem_key}`;
      if (batch.length < this.options.maxBatch && !entry.alone && (idem === null || !keysUsed.has(idem))) {
        batch.push(entry);
        if (idem !== null) keysUsed.add(idem);
      } else {
        rest.push(entry);
      }
    }
    this.pending = rest;
    return batch;
  }

  private async run(batch: Entry[]): Promise<void> {
    this.inFlight++;
    const rows = batch.map((entry, ord) => ({ ...entry.row, ord }));
    try {
      const results = await chargeBatch(this.db, rows);
      this.settle(batch, results.map((r) => r.task === null ? { verdict: r.verdict } : { task: r.task }));
    } catch (err) {
      await this.recover(batch, err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  /**
   * Answers each submit of a batch, in order. A refusal is final only when every earlier submit of
   * the same user and of the same key was charged (the running sums were exact for it); otherwise
   * the submit goes back to the front of the line and is decided again with the next batch.
   */
  private settle(batch: Entry[], results: ({ task: TaskRecordRow } | { verdict: Verdict })[]): void {
    const unclean = new Set<string>();
    const retry: Entry[] = [];
    batch.forEach((entry, i) => {
      const result = results[i] as { task: TaskRecordRow } | { verdict: Verdict };
      const partitions = [`u${entry.row.user_id}`, `k${entry.row.key_id}`];
      if ('task' in result) {
        entry.resolve({ kind: 'charged', task: result.task });
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
    if (batch.length > 1 && typeof code === 'string' && DATA_ERROR.test(code)) {
      this.options.log.warn({ err, batch: batch.length }, 'a charge batch failed on its data; charging its submits one by one');
      this.pending = [...batch.map((entry) => ({ ...entry, alone: true })), ...this.pending];
      return;
    }
    if (isDatabaseUnavailable(err)) {
      try {
        const ids = batch.map((entry) => entry.row.task_id);
        const existing = await existingTaskIds(this.db, ids);
        if (existing.size > 0) {
          const records = new Map((await findTaskRecords(this.db, [...existing])).map((task) => [task.taskId, task]));
          for (const entry of batch) {
            const task = records.get(entry.row.task_id);
            if (task) entry.resolve({ kind: 'charged', task });
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
