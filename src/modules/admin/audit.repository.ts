import type { Selectable } from 'kysely';
import type { Db, Queryable } from '../../db/database.ts';
import type { AuditRecord } from '../../db/json-columns.ts';
import type { AuditLog } from '../../generated/kysely/database.ts';
import { newestFirst, type PageRequest, toPage } from '../../lib/newest-first.ts';
import { unixSeconds } from '../../lib/time.ts';
import { recordId } from './admin.schemas.ts';

export interface AuditEntry {
  actorTokenId: number | null;
  actorName: string;
  action: string;
  targetType: string;
  targetId: string;
  before: AuditRecord | null;
  after: AuditRecord | null;
  requestId: string;
  ip: string;
}

export async function insertAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('auditLogs')
    .values(entry)
    .execute();
}

export function toAuditView(row: Selectable<AuditLog>) {
  return {
    id: row.id.toString(),
    actor: { token_id: row.actorTokenId, name: row.actorName },
    action: row.action,
    target_type: row.targetType,
    target_id: row.targetId,
    before: row.before,
    after: row.after,
    request_id: row.requestId,
    ip: row.ip,
    created_at: unixSeconds(row.createdAt),
  };
}

export interface AuditFilter extends PageRequest {
  /** The actor's name, or its token id. */
  actor?: string;
  action?: string;
  target_type?: string;
  target_id?: string;
}

export async function listAudit(db: Db, filter: AuditFilter) {
  let query = db.selectFrom('auditLogs').selectAll();
  if (filter.actor !== undefined) {
    const actor = filter.actor;
    // Digits beyond the id column's range can only be a name (as a number the database refused them: a 500).
    const tokenId = /^\d+$/.test(actor) && recordId.safeParse(Number(actor)).success ? Number(actor) : null;
    query = tokenId !== null ? query.where((eb) => eb.or([eb('actorTokenId', '=', tokenId), eb('actorName', '=', actor)])) : query.where('actorName', '=', actor);
  }
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.target_type !== undefined) query = query.where('targetType', '=', filter.target_type);
  if (filter.target_id !== undefined) query = query.where('targetId', '=', filter.target_id);
  return toPage(await newestFirst(query, filter).execute(), filter.limit);
}
