// The hourly purge: what the gateway stops keeping once nobody can need it any more (the reasons
// for each period are in docs/retention.md). Images sent with requests go once no task can still
// be submitted with them; idempotency keys after their 24 hours; webhook delivery attempts after
// WEBHOOK_RETENTION_DAYS. Tasks and logs are the books and are never purged.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/env.ts';
import type { Db } from '../db/database.ts';
import { purgeAdminKeys } from '../modules/admin/admin-idempotency.repository.ts';
import { purgeIdempotencyKeys } from '../modules/tasks/tasks.repository.ts';
import type { GatewayStorage } from '../storage/gateway-storage.ts';
import { purgeDeliveries } from '../webhooks/deliveries.repository.ts';
import { purgeExpiredUploads } from './result-retention.ts';
import type { WorkerSettings } from './settings.ts';

export const PURGE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface PurgeDeps {
  db: Db;
  storage: GatewayStorage;
  config: Pick<Config, 'WEBHOOK_RETENTION_DAYS'>;
  settings: WorkerSettings;
  log: FastifyBaseLogger;
}

export interface PurgeReport {
  uploads: number;
  idempotencyKeys: number;
  adminIdempotencyKeys: number;
  webhookDeliveries: number;
}

export async function purge({ db, storage, config, settings, log }: PurgeDeps): Promise<PurgeReport> {
  // An image is needed until its task has been submitted, which happens before the task times out
  // at the latest.
  const longestTimeoutS = Math.max(settings.taskTimeoutS, ...Object.values(settings.taskTimeoutSByModel));
  const report = {
    uploads: await purgeExpiredUploads(storage, new Date(Date.now() - longestTimeoutS * 1000 - PURGE_INTERVAL_MS)),
    idempotencyKeys: await purgeIdempotencyKeys(db),
    adminIdempotencyKeys: await purgeAdminKeys(db),
    webhookDeliveries: await purgeDeliveries(db, new Date(Date.now() - config.WEBHOOK_RETENTION_DAYS * DAY_MS)),
  };
  if (report.uploads || report.idempotencyKeys || report.adminIdempotencyKeys || report.webhookDeliveries) {
    log.info(
      { uploads: report.uploads, idempotency_keys: report.idempotencyKeys, admin_idempotency_keys: report.adminIdempotencyKeys, webhook_deliveries: report.webhookDeliveries },
      'purged what is no longer kept',
    );
  }
  return report;
}
