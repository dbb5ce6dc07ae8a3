import { type Selectable, sql } from 'kysely';
import type { Db, Queryable } from '../../db/database.ts';
import type { ApiKey } from '../../generated/kysely/database.ts';
import { AppError, badRequest } from '../../lib/errors.ts';
import { newApiKey, sha256Hex } from '../../lib/ids.ts';
import { newestFirst, type PageRequest, toPage } from '../../lib/newest-first.ts';
import { unixSeconds } from '../../lib/time.ts';
import { newWebhookSecret } from '../../webhooks/signing.ts';
import { keyWebhookEvents } from '../../webhooks/events.ts';

const DISPLAY_PREFIX_LENGTH = 10;

export type KeyRow = Selectable<ApiKey>;

/** A key as operators see it: never the key or its hash; the webhook secret only when asked (create, rotation). */
export function toKeyView(key: KeyRow, options: { withWebhookSecret?: boolean } = {}) {
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
    max_inflight: key.maxInflight,
    inflight_tasks: key.inflightTasks,
    rpm_limit: key.rpmLimit,
    allowed_ips: key.allowedIps ?? [],
    last_used_at: key.lastUsedAt ? unixSeconds(key.lastUsedAt) : null,
    callback_url: key.callbackUrl,
    webhook_events: keyWebhookEvents(key.webhookEvents),
    ...(options.withWebhookSecret ? { webhook_secret: key.webhookSecret } : {}),
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
  max_inflight?: number | null;
  rpm_limit?: number | null;
  allowed_ips?: string[];
}

export interface KeyChanges extends KeyInput {
  status?: 'enabled' | 'disabled';
  rotate_webhook_secret?: boolean;
}

const keyNotFound = (id: number) => new AppError('not_found', `API key ${id} not found`);

export async function createKey(db: Queryable, userId: number, input: KeyInput): Promise<{ key: string; row: KeyRow }> {
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
      maxInflight: input.max_inflight ?? null,
      rpmLimit: input.rpm_limit ?? null,
      allowedIps: input.allowed_ips ?? [],
      // Every key can sign webhooks from the start, so a callback_url given later, on the key
      // or on a single request, needs no further step.
      webhookSecret: newWebhookSecret(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, row };
}

export async function getKey(db: Queryable, id: number, lock = false): Promise<KeyRow> {
  let query = db.selectFrom('apiKeys').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw keyNotFound(id);
  return row;
}

export interface KeyFilter extends PageRequest {
  user_id?: number;
  status?: 'enabled' | 'disabled' | 'revoked';
}

export async function listKeys(db: Db, filter: KeyFilter) {
  let query = db.selectFrom('apiKeys').selectAll();
  if (filter.user_id !== undefined) query = query.where('userId', '=', filter.user_id);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return toPage(await newestFirst(query, filter).execute(), filter.limit);
}

const revokedConflict = (id: number) => new AppError('conflict', `API key ${id} is revoked; a revocation cannot be undone: create a new key`);

/** Changes a key; a revoked key takes no change at all. */
export async function updateKey(db: Queryable, id: number, input: KeyChanges): Promise<KeyRow> {
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
      maxInflight: input.max_inflight,
      rpmLimit: input.rpm_limit,
      allowedIps: input.allowed_ips,
      webhookSecret: input.rotate_webhook_secret ? newWebhookSecret() : undefined,
      updatedAt: sql`now()`,
    })
    .where('id', '=', id)
    .where('status', '!=', 'revoked')
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    await getKey(db, id);
    throw revokedConflict(id);
  }
  return row;
}

/** Revokes a key for good; revoking a revoked key again changes nothing. */
export async function revokeKey(db: Queryable, id: number): Promise<KeyRow> {
  const row = await db.updateTable('apiKeys').set({ status: 'revoked', updatedAt: sql`now()` }).where('id', '=', id).returningAll().executeTakeFirst();
  if (!row) throw keyNotFound(id);
  return row;
}

/**
 * Refuses (409) a key that could not authenticate now: revoked, disabled, expired, or its user
 * disabled. For what acts as the key on the operator's behalf (a console session).
 */
export async function assertKeyUsable(db: Queryable, key: KeyRow): Promise<void> {
  const conflict = (why: string) => new AppError('conflict', `API key ${key.id} ${why}`);
  if (key.status === 'revoked') throw conflict('is revoked; a revoked key can no longer be used');
  if (key.status === 'disabled') throw conflict('is disabled: enable it first (PATCH /admin/keys/{id} {"status": "enabled"})');
  if (key.expiresAt !== null && key.expiresAt.getTime() <= Date.now()) throw conflict(`expired at ${key.expiresAt.toISOString()}`);
  const user = await db.selectFrom('users').select('status').where('id', '=', key.userId).executeTakeFirstOrThrow();
  if (user.status !== 'enabled') throw conflict(`belongs to user ${key.userId}, who is disabled`);
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
