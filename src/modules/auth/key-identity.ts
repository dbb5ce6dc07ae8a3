import type { Db } from '../../lib/database.ts';

/** What authenticating a request needs to know about its key and the key's owner. */
export interface KeyIdentity {
  keyId: number;
  keyHash: string;
  userId: number;
  group: string;
  keyEnabled: boolean;
  userEnabled: boolean;
  /** Epoch milliseconds, or null for a key that never expires. */
  expiresAt: number | null;
  /** Allowed models; empty means all. */
  models: string[];
  /** Where this key's tasks report their end, unless a request names its own. */
  callbackUrl: string | null;
}

export async function loadKeyIdentity(db: Db, keyHash: string): Promise<KeyIdentity | null> {
  const key = await db.apiKey.findUnique({
    where: { keyHash },
    select: {
      id: true,
      status: true,
      expiresAt: true,
      models: true,
      callbackUrl: true,
      user: { select: { id: true, groupName: true, status: true } },
    },
  });
  if (!key) return null;
  return {
    keyId: key.id,
    keyHash,
    userId: key.user.id,
    group: key.user.groupName,
    keyEnabled: key.status === 'enabled',
    userEnabled: key.user.status === 'enabled',
    expiresAt: key.expiresAt?.getTime() ?? null,
    models: key.models,
    callbackUrl: key.callbackUrl,
  };
}
