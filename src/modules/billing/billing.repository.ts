// The money an API key answers to: its own spending limit, if it has one, and its user's balance.
import type { Queryable } from '../../db/database.ts';
import { prepare } from '../../db/prepared.ts';

export interface KeyMoney {
  /** The key's own spending limit (quota); null when only the user's balance limits it. */
  quotaLimit: bigint | null;
  /** What the key has spent, net of refunds. */
  quotaUsed: bigint;
  expiresAt: Date | null;
  /** The user's balance. */
  userQuota: bigint;
  /** What the user has spent, net of refunds. */
  userUsedQuota: bigint;
}

// The spending counters move in the same statement as every consume and refund log
// (charge.repository.ts, settlement.ts), so they are the logs' sums without reading the logs.
const keyMoney = prepare('key-money', (p: { keyId: number }, qb) =>
  qb
    .selectFrom('apiKeys as k')
    .innerJoin('users as u', 'u.id', 'k.userId')
    .select(['k.quotaLimit', 'k.quotaUsed', 'k.expiresAt', 'u.quota as userQuota', 'u.usedQuota as userUsedQuota'])
    .where('k.id', '=', p.keyId),
);

export async function findKeyMoney(db: Queryable, keyId: number): Promise<KeyMoney | undefined> {
  return keyMoney.first(db, { keyId });
}
