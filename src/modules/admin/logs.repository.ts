import type { Log } from '../../generated/prisma/client.ts';
import type { Db } from '../../lib/database.ts';
import { newestFirst, olderThan, type PageRequest, toPage } from '../../lib/newest-first.ts';
import { unixSeconds } from '../../lib/time.ts';

export function toLogView(log: Log) {
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
export async function listLogs(db: Db, filter: LogFilter): Promise<{ rows: Log[]; nextCursor: string | null }> {
  const rows = await db.log.findMany({
    where: { userId: filter.user_id, taskId: filter.task_id, type: filter.type, id: olderThan(filter.cursor) },
    ...newestFirst(filter),
  });
  return toPage(rows, filter.limit);
}
