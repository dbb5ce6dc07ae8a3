// Operator requests, and what the audit log says about them.
import type { TestContext } from '../helpers/context.ts';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import type { RequestOptions } from '../helpers/http.ts';

export const asAdmin = (ctx: TestContext, token = ADMIN_TOKEN) => (method: string, path: string, body?: unknown, options: RequestOptions = {}) =>
  ctx.http(method, path, { token, body, ...options });

export async function auditCount(ctx: TestContext): Promise<number> {
  return Number((await ctx.query('SELECT count(*) AS n FROM audit_logs')).rows[0].n);
}

/** Every page of a newest-first list, following next_cursor. */
export async function allPages(ctx: TestContext, path: string, limit: number): Promise<{ pages: number; rows: any[] }> {
  const rows: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const res: { status: number; body: any } = await ctx.http('GET', `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token: ADMIN_TOKEN });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    rows.push(...res.body.data);
    cursor = res.body.next_cursor;
    pages++;
  } while (cursor);
  return { pages, rows };
}
