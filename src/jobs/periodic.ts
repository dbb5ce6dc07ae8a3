// Periodic housekeeping shared by every worker process, scheduled in PostgreSQL (periodic_jobs)
// rather than in Redis, so it keeps running when Redis loses its data. Each process looks every
// second; the one whose UPDATE moves a job's next_run_at forward runs it, so a job runs once per
// interval however many workers there are, and a dead worker's turn passes to the next.
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { prepare } from '../db/prepared.ts';

const TICK_MS = 1_000;

const register = prepare('periodic-register', (p: { name: string }, qb) =>
  qb.insertInto('periodicJobs').values({ name: p.name, nextRunAt: sql`now()` }).onConflict((oc) => oc.column('name').doNothing()),
);

const claimTurn = prepare('periodic-claim', (p: { name: string; intervalMs: number }, qb) =>
  qb
    .updateTable('periodicJobs')
    .set({ nextRunAt: sql`now() + make_interval(secs => ${p.intervalMs} / 1000.0)`, lastRunAt: sql`now()` })
    .where('name', '=', p.name)
    .where('nextRunAt', '<=', sql<Date>`now()`)
    .returning('name'),
);

interface Job {
  name: string;
  intervalMs: number;
  run: () => Promise<unknown>;
  running: boolean;
}

export class PeriodicJobs {
  private readonly db: Db;
  private readonly log: FastifyBaseLogger;
  private readonly jobs: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly runs = new Set<Promise<unknown>>();
  /** The look under way, if any: close() waits for it, so no job starts after it returns. */
  private ticking: Promise<void> | undefined;
  private closed = false;

  constructor(db: Db, log: FastifyBaseLogger) {
    this.db = db;
    this.log = log;
  }

  every(name: string, intervalMs: number, run: () => Promise<unknown>): this {
    this.jobs.push({ name, intervalMs, run, running: false });
    return this;
  }

  async start(): Promise<void> {
    for (const job of this.jobs) await register.affected(this.db, { name: job.name });
    this.timer = setInterval(() => this.look(), TICK_MS);
    this.look();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.runs]);
  }

  private look(): void {
    if (this.ticking || this.closed) return;
    this.ticking = this.tick().finally(() => {
      this.ticking = undefined;
    });
  }

  private async tick(): Promise<void> {
    for (const job of this.jobs) {
      if (this.closed) return;
      if (job.running) continue;
      try {
        if (!(await claimTurn.first(this.db, { name: job.name, intervalMs: job.intervalMs }))) continue;
      } catch (err) {
        this.log.warn({ err, job: job.name }, 'could not schedule a periodic job; will try again');
        continue;
      }
      // Closed while claiming: the turn passes to the next worker's look.
      if (this.closed) return;
      job.running = true;
      const run = job
        .run()
        .catch((err: unknown) => this.log.error({ err, job: job.name }, 'periodic job failed; it runs again at its next turn'))
        .finally(() => {
          job.running = false;
          this.runs.delete(run);
        });
      this.runs.add(run);
    }
  }
}
