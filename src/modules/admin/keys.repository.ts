import { type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { ApiKey } from '../../generated/kysely/database.ts';
import { AppError, badRequest } from '../../lib/errors.ts';
import { newApiKey, sha256Hex } from '../../lib/ids.ts';
import { unixSeconds } from '../../lib/time.ts';
import { newWebhookSecret } from '../../webhooks/signing.ts';
import { DEFAULT_WEBHOOK_EVENTS, isWebhookEvent } from '../../webhooks/events.ts';

const DISPLAY_PREFIX_LENGTH = 10;

export function toKeyView(key: Selectable<ApiKey>) {
  return {
    id: key.id,
    user_id: key.userId,
    name: key.name,
    key_prefix: key.keyPrefix,
    status: key.status,
    expires_at: key.expiresAt ? unixSeconds(key.expiresAt) : null,
    models: key.models,
    quota: key.quotaLimit === null ? null : Number(key.quotaLimit),
    quota_used: Number(key.quotaUsed),
    last_used_at: key.lastUsedAt ? unixSeconds(key.lastUsedAt) : null,
    callback_url: key.callbackUrl,
    webhook_events: (key.webhookEvents.length > 0 ? key.webhookEvents : DEFAULT_WEBHOOK_EVENTS).filter(isWebhookEvent),
    webhook_secret: key.webhookSecret,
    created_at: unixSeconds(key.createdAt),
  };
}

/** Accepts unix seconds or an ISO date-time; null clears the expiry. */
export function toExpiry(value: number | string | null | undefined): Date | null | undefined {
  if (value === undefined || value === null) return value;
  return typeof value === 'number' ? new Date(value * 1000) : new Date(value);
}

export interface KeyInput {
  name?: string;
  models?: string[];
  expires_at?: number | string | null;
  quota?: number | null;
  /** Already checked (checkCallbackUrl); null clears it. */
  callback_url?: string | null;
  webhook_events?: string[];
}

export interface KeyChanges extends KeyInput {
  status?: 'enabled' | 'disabled';
  rotate_webhook_secret?: boolean;
}

export async function createKey(db: Db, userId: number, input: KeyInput): Promise<{ key: string; row: Selectable<ApiKey> }> {
  const user = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
  if (!user) throw badRequest(`user ${userId} does not exist`, 'user_id');
  const key = newApiKey();
  const row = await db
    .insertInto('apiKeys')
    .values({
      userId,
      name: input.name ?? '',
      keyHash: sha256Hex(key),
      keyPrefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      models: input.models ?? [],
      expiresAt: toExpiry(input.expires_at) ?? null,
      quotaLimit: input.quota === undefined || input.quota === null ? null : BigInt(input.quota),
      callbackUrl: input.callback_url ?? null,
      webhookEvents: input.webhook_events ?? [],
      // Every key can sign webhooks from the start, so a callback_url given later, on the key
      // or on a single request, needs no further step.
      webhookSecret: newWebhookSecret(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, row };
}

export async function updateKey(db: Db, id: number, input: KeyChanges): Promise<Selectable<ApiKey>> {
  const row = await db
    .updateTable('apiKeys')
    .set({
      name: input.name,
      status: input.status,
      models: input.models,
      expiresAt: toExpiry(input.expires_at),
      quotaLimit: input.quota === undefined ? undefined : input.quota === null ? null : BigInt(input.quota),
      callbackUrl: input.callback_url,
      webhookEvents: input.webhook_events,
      webhookSecret: input.rotate_webhook_secret ? newWebhookSecret() : undefined,
      updatedAt: sql`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `API key ${id} not found`);
  return row;
}

/** Writes a batch of last-use times in one statement. */
export async function recordKeysLastUsed(db: Db, entries: [number, Date][]): Promise<void> {
  const ids = entries.map(([id]) => id);
  const times = entries.map(([, at]) => at.toISOString());
  await db
    .updateTable('apiKeys as k')
    .from(sql<{ id: number; at: Date }>`unnest(${ids}::int[], ${times}::timestamptz[])`.as<'u'>(sql`u(id, at)`))
    .set((eb) => ({ lastUsedAt: eb.ref('u.at') }))
    .whereRef('k.id', '=', 'u.id')
    .where((eb) => eb.or([eb('k.lastUsedAt', 'is', null), eb('k.lastUsedAt', '<', eb.ref('u.at'))]))
    .execute();
}
