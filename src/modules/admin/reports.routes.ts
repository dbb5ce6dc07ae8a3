// What happened: the quota log (as pages, or every row as CSV), webhook deliveries, usage
// reports, the audit log, and the system at a glance.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { csvLine } from '../../lib/csv.ts';
import { badRequest } from '../../lib/errors.ts';
import { listDeliveries, toDeliveryView } from '../../webhooks/deliveries.repository.ts';
import { usageReport } from '../billing/usage.repository.ts';
import type { AdminContext } from './admin.routes.ts';
import { logsPage, logsQuery, webhookDeliveriesPage, webhookDeliveriesQuery } from './admin.schemas.ts';
import { listAudit, toAuditView } from './audit.repository.ts';
import { allLogs, listLogs, toLogView } from './logs.repository.ts';
import { auditPage, auditQuery, systemSchema, usageQuery, usageSchema } from './operations.schemas.ts';
import { ADMIN, ADMIN_ERRORS, BAD_CURSOR } from './route-kit.ts';
import { systemOverview } from './system.ts';

const LOG_COLUMNS = ['id', 'created_at', 'type', 'user_id', 'key_id', 'task_id', 'model', 'quota', 'content'] as const;
const DAY_S = 86_400;
const DEFAULT_USAGE_DAYS = 30;

/** The UTC day of unix seconds or of a YYYY-MM-DD date. */
const utcDay = (value: number | string): string => (typeof value === 'string' ? value : new Date(value * 1000).toISOString().slice(0, 10));

export function reportRoutes(app: FastifyInstance, { db, queues }: AdminContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/admin/logs', {
    schema: {
      ...ADMIN,
      operationId: 'listLogs',
      summary: 'Quota movements (top-ups, charges, deductions, refunds), newest first; format=csv streams every matching row',
      description:
        'With `format=csv` the answer is `text/csv`: a header row, then every row that matches the filters (limit and cursor are ignored), newest first, streamed.',
      querystring: logsQuery,
      response: {
        200: {
          description: 'A page of logs, or with format=csv all of them',
          content: {
            'application/json': { schema: logsPage },
            'text/csv': { schema: z.string().describe(`Columns: ${LOG_COLUMNS.join(', ')}`) },
          },
        },
      },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request, reply) => {
      const { format, limit, cursor, ...filter } = request.query;
      if (format === 'csv') {
        const rows = async function* () {
          yield csvLine([...LOG_COLUMNS]);
          for await (const log of allLogs(db, filter)) {
            const view = toLogView(log);
            yield csvLine(LOG_COLUMNS.map((column) => view[column]));
          }
        };
        reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="logs.csv"');
        // The stream is the text/csv body: its type says string, which Fastify sends as it comes.
        return reply.send(Readable.from(rows()) as unknown as string);
      }
      const { rows, nextCursor } = await listLogs(db, { ...filter, limit, cursor });
      return reply.send({ data: rows.map(toLogView), next_cursor: nextCursor });
    },
  });

  r.get('/admin/webhooks', {
    schema: {
      ...ADMIN,
      operationId: 'listWebhookDeliveries',
      summary: 'Webhook delivery attempts, newest first',
      querystring: webhookDeliveriesQuery,
      response: { 200: webhookDeliveriesPage },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listDeliveries(db, request.query);
      return { data: rows.map(toDeliveryView), next_cursor: nextCursor };
    },
  });

  r.get('/admin/usage', {
    schema: {
      ...ADMIN,
      operationId: 'getUsage',
      summary: 'Usage per day, model, user or key over whole UTC days: tasks, outcomes, seconds, quota charged, refunded and net',
      querystring: usageQuery,
      response: { 200: usageSchema },
      errors: [{ code: 'invalid_request', example: 'from (2026-12-01) is after to (2026-11-30)' }, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const now = Math.floor(Date.now() / 1000);
      const fromDay = utcDay(request.query.from ?? now - (DEFAULT_USAGE_DAYS - 1) * DAY_S);
      const toDay = utcDay(request.query.to ?? now);
      if (fromDay > toDay) throw badRequest(`from (${fromDay}) is after to (${toDay})`, 'from');
      const data = await usageReport(db, { fromDay, toDay, groupBy: request.query.group_by, userId: request.query.user_id });
      return { data, from: fromDay, to: toDay };
    },
  });

  r.get('/admin/audit', {
    schema: {
      ...ADMIN,
      operationId: 'listAudit',
      summary: 'Every admin change (and the worker re-enabling a channel): who, what, before and after, newest first',
      querystring: auditQuery,
      response: { 200: auditPage },
      errors: [BAD_CURSOR, ...ADMIN_ERRORS],
    },
    handler: async (request) => {
      const { rows, nextCursor } = await listAudit(db, request.query);
      return { data: rows.map(toAuditView), next_cursor: nextCursor };
    },
  });

  r.get('/admin/system', {
    schema: {
      ...ADMIN,
      operationId: 'getSystem',
      summary: 'The system at a glance: queue depths and delayed jobs per queue, each channel with its last error, open tasks by status',
      response: { 200: systemSchema },
      errors: ADMIN_ERRORS,
    },
    handler: async () => systemOverview(db, queues),
  });
}
