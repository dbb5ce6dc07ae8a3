// The admin usage report in the shape the usage chart draws (the customer's own report's shape).
import type { UsageRow } from '../../api/customer.ts';
import type { AdminUsageRow } from '../../api/operator.ts';

export const toChartRows = (rows: AdminUsageRow[]): UsageRow[] =>
  rows.map((row) => ({ group: row.bucket, tasks: row.tasks, charged_quota: row.quota_charged, refunded_quota: row.quota_refunded, net_quota: row.quota_net }));
