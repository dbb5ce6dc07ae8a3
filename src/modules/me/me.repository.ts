// The caller's own account: their key and user (their usage is billing/usage.repository.ts).
import type { Db } from '../../db/database.ts';

export async function findKeyAndUser(db: Db, keyId: number) {
  return db
    .selectFrom('apiKeys as k')
    .innerJoin('users as u', 'u.id', 'k.userId')
    .select([
      'k.id',
      'k.name',
      'k.keyPrefix',
      'k.status',
      'k.models',
      'k.quotaLimit',
      'k.quotaUsed',
      'k.expiresAt',
      'k.lastUsedAt',
      'k.createdAt',
      'u.id as userId',
      'u.name as userName',
      'u.group',
      'u.status as userStatus',
      'u.quota as userQuota',
      'u.usedQuota as userUsedQuota',
    ])
    .where('k.id', '=', keyId)
    .executeTakeFirst();
}
