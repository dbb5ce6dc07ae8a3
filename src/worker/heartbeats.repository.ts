// The rows of worker_heartbeats: each worker process writes its own every HEARTBEAT_MS and
// deletes it when it stops cleanly. Ages are measured on the database's clock, so workers on hosts
// whose clocks disagree are judged alike.
import { sql } from 'kysely';
import type { Selectable } from 'kysely';
import type { Queryable } from '../db/database.ts';
import { prepare } from '../db/prepared.ts';
import type { WorkerHeartbeat } from '../generated/kysely/database.ts';

export const HEARTBEAT_MS = 5_000;
/** A worker that has missed this many beats in a row counts as dead. */
export const MISSED_BEATS_DEAD = 3;
const DEAD_AFTER_S = (HEARTBEAT_MS * MISSED_BEATS_DEAD) / 1000;
/** Rows of workers dead this long are removed (when any worker starts). */
const FORGET_AFTER_S = 86_400;

export type WorkerHeartbeatRow = Selectable<WorkerHeartbeat>;

export interface WorkerIdentity {
  workerId: string;
  host: string;
  pid: number;
  queues: string[];
  version: string;
  startedAt: Date;
}

const beat = prepare('worker-heartbeat', (p: WorkerIdentity, qb) =>
  qb
    .insertInto('workerHeartbeats')
    .values({ workerId: p.workerId, host: p.host, pid: p.pid, queues: p.queues, version: p.version, startedAt: p.startedAt, lastSeen: sql`now()` })
    .onConflict((oc) => oc.column('workerId').doUpdateSet({ lastSeen: sql`now()` })),
);

const alive = prepare('alive-workers', (_p: Record<string, never>, qb) =>
  qb
    .selectFrom('workerHeartbeats')
    .selectAll()
    .where('lastSeen', '>', sql<Date>`now() - make_interval(secs => ${DEAD_AFTER_S})`)
    .orderBy('startedAt'),
);

export async function recordHeartbeat(db: Queryable, worker: WorkerIdentity): Promise<void> {
  await beat.affected(db, worker);
}

export async function removeHeartbeat(db: Queryable, workerId: string): Promise<void> {
  await db.deleteFrom('workerHeartbeats').where('workerId', '=', workerId).execute();
}

export async function forgetDeadWorkers(db: Queryable): Promise<void> {
  await db.deleteFrom('workerHeartbeats').where('lastSeen', '<', sql<Date>`now() - make_interval(secs => ${FORGET_AFTER_S})`).execute();
}

/** The workers whose last beat is recent enough, oldest first. */
export async function aliveWorkers(db: Queryable): Promise<WorkerHeartbeatRow[]> {
  return alive.rows(db, {});
}

export interface WorkersSummary {
  alive: number;
  /** How many live workers consume each queue. */
  queues: Record<string, number>;
}

export function summarizeWorkers(workers: Pick<WorkerHeartbeatRow, 'queues'>[]): WorkersSummary {
  const queues: Record<string, number> = {};
  for (const worker of workers) for (const queue of worker.queues ?? []) queues[queue] = (queues[queue] ?? 0) + 1;
  return { alive: workers.length, queues };
}
