// What the cluster-wide gauges read from PostgreSQL at scrape time. Each query is bounded: open
// tasks are found through the partial index of unfinished tasks (final tasks, the bulk of the
// table, are never read), and channels are a handful of rows.
import type { Queryable } from '../db/database.ts';

const OPEN_STATUSES = ['NOT_START', 'QUEUED', 'IN_PROGRESS'] as const;

export interface OpenTaskCount {
  status: string;
  model: string;
  count: number;
}

export async function countOpenTasks(db: Queryable): Promise<OpenTaskCount[]> {
  const rows = await db
    .selectFrom('tasks')
    .select((eb) => ['status', 'model', eb.fn.countAll<string>().as('count')])
    .where('status', 'in', OPEN_STATUSES)
    .groupBy(['status', 'model'])
    .execute();
  return rows.map((row) => ({ status: row.status, model: row.model, count: Number(row.count) }));
}

export async function channelStates(db: Queryable) {
  return db.selectFrom('channels').select(['id', 'name', 'status', 'inflightTasks']).orderBy('id').execute();
}
