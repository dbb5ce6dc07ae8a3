import { type Selectable, sql } from 'kysely';
import type { Db, Queryable } from '../../db/database.ts';
import type { Channel } from '../../generated/kysely/database.ts';
import { AppError } from '../../lib/errors.ts';
import { newestFirst, type PageRequest, toPage } from '../../lib/newest-first.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import { unixSeconds } from '../../lib/time.ts';

/** Shows enough of an upstream key to tell accounts apart, never the whole key: `sk-…c3f9`. */
export const maskSecret = (secret: string): string => {
  if (secret.length <= 8) return '*'.repeat(secret.length);
  const head = secret.startsWith('sk-') ? 'sk-' : secret.slice(0, 3);
  return `${head}…${secret.slice(-4)}`;
};

export type ChannelRow = Selectable<Channel>;

export function toChannelView(channel: ChannelRow, secrets: SecretBox) {
  let apiKey: string;
  try {
    apiKey = maskSecret(secrets.open(channel.apiKey));
  } catch {
    // Sealed under a key this process does not have: say so rather than fail the whole list.
    apiKey = '(encrypted with an unknown key)';
  }
  return {
    id: channel.id,
    name: channel.name,
    type: channel.type,
    base_url: channel.baseUrl,
    api_key: apiKey,
    models: channel.models,
    model_mapping: channel.modelMapping,
    priority: channel.priority,
    weight: channel.weight,
    status: channel.status,
    status_reason: channel.statusReason,
    submit_qps: channel.submitQps,
    query_qps: channel.queryQps,
    max_inflight: channel.maxInflight,
    retest_at: channel.retestAt ? unixSeconds(channel.retestAt) : null,
    created_at: unixSeconds(channel.createdAt),
    updated_at: unixSeconds(channel.updatedAt),
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
  submit_qps?: number | null;
  query_qps?: number | null;
  max_inflight?: number | null;
}

export interface ChannelChanges extends Partial<ChannelInput> {
  status?: 'enabled' | 'disabled';
}

const trimBase = (url: string) => url.replace(/\/+$/, '');
const channelNotFound = (id: number) => new AppError('not_found', `channel ${id} not found`);

export function createChannel(db: Queryable, input: ChannelInput, secrets: SecretBox): Promise<ChannelRow> {
  return db
    .insertInto('channels')
    .values({
      name: input.name,
      baseUrl: trimBase(input.base_url),
      apiKey: secrets.seal(input.api_key),
      models: input.models ?? [],
      modelMapping: input.model_mapping ?? {},
      priority: input.priority ?? 0,
      weight: input.weight ?? 1,
      submitQps: input.submit_qps ?? null,
      queryQps: input.query_qps ?? null,
      maxInflight: input.max_inflight ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getChannel(db: Queryable, id: number, lock = false): Promise<ChannelRow> {
  let query = db.selectFrom('channels').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw channelNotFound(id);
  return row;
}

export interface ChannelFilter extends PageRequest {
  status?: 'enabled' | 'disabled' | 'auto_disabled';
  model?: string;
}

export async function listChannels(db: Db, filter: ChannelFilter) {
  let query = db.selectFrom('channels').selectAll();
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  // A channel with no model list serves every model.
  if (filter.model !== undefined) query = query.where((eb) => eb.or([eb(sql`cardinality(models)`, '=', 0), eb(sql`${filter.model}`, '=', eb.fn.any('models'))]));
  return toPage(await newestFirst(query, filter).execute(), filter.limit);
}

/** Applies an operator's changes; enabling clears the reason and the worker's re-test schedule. */
export async function updateChannel(db: Queryable, id: number, changes: ChannelChanges, secrets: SecretBox): Promise<ChannelRow> {
  const enabling = changes.status === 'enabled';
  const row = await db
    .updateTable('channels')
    .set({
      name: changes.name,
      baseUrl: changes.base_url === undefined ? undefined : trimBase(changes.base_url),
      apiKey: changes.api_key === undefined ? undefined : secrets.seal(changes.api_key),
      models: changes.models,
      modelMapping: changes.model_mapping,
      priority: changes.priority,
      weight: changes.weight,
      submitQps: changes.submit_qps,
      queryQps: changes.query_qps,
      maxInflight: changes.max_inflight,
      status: changes.status,
      statusReason: changes.status === undefined ? undefined : enabling ? '' : 'disabled by an operator',
      retestAt: changes.status === undefined ? undefined : null,
      retestDelayS: changes.status === undefined ? undefined : null,
      updatedAt: sql`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw channelNotFound(id);
  return row;
}

/** Deletes a channel no unfinished task uses; 409 otherwise (its tasks would lose their upstream). */
export async function deleteChannel(db: Queryable, id: number): Promise<void> {
  const open = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('channelId', '=', id)
    .where('status', 'in', ['NOT_START', 'QUEUED', 'IN_PROGRESS'])
    .executeTakeFirstOrThrow();
  if (Number(open.n) > 0) {
    throw new AppError('conflict', `channel ${id} has ${open.n} unfinished task(s); disable it and delete it once they have ended`);
  }
  const deleted = await db.deleteFrom('channels').where('id', '=', id).executeTakeFirst();
  if (deleted.numDeletedRows === 0n) throw channelNotFound(id);
}

/** Seals every channel key stored in plain text or under an older key; returns how many. */
export async function sealChannelKeys(db: Db, secrets: SecretBox): Promise<number> {
  const rows = await db.selectFrom('channels').select(['id', 'apiKey']).execute();
  let sealed = 0;
  for (const row of rows.filter((r) => secrets.needsSealing(r.apiKey))) {
    // Conditional on the stored value, so two processes starting at once do not seal twice.
    const done = await db
      .updateTable('channels')
      .set({ apiKey: secrets.seal(secrets.open(row.apiKey)) })
      .where('id', '=', row.id)
      .where('apiKey', '=', row.apiKey)
      .executeTakeFirst();
    sealed += Number(done.numUpdatedRows);
  }
  return sealed;
}

/**
 * Points the channel called `name` at `baseUrl` and enables it, creating it the first time: the
 * channel that the setup steps keep pointed at the DashScope simulator.
 */
export async function upsertNamedChannel(db: Db, name: string, target: { baseUrl: string; apiKey: string }, secrets: SecretBox): Promise<void> {
  const data = { baseUrl: trimBase(target.baseUrl), apiKey: secrets.seal(target.apiKey), status: 'enabled' as const, statusReason: '' };
  const existing = await db.selectFrom('channels').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) await db.updateTable('channels').set(data).where('id', '=', existing.id).execute();
  else await db.insertInto('channels').values({ name, ...data }).execute();
}
