import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { Channel } from '../../generated/kysely/database.ts';
import { unixSeconds } from '../../lib/time.ts';

/** Shows enough of an upstream key to tell accounts apart, never the whole key. */
export const maskSecret = (secret: string): string =>
  secret.length <= 8 ? '*'.repeat(secret.length) : `${secret.slice(0, 4)}...${secret.slice(-4)}`;

export function toChannelView(channel: Selectable<Channel>) {
  return {
    id: channel.id,
    name: channel.name,
    type: channel.type,
    base_url: channel.baseUrl,
    api_key: maskSecret(channel.apiKey),
    models: channel.models,
    model_mapping: channel.modelMapping,
    priority: channel.priority,
    weight: channel.weight,
    status: channel.status,
    created_at: unixSeconds(channel.createdAt),
  };
}

export interface ChannelInput {
  name: string;
  base_url: string;
  api_key: string;
  models?: string[];
  model_mapping?: Record<string, string>;
  priority?: number;
  weight?: number;
}

export function createChannel(db: Db, input: ChannelInput): Promise<Selectable<Channel>> {
  return db
    .insertInto('channels')
    .values({
      name: input.name,
      baseUrl: input.base_url.replace(/\/+$/, ''),
      apiKey: input.api_key,
      models: input.models ?? [],
      modelMapping: input.model_mapping ?? {},
      priority: input.priority ?? 0,
      weight: input.weight ?? 1,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Points the channel called `name` at `baseUrl` and enables it, creating it the first time: the
 * channel that the setup steps keep pointed at the DashScope simulator.
 */
export async function upsertNamedChannel(db: Db, name: string, target: { baseUrl: string; apiKey: string }): Promise<void> {
  const data = { baseUrl: target.baseUrl.replace(/\/+$/, ''), apiKey: target.apiKey, status: 'enabled' as const, statusReason: '' };
  const existing = await db.selectFrom('channels').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) await db.updateTable('channels').set(data).where('id', '=', existing.id).execute();
  else await db.insertInto('channels').values({ name, ...data }).execute();
}
