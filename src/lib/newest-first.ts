// Operator lists page newest first by a bigint id: a page asks for one row more than it shows,
// and the id of its last row is the cursor of the next (older) page.

export interface PageRequest {
  limit: number;
  /** The next_cursor of the previous page. */
  cursor?: string;
}

/** The Prisma `id` condition for the rows older than `cursor`. */
export const olderThan = (cursor: string | undefined) => (cursor ? { lt: BigInt(cursor) } : undefined);

/** The Prisma ordering and size of a page's query. */
export const newestFirst = (page: PageRequest) => ({ orderBy: { id: 'desc' as const }, take: page.limit + 1 });

/** The page out of rows fetched with newestFirst, and the cursor of the next one while there are more. */
export function toPage<T extends { id: bigint }>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? (page.at(-1)?.id.toString() ?? null) : null };
}
