import { sql } from 'kysely';
import type { Queryable } from '../../db/database.ts';
import type { AuditRecord } from '../../db/json-columns.ts';
import type { AdminActor } from './admin-auth.ts';

/** Whose key: the admin token's id as stored, 0 for the bootstrap ADMIN_TOKEN (schema.prisma). */
type AdminKeyOwner = Pick<AdminActor, 'tokenId'>;
const ownerId = (owner: AdminKeyOwner): number => owner.tokenId ?? 0;

/**
 * Claims one operator's Idempotency-Key for this request inside the mutation's transaction. A use
 * within 24 hours keeps the key (and the caller gets it back); an older one is taken over. A
 * concurrent first use holds the row until it commits or rolls back, so the second waits for its
 * outcome.
 */
export async function claimAdminKey(
  tx: Queryable,
  owner: AdminKeyOwner,
  key: string,
  requestHash: string,
): Promise<{ claimed: true } | { claimed: false; requestHash: string; statusCode: number; response: AuditRecord | null }> {
  const tokenId = ownerId(owner);
  const claimed = await tx
    .insertInto('adminIdempotencyKeys')
    .values({ tokenId, key, requestHash })
    .onConflict((oc) =>
      oc
        .columns(['tokenId', 'key'])
        .doUpdateSet({ requestHash, statusCode: 0, response: null, createdAt: sql`now()` })
        .where('adminIdempotencyKeys.createdAt', '<', sql<Date>`now() - interval '24 hours'`),
    )
    .returning('key')
    .executeTakeFirst();
  if (claimed) return { claimed: true };
  const use = await tx
    .selectFrom('adminIdempotencyKeys')
    .select(['requestHash', 'statusCode', 'response'])
    .where('tokenId', '=', tokenId)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return { claimed: false, ...use };
}

export async function recordAdminKeyResponse(tx: Queryable, owner: AdminKeyOwner, key: string, statusCode: number, response: AuditRecord | null): Promise<void> {
  await tx
    .updateTable('adminIdempotencyKeys')
    .set({ statusCode, response })
    .where('tokenId', '=', ownerId(owner))
    .where('key', '=', key)
    .execute();
}

export async function purgeAdminKeys(db: Queryable): Promise<number> {
  const result = await db.deleteFrom('adminIdempotencyKeys').where('createdAt', '<', sql<Date>`now() - interval '24 hours'`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
