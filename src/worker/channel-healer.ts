// Channels the worker took out of rotation (the upstream refused their key: InvalidApiKey,
// Arrearage...) are tried again on a back-off, 1 minute doubling to 1 hour by default: once the
// key works again (the account was topped up, the key re-activated) the channel is enabled, with
// an audit row and a log line saying so, and every process hears of it through the CacheBus.
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { CacheBus } from '../lib/cache-bus.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { insertAudit } from '../modules/admin/audit.repository.ts';
import { probeChannel } from '../upstream/channel-probe.ts';
import type { UpstreamClient } from '../upstream/types.ts';

export interface HealerDeps {
  db: Db;
  bus: CacheBus;
  secrets: SecretBox;
  upstream: Pick<UpstreamClient, 'list'>;
  log: FastifyBaseLogger;
  minDelayS: number;
  maxDelayS: number;
}

export const HEAL_INTERVAL_MS = 5_000;
const WORKER_ACTOR = 'worker (channel re-test)';

export async function retestChannels(deps: HealerDeps): Promise<{ enabled: number; still: number }> {
  const { db, minDelayS, maxDelayS } = deps;
  // Newly disabled channels get their first turn.
  await db
    .updateTable('channels')
    .set({ retestAt: sql`now() + make_interval(secs => ${minDelayS})`, retestDelayS: minDelayS })
    .where('status', '=', 'auto_disabled')
    .where('retestAt', 'is', null)
    .execute();
  const due = await db.selectFrom('channels').selectAll().where('status', '=', 'auto_disabled').where('retestAt', '<=', sql<Date>`now()`).execute();
  let enabled = 0;
  for (const channel of due) {
    const result = await probeChannel(deps.upstream, { id: channel.id, baseUrl: channel.baseUrl, apiKey: deps.secrets.open(channel.apiKey) });
    if (result.ok) {
      const done = await db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('channels')
          .set({ status: 'enabled', statusReason: '', retestAt: null, retestDelayS: null, updatedAt: sql`now()` })
          .where('id', '=', channel.id)
          .where('status', '=', 'auto_disabled')
          .returning('id')
          .executeTakeFirst();
        if (!row) return false;
        await insertAudit(tx, {
          actorTokenId: null,
          actorName: WORKER_ACTOR,
          action: 'channel.auto_enable',
          targetType: 'channel',
          targetId: String(channel.id),
          before: { status: channel.status, status_reason: channel.statusReason },
          after: { status: 'enabled', status_reason: '', latency_ms: result.latency_ms },
          requestId: '',
          ip: '',
        });
        return true;
      });
      if (done) {
        enabled++;
        deps.log.info({ channel_id: channel.id, name: channel.name, latency_ms: result.latency_ms }, `channel ${channel.name} re-enabled: its key works again`);
      }
      continue;
    }
    const delay = Math.min(maxDelayS, Math.max(minDelayS, (channel.retestDelayS ?? minDelayS) * 2));
    await db
      .updateTable('channels')
      .set({ retestAt: sql`now() + make_interval(secs => ${delay})`, retestDelayS: delay, statusReason: result.error ?? channel.statusReason })
      .where('id', '=', channel.id)
      .where('status', '=', 'auto_disabled')
      .execute();
    deps.log.info({ channel_id: channel.id, error: result.error, next_test_s: delay }, `channel ${channel.name} is still refused upstream`);
  }
  if (enabled > 0) await deps.bus.publish({ kind: 'channels' });
  return { enabled, still: due.length - enabled };
}
