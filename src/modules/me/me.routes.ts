// GET /v1/me, /v1/me/usage, /v1/me/logs: the caller's own account, for the web console and any
// client. Authenticated like every client route: the Bearer key or the console's session cookie.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteError } from '../../http/route-docs.ts';
import { logsPage, logsQuery } from '../admin/admin.schemas.ts';
import type { MeService } from './me.service.ts';

export interface MeRoutesOptions {
  me: MeService;
  authenticate: (request: FastifyRequest) => Promise<void>;
}

const tags = ['account'];
const security: Record<string, string[]>[] = [{ apiKey: [] }, { consoleSession: [] }];
const quota = (what: string) => z.int().describe(`${what}, in quota (500,000 = 1 USD)`);

const accountSchema = z
  .object({
    object: z.literal('account'),
    user: z.object({ id: z.int(), name: z.string(), group: z.string().describe('Pricing group'), status: z.enum(['enabled', 'disabled']) }),
    key: z.object({
      id: z.int(),
      name: z.string(),
      key_prefix: z.string().describe('The first characters of the key'),
      status: z.enum(['enabled', 'disabled', 'revoked']),
      models: z.array(z.string()).describe('Models the key may use; empty for all'),
      quota_limit: z.int().nullable().describe("The key's own spending limit; null for none"),
      quota_used: quota('What the key has spent, net of refunds'),
      expires_at: z.int().nullable().describe('Unix seconds; null for never'),
      last_used_at: z.int().nullable(),
      created_at: z.int(),
    }),
    balance: z.object({
      quota: quota("The user's balance"),
      used_quota: quota('What the user has spent, net of refunds'),
      remaining: quota("What this key may still spend: the user's balance, or less when the key's own limit is nearer"),
      spent: quota('What counts against that: the key\'s spending when it has its own limit, else the user\'s'),
    }),
  })
  .meta({
    examples: [
      {
        object: 'account',
        user: { id: 42, name: 'acme', group: 'default', status: 'enabled' },
        key: {
          id: 7,
          name: 'production',
          key_prefix: 'sk-y2CcRHt',
          status: 'enabled',
          models: [],
          quota_limit: null,
          quota_used: 250_000,
          expires_at: null,
          last_used_at: 1764091534,
          created_at: 1764091234,
        },
        balance: { quota: 9_750_000, used_quota: 250_000, remaining: 9_750_000, spent: 250_000 },
      },
    ],
  });

const usageQuery = z.object({
  group_by: z.enum(['day', 'model']).default('day').describe('day: one row per UTC day of the period, those without usage too; model: one row per model used'),
  days: z.coerce.number().int().min(1).max(366).default(30).describe('The period: today (UTC) and the days before it'),
});

const usageSchema = z
  .object({
    object: z.literal('list'),
    group_by: z.enum(['day', 'model']),
    days: z.int(),
    data: z.array(
      z.object({
        group: z.string().describe('The day (YYYY-MM-DD, UTC) or the model'),
        tasks: z.int().describe('Tasks charged'),
        charged_quota: quota('Charged'),
        refunded_quota: quota('Refunded (failed tasks, settled videoedits), in the period the refund was made'),
        net_quota: quota('Charged minus refunded'),
      }),
    ),
  })
  .meta({
    examples: [
      {
        object: 'list',
        group_by: 'model',
        days: 30,
        data: [{ group: 'wan2.7-t2v', tasks: 3, charged_quota: 750_000, refunded_quota: 250_000, net_quota: 500_000 }],
      },
    ],
  });

const meLogsQuery = logsQuery.omit({ user_id: true });
const BAD_QUERY: RouteError = { code: 'invalid_request', example: 'querystring group_by: Invalid option: expected one of "day"|"model"' };

export async function meRoutes(app: FastifyInstance, { me, authenticate }: MeRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  r.get('/v1/me', {
    schema: {
      operationId: 'getAccount',
      tags,
      summary: 'Your account: balance, and the API key in use',
      security,
      response: { 200: accountSchema },
      errors: ['invalid_api_key', 'unavailable'],
    },
    handler: async (request) => me.account(request.auth),
  });

  r.get('/v1/me/usage', {
    schema: {
      operationId: 'getAccountUsage',
      tags,
      summary: 'Your charges and refunds per day or per model',
      description: "Sums of the user's quota logs (all their keys), for the last `days` days, read from the daily usage rollup that the operator's report reads.",
      security,
      querystring: usageQuery,
      response: { 200: usageSchema },
      errors: [BAD_QUERY, 'invalid_api_key', 'unavailable'],
    },
    handler: async (request) => me.usage(request.auth, request.query.group_by, request.query.days),
  });

  r.get('/v1/me/logs', {
    schema: {
      operationId: 'listAccountLogs',
      tags,
      summary: 'Your quota movements (top-ups, charges, deductions, refunds), newest first',
      description: "The user's logs, whichever of their keys made them.",
      security,
      querystring: meLogsQuery,
      response: { 200: logsPage },
      errors: [{ code: 'invalid_request', example: 'querystring cursor: cursor must be the next_cursor of a previous page' }, 'invalid_api_key', 'unavailable'],
    },
    handler: async (request) => me.logs(request.auth, request.query),
  });
}
