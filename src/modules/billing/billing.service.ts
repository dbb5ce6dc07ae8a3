// What an API key may still spend and what it has spent, as client tools show a balance:
// limit − usage = what is left. A key with its own spending limit answers for that limit (and
// never for more than its user's balance, which pays for it); any other key for its user.
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/errors.ts';
import type { KeyIdentity } from '../auth/key-identity.ts';
import { findKeyMoney } from './billing.repository.ts';

export interface Balance {
  /** Spent so far, net of refunds, in quota. */
  spent: bigint;
  /** What may still be spent, in quota. */
  remaining: bigint;
  /** When the key stops working; null if never. */
  expiresAt: Date | null;
}

export type BillingService = ReturnType<typeof createBillingService>;

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export function createBillingService(db: Db) {
  return {
    async balance(auth: KeyIdentity): Promise<Balance> {
      const money = await findKeyMoney(db, auth.keyId);
      // Authenticated a moment ago from the cache; the key has gone since.
      if (!money) throw new AppError('invalid_api_key', 'invalid API key');
      if (money.quotaLimit === null) return { spent: money.userUsedQuota, remaining: money.userQuota, expiresAt: money.expiresAt };
      const keyLeft = money.quotaLimit > money.quotaUsed ? money.quotaLimit - money.quotaUsed : 0n;
      return { spent: money.quotaUsed, remaining: min(keyLeft, money.userQuota), expiresAt: money.expiresAt };
    },
  };
}
