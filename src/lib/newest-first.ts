// Operator lists page newest first by a bigint id: a page asks for one row more than it shows,
// and the id of its last row is the cursor of the next (older) page.
import { type SelectQueryBuilder, sql } from 'kysely';

export interface PageRequest {
  limit: number;
  /** The next_cursor of the previous page. */
  cursor?: string;
}

/** The page's query: rows older than the cursor, newest first, one more than the page shows. */
export function newestFirst<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, page: PageRequest): SelectQueryBuilder<DB, TB, O> {
  const older = page.cursor === undefined ? query : query.where(sql<boolean>`id < ${BigInt(page.cursor)}`);
  return older.orderBy(sql`id`, 'desc').limit(page.limit + 1);
}

/** The page out of rows fetched with newestFirst, and the cursor of the next one while there are more. */
export function toPage<T extends { id: bigint | number }>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? (page.at(-1)?.id.toString() ?? null) : null };
}
