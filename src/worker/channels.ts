// Upstream accounts as the worker sees them: which one a task goes to, and taking one out of
// rotation when DashScope refuses it.
import type { CacheBus } from '../lib/cache-bus.ts';
import type { Db } from '../db/database.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { SharedSnapshot } from '../lib/shared-snapshot.ts';
import type { UpstreamChannel } from '../upstream/types.ts';

export interface Channel extends UpstreamChannel {
  name: string;
  /** Models served; empty means all. */
  models: string[];
  modelMapping: Record<string, string>;
  priority: number;
  weight: number;
  enabled: boolean;
  submitQps: number | null;
  queryQps: number | null;
  /** Unfinished tasks it may have upstream at once; null: no limit. */
  maxInflight: number | null;
}

export const servesModel = (channel: Channel, model: string): boolean =>
  channel.models.length === 0 || channel.models.includes(model);

export const upstreamModelFor = (channel: Channel, model: string): string => channel.modelMapping[model] ?? model;

/**
 * The highest-priority enabled channels that serve `model`, one of them picked at random in
 * proportion to its weight. `avoid` (the channel that just failed) is skipped while any other
 * channel can take the task, so a retry moves on.
 */
export function pickChannel(channels: Channel[], model: string, avoid: number | null, random: () => number = Math.random): Channel | null {
  const usable = channels.filter((c) => c.enabled && servesModel(c, model));
  const preferred = usable.some((c) => c.id !== avoid) ? usable.filter((c) => c.id !== avoid) : usable;
  if (preferred.length === 0) return null;
  const top = Math.max(...preferred.map((c) => c.priority));
  const tier = preferred.filter((c) => c.priority === top);
  const total = tier.reduce((sum, c) => sum + Math.max(0, c.weight), 0);
  // All weights zero: choose evenly.
  if (total === 0) return tier[Math.floor(random() * tier.length)] ?? null;
  let point = random() * total;
  for (const channel of tier) {
    point -= Math.max(0, channel.weight);
    if (point < 0) return channel;
  }
  return tier.at(-1) ?? null;
}

/** Channels read from PostgreSQL and kept in memory; operators' changes arrive through the CacheBus. */
export class ChannelDirectory {
  private readonly snapshot: SharedSnapshot<Channel[]>;
  private readonly db: Db;

  constructor(db: Db, bus: CacheBus, ttlMs: number, secrets: SecretBox) {
    this.db = db;
    this.snapshot = new SharedSnapshot(() => loadChannels(db, secrets), bus, ['channels'], ttlMs);
  }

  all(): Promise<Channel[]> {
    return this.snapshot.get();
  }

  async get(id: number): Promise<Channel | undefined> {
    return (await this.all()).find((c) => c.id === id);
  }

  /**
   * A channel for `model`, preferring those below their max_inflight. When every one is at it, one
   * of them anyway: the claim of the submit is then refused in PostgreSQL (the trigger of migration
   * admin_operations, which makes the limit exact across workers) and the task looks again a
   * second later, rather than at the next look for a channel.
   */
  async pick(model: string, avoid: number | null): Promise<Channel | null> {
    const all = await this.all();
    const capped = all.filter((c) => c.maxInflight !== null && c.enabled && servesModel(c, model));
    if (capped.length === 0) return pickChannel(all, model, avoid);
    const inflight = await inflightByChannel(this.db, capped.map((c) => c.id));
    const room = all.filter((c) => c.maxInflight === null || (inflight.get(c.id) ?? 0) < c.maxInflight);
    return pickChannel(room, model, avoid) ?? pickChannel(all, model, avoid);
  }

  /** Takes an enabled channel out of rotation; an operator's own disabling is left as it is. */
  async disable(id: number, reason: string): Promise<void> {
    await this.db.updateTable('channels').set({ status: 'auto_disabled', statusReason: reason }).where('id', '=', id).where('status', '=', 'enabled').execute();
    this.snapshot.invalidate();
  }
}

/** Tasks under way on each of these channels: sent (or being sent) upstream and not final. */
async function inflightByChannel(db: Db, ids: number[]): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('tasks')
    .select((eb) => ['channelId', eb.fn.countAll<string>().as('n')])
    .where('channelId', '=', eb => eb.fn.any(eb.val(ids)))
    .where((eb) => eb.or([eb('status', 'in', ['QUEUED', 'IN_PROGRESS']), eb.and([eb('status', '=', 'NOT_START'), eb('submitStartedAt', 'is not', null)])]))
    .groupBy('channelId')
    .execute();
  return new Map(rows.map((r) => [r.channelId ?? 0, Number(r.n)]));
}

async function loadChannels(db: Db, secrets: SecretBox): Promise<Channel[]> {
  const rows = await db.selectFrom('channels').selectAll().orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    baseUrl: r.baseUrl,
    apiKey: secrets.open(r.apiKey),
    models: r.models,
    modelMapping: r.modelMapping,
    priority: r.priority,
    weight: r.weight,
    enabled: r.status === 'enabled',
    submitQps: r.submitQps,
    queryQps: r.queryQps,
    maxInflight: r.maxInflight,
  }));
}
