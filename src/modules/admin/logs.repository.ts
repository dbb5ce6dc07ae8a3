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
}

/** Newest first; `nextCursor` continues with older entries. */
export async function listLogs(db: Db, filter: LogFilter): Promise<{ rows: Selectable<Log>[]; nextCursor: string | null }> {
  let query = db.selectFrom('logs').selectAll();
  if (filter.user_id !== undefined) query = query.where('userId', '=', filter.user_id);
  if (filter.task_id !== undefined) query = query.where('taskId', '=', filter.task_id);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  return toPage(await newestFirst(query, filter).execute(), filter.limit);
}
