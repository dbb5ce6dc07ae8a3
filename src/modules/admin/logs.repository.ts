import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { Log } from '../../generated/kysely/database.ts';
import { newestFirst, type PageRequest, toPage } from '../../lib/newest-first.ts';
import { unixSeconds } from '../../lib/time.ts';

export function toLogView(log: Selectable<Log>) {
  return {
    id: log.id.toString(),
    type: log.type,
    user_id: log.userId,
    key_id: log.keyId,
    task_id: log.taskId,
    model: log.model,
    quota: Number(log.quota),
    content: log.content,
    created_at: unixSeconds(log.createdAt),
  };
}

export interface LogFilter extends PageRequest {
  user_id?: number;
  task_id?: string;
  type?: number;
  model?: string;
  /** Unix seconds, inclusive. */
  from?: number;
  /** Unix seconds, exclusive. */
  to?: number;
}

function filtered(db: Db, filter: Omit<LogFilter, 'limit' | 'cursor'>) {
  let query = db.selectFrom('logs').selectAll();
  if (filter.user_id !== undefined) query = query.where('userId', '=', filter.user_id);
  if (filter.task_id !== undefined) query = query.where('taskId', '=', filter.task_id);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.model !== undefined) query = query.where('model', '=', filter.model);
  if (filter.from !== undefined) query = query.where('createdAt', '>=', new Date(filter.from * 1000));
  if (filter.to !== undefined) query = query.where('createdAt', '<', new Date(filter.to * 1000));
  return query;
}

/** Newest first; `nextCursor` continues with older entries. */
export async function listLogs(db: Db, filter: LogFilter): Promise<{ rows: Selectable<Log>[]; nextCursor: string | null }> {
  return toPage(await newestFirst(filtered(db, filter), filter).execute(), filter.limit);
}

const EXPORT_BATCH = 2_000;

/** Every matching log, newest first, read a batch at a time so that memory stays flat however many there are. */
export async function* allLogs(db: Db, filter: Omit<LogFilter, 'limit' | 'cursor'>): AsyncGenerator<Selectable<Log>> {
  let cursor: string | undefined;
  for (;;) {
    const { rows, nextCursor } = toPage(await newestFirst(filtered(db, filter), { limit: EXPORT_BATCH, cursor }).execute(), EXPORT_BATCH);
    yield* rows;
    if (nextCursor === null) return;
    cursor = nextCursor;
  }
}
