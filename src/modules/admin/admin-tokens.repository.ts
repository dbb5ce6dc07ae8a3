import { type Selectable, sql } from 'kysely';
import type { Queryable } from '../../db/database.ts';
import type { AdminToken } from '../../generated/kysely/database.ts';
import { AppError } from '../../lib/errors.ts';
import { randomAlphanumeric, sha256Hex } from '../../lib/ids.ts';
import { unixSeconds } from '../../lib/time.ts';

export type AdminScope = 'read' | 'write';
export type AdminTokenRow = Selectable<AdminToken>;

const TOKEN_PREFIX = 'vgwa_';
const DISPLAY_PREFIX_LENGTH = 10;

export function toAdminTokenView(row: AdminTokenRow) {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    token_prefix: row.tokenPrefix,
    last_used_at: row.lastUsedAt ? unixSeconds(row.lastUsedAt) : null,
    created_at: unixSeconds(row.createdAt),
  };
}

export async function createAdminToken(db: Queryable, input: { name: string; scope: AdminScope }): Promise<{ token: string; row: AdminTokenRow }> {
  const token = `${TOKEN_PREFIX}${randomAlphanumeric(40)}`;
  const row = await db
    .insertInto('adminTokens')
    .values({ name: input.name, scope: input.scope, tokenHash: sha256Hex(token), tokenPrefix: token.slice(0, DISPLAY_PREFIX_LENGTH) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { token, row };
}

export function listAdminTokens(db: Queryable): Promise<AdminTokenRow[]> {
  return db.selectFrom('adminTokens').selectAll().orderBy('id', 'desc').execute();
}

export async function deleteAdminToken(db: Queryable, id: number): Promise<AdminTokenRow> {
  const row = await db.deleteFrom('adminTokens').where('id', '=', id).returningAll().executeTakeFirst();
  if (!row) throw new AppError('not_found', `admin token ${id} not found`);
  return row;
}

/** The token with this hash, noting that it was used. */
export async function useAdminToken(db: Queryable, tokenHash: string): Promise<AdminTokenRow | undefined> {
  return db.updateTable('adminTokens').set({ lastUsedAt: sql`now()` }).where('tokenHash', '=', tokenHash).returningAll().executeTakeFirst();
}
