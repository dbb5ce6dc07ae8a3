import type { Queryable } from '../../db/database.ts';
import { prepare } from '../../db/prepared.ts';
import { allowList } from '../limits/ip-allowlist.ts';

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
  /** The webhook events this key's tasks report unless a request names them; empty: the default. */
  webhookEvents: string[];
  /** Requests per minute (the key's, else its user's); null for no limit. */
  rpmLimit: number | null;
  /** The CIDR ranges it may be used from (the key's, else its user's); empty for anywhere. */
  allowedIps: string[];
  /** Whether a client address is within allowedIps. */
  allowsIp: (ip: string) => boolean;
}

/** Whether the key's allow-list lets it use the model. */
export const mayUseModel = (identity: KeyIdentity, model: string): boolean => identity.models.length === 0 || identity.models.includes(model);

const identityByHash = prepare('key-identity', (p: { keyHash: string }, qb) =>
  qb
    .selectFrom('apiKeys as k')
    .innerJoin('users as u', 'u.id', 'k.userId')
    .select([
      'k.id',
      'k.status',
      'k.expiresAt',
      'k.models',
      'k.callbackUrl',
      'k.webhookEvents',
      'k.rpmLimit',
      'k.allowedIps',
      'u.id as userId',
      'u.group',
      'u.status as userStatus',
      'u.rpmLimit as userRpmLimit',
      'u.allowedIps as userAllowedIps',
    ])
    .where('k.keyHash', '=', p.keyHash),
);

export async function loadKeyIdentity(db: Queryable, keyHash: string): Promise<KeyIdentity | null> {
  const key = await identityByHash.first(db, { keyHash });
  if (!key) return null;
  const allowedIps = key.allowedIps?.length ? key.allowedIps : (key.userAllowedIps ?? []);
  return {
    keyId: key.id,
    keyHash,
    userId: key.userId,
    group: key.group,
    keyEnabled: key.status === 'enabled',
    userEnabled: key.userStatus === 'enabled',
    expiresAt: key.expiresAt?.getTime() ?? null,
    models: key.models,
    callbackUrl: key.callbackUrl,
    webhookEvents: key.webhookEvents,
    rpmLimit: key.rpmLimit ?? key.userRpmLimit,
    allowedIps,
    allowsIp: allowList(allowedIps),
  };
}
