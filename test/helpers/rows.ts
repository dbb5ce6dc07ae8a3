// Reading rows straight from the database, for tests that check what the API did to it.
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.ts';
import type { DB } from '../../src/generated/kysely/database.ts';

/** How many rows of `table` match every `column: value` of `where` (camelCase column names). */
export async function countRows(db: Db, table: keyof DB, where: Record<string, unknown> = {}): Promise<number> {
  let query = db.selectFrom(table).select(sql<number>`count(*)::int`.as('n'));
  for (const [column, value] of Object.entries(where)) {
    query = query.where(sql.ref(column), Array.isArray(value) ? 'in' : '=', value as any);
  }
  return (await query.executeTakeFirstOrThrow()).n;
}

export const taskRow = (db: Db, taskId: string) => db.selectFrom('tasks').selectAll().where('taskId', '=', taskId).executeTakeFirstOrThrow();

export const keyRow = (db: Db, id: number) => db.selectFrom('apiKeys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
