// Request and response shapes of the operator API.
import { z } from 'zod';
import { EXAMPLE_TASK_ID } from '../../lib/ids.ts';
import { WEBHOOK_EVENTS } from '../../webhooks/events.ts';
import { isRange } from '../limits/ip-allowlist.ts';

// The database's integer columns are 32-bit; a value beyond them is the client's mistake (a 400),
// not something to find out from the database.
const INT4_MAX = 2_147_483_647;
const INT8_MAX = 9_223_372_036_854_775_807n;
export const int4 = z.int().min(-INT4_MAX - 1).max(INT4_MAX);
export const recordId = z.int().positive().max(INT4_MAX);
// 9999-12-31T23:59:59Z: later instants are not dates PostgreSQL (or anyone) can use.
export const LAST_UNIX_SECOND = 253_402_300_799;

export const idParams = z.object({ id: z.coerce.number().pipe(recordId).describe('Record id') });

const quotaAmount = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const unixOrIso = z
  .union([z.int().positive().max(LAST_UNIX_SECOND), z.iso.datetime({ offset: true })])
  .describe('Unix seconds or an ISO 8601 date-time');

// The limits a key has, and that its user gives keys without their own.
const maxInflight = z.int().min(0).max(1_000_000).nullable().describe('Unfinished tasks at once; null for no limit');
const rpmLimit = z.int().min(1).max(100_000).nullable().describe('Requests per minute on the client routes, shared by every instance; null for no limit');
const allowedIps = z
  .array(z.string().max(64).refine(isRange, 'allowed_ips holds IP addresses or CIDR ranges such as 10.0.0.0/8'))
  .max(100)
  .describe('Client addresses or CIDR ranges (e.g. 10.0.0.0/8, 2001:db8::/32) it may be used from; empty for anywhere');

export const userSchema = z.object({
  id: z.int(),
  name: z.string(),
  group: z.string(),
  quota: z.int().describe('Remaining quota (500,000 = 1 USD)'),
  used_quota: z.int().describe('Quota consumed so far, net of refunds'),
  status: z.enum(['enabled', 'disabled']),
  max_inflight: maxInflight.describe("Default max_inflight of the user's keys; null for none"),
  rpm_limit: rpmLimit.describe("Default rpm_limit of the user's keys; null for none"),
  allowed_ips: allowedIps.describe("Default allowed_ips of the user's keys; empty for anywhere"),
  created_at: z.int(),
  updated_at: z.int(),
}).meta({
  examples: [
    { id: 42, name: 'acme', group: 'default', quota: 9_750_000, used_quota: 250_000, status: 'enabled', max_inflight: 20, rpm_limit: null, allowed_ips: [], created_at: 1764091234, updated_at: 1764091534 },
  ],
});

export const createUserBody = z.object({
  name: z.string().trim().min(1).max(128),
  group: z.string().trim().min(1).max(64).optional().describe('Pricing group; default "default"'),
  quota: quotaAmount.optional().describe('Initial quota, recorded as a top-up'),
  max_inflight: maxInflight.optional(),
  rpm_limit: rpmLimit.optional(),
  allowed_ips: allowedIps.optional(),
}).meta({ examples: [{ name: 'acme', group: 'default', quota: 10_000_000 }] });

export const updateUserBody = z
  .object({
    name: z.string().trim().min(1).max(128).optional(),
    group: z.string().trim().min(1).max(64).optional(),
    status: z.enum(['enabled', 'disabled']).optional(),
    max_inflight: maxInflight.optional(),
    rpm_limit: rpmLimit.optional(),
    allowed_ips: allowedIps.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one of name, group, status, max_inflight, rpm_limit, allowed_ips')
  .meta({ examples: [{ status: 'disabled' }] });

export const quotaChangeBody = z.object({
  delta: z
    .int()
    .min(-Number.MAX_SAFE_INTEGER)
    .max(Number.MAX_SAFE_INTEGER)
    .refine((d) => d !== 0, 'delta must not be 0')
    .describe('Positive to top up (log type 1), negative to deduct (log type 3)'),
  note: z.string().max(500).optional(),
}).meta({ examples: [{ delta: 5_000_000, note: 'invoice 2025-118' }] });

export const exampleKey = {
  id: 7,
  user_id: 42,
  name: 'production',
  key_prefix: 'sk-y2CcRHt',
  status: 'enabled',
  expires_at: 1798761599,
  models: ['wan2.7-t2v', 'wan2.7-i2v'],
  quota: 50_000_000,
  quota_used: 250_000,
  max_inflight: 10,
  inflight_tasks: 1,
  rpm_limit: 600,
  allowed_ips: ['203.0.113.0/24'],
  last_used_at: 1764091534,
  callback_url: 'https://example.com/hooks/video',
  webhook_events: ['task.succeeded', 'task.failed'],
  created_at: 1764091234,
} as const;
const exampleSecret = 'whsec_cjyftELzqBZgb+8w1uPjOtNup+SmctSL05+qAfSJk2Y=';

export const keySchema = z.object({
  id: z.int(),
  user_id: z.int(),
  name: z.string(),
  key_prefix: z.string().describe('The first characters of the key'),
  status: z.enum(['enabled', 'disabled', 'revoked']).describe('revoked is final (DELETE /admin/keys/{id})'),
  expires_at: z.int().nullable().describe('Unix seconds; null for never'),
  models: z.array(z.string()).describe('Allowed models; empty for all'),
  quota: z.int().nullable().describe("The key's own spending limit; null for none"),
  quota_used: z.int(),
  max_inflight: maxInflight.describe("Unfinished tasks at once; null: the user's default, or no limit"),
  inflight_tasks: z.int().describe('Unfinished tasks now'),
  rpm_limit: rpmLimit.describe("Requests per minute; null: the user's default, or no limit"),
  allowed_ips: allowedIps.describe("Where it may be used from; empty: the user's list, or anywhere"),
  last_used_at: z.int().nullable(),
  callback_url: z.string().nullable().describe("Where the key's tasks report their end when a request names no callback_url; null for nowhere"),
  webhook_events: z.array(z.enum(WEBHOOK_EVENTS)).describe("The events the key's tasks report when a request names no webhook_events"),
  webhook_secret: z
    .string()
    .nullable()
    .optional()
    .describe("Signs the webhooks of this key's tasks (Standard Webhooks, whsec_...); shown only when the key is created and when the secret is rotated"),
  created_at: z.int(),
}).meta({ examples: [exampleKey, { ...exampleKey, webhook_secret: exampleSecret }] });

export const createdKeySchema = keySchema
  .extend({
    key: z.string().describe('The API key; shown only in this response'),
  })
  .meta({ examples: [{ ...exampleKey, quota_used: 0, inflight_tasks: 0, last_used_at: null, webhook_secret: exampleSecret, key: 'sk-y2CcRHtrXxvvmCW5ZLJV36VHY4X1VVRWxpG4oJyUcJhJ9UIy' }] });

export const consoleCodeSchema = z
  .object({
    object: z.literal('console.session_code'),
    code: z
      .string()
      .describe('Exchange it once, within a minute, with POST /v1/console/session {"code": ...} (the console does: /console/act#code=...); shown only in this response'),
    key_id: z.int(),
    user_id: z.int(),
    expires_at: z.int().describe('Unix seconds after which the code no longer works'),
  })
  .meta({ examples: [{ object: 'console.session_code', code: 'q8Vd3mR0x2cWl1b1Ra7sYk4nNfGh5eJtPzLwUvCiAo', key_id: 7, user_id: 42, expires_at: 1764091294 }] });

const callbackUrl = z
  .string()
  .max(2048)
  .describe("http(s) URL that receives a signed POST when one of the key's tasks ends; loopback and private addresses are refused");

const webhookEvents = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1)
  .describe("The events the key's tasks report when a request names none (default task.succeeded and task.failed)");

export const createKeyBody = z.object({
  user_id: recordId,
  name: z.string().trim().max(128).optional(),
  models: z.array(z.string().trim().min(1).max(128)).max(100).optional(),
  expires_at: unixOrIso.nullable().optional(),
  quota: quotaAmount.nullable().optional().describe("The key's own spending limit"),
  callback_url: callbackUrl.nullable().optional(),
  webhook_events: webhookEvents.optional(),
  max_inflight: maxInflight.optional(),
  rpm_limit: rpmLimit.optional(),
  allowed_ips: allowedIps.optional(),
}).meta({
  examples: [
    {
      user_id: 42,
      name: 'production',
      models: ['wan2.7-t2v', 'wan2.7-i2v'],
      expires_at: '2026-12-31T23:59:59Z',
      quota: 50_000_000,
      callback_url: 'https://example.com/hooks/video',
    },
  ],
});

export const updateKeyBody = z
  .object({
    name: z.string().trim().max(128).optional(),
    status: z.enum(['enabled', 'disabled']).optional().describe('To revoke a key for good, DELETE it'),
    models: z.array(z.string().trim().min(1).max(128)).max(100).optional(),
    expires_at: unixOrIso.nullable().optional(),
    quota: quotaAmount.nullable().optional(),
    callback_url: callbackUrl.nullable().optional().describe('null removes it'),
    webhook_events: webhookEvents.optional(),
    rotate_webhook_secret: z.boolean().optional().describe('true: replace the webhook secret (the answer shows the new one); the old one stops working at once'),
    max_inflight: maxInflight.optional(),
    rpm_limit: rpmLimit.optional(),
    allowed_ips: allowedIps.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change')
  .meta({ examples: [{ status: 'disabled' }] });

export const logSchema = z.object({
  id: z.string().describe('Log id (a 64-bit integer, as a string)'),
  type: z.int().describe('1 top-up, 2 consume, 3 manage, 4 system, 5 error, 6 refund'),
  user_id: z.int(),
  key_id: z.int().nullable(),
  task_id: z.string().nullable(),
  model: z.string(),
  quota: z.int(),
  content: z.string(),
  created_at: z.int(),
});

// The paging of the operator's newest-first lists (src/lib/newest-first.ts).
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .refine((c) => /^\d{1,19}$/.test(c) && BigInt(c) <= INT8_MAX, 'cursor must be the next_cursor of a previous page')
    .optional(),
};

export const newestFirstPage = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as cursor for the next (older) page; null at the end'),
  });

export const queryId = z.coerce.number().pipe(recordId);
export const unixQuery = z.coerce.number().int().min(0).max(LAST_UNIX_SECOND).describe('Unix seconds');

export const logsQuery = z.object({
  user_id: queryId.optional(),
  task_id: z.string().max(64).optional(),
  type: z.coerce.number().int().min(1).max(6).optional(),
  model: z.string().max(128).optional(),
  from: unixQuery.optional().describe('Unix seconds, inclusive'),
  to: unixQuery.optional().describe('Unix seconds, exclusive'),
  format: z.enum(['json', 'csv']).default('json').describe('csv: every matching row (not one page), streamed as text/csv with a header row'),
  ...pageQuery,
});

export const logsPage = newestFirstPage(logSchema).meta({
  examples: [
    {
      data: [
        {
          id: '1207',
          type: 2,
          user_id: 42,
          key_id: 7,
          task_id: EXAMPLE_TASK_ID,
          model: 'wan2.7-t2v',
          quota: 250_000,
          content: 'textGenerate: 5 s at 720P (×1), 0.1/s, group default (×1)',
          created_at: 1764091534,
        },
        { id: '1188', type: 1, user_id: 42, key_id: null, task_id: null, model: '', quota: 10_000_000, content: 'initial quota', created_at: 1764091234 },
      ],
      next_cursor: '1188',
    },
  ],
});

export const webhookDeliverySchema = z.object({
  id: z.string().describe('Delivery id (a 64-bit integer, as a string)'),
  task_id: z.string(),
  url: z.string(),
  event: z.string().describe('task.succeeded or task.failed'),
  attempt: z.int().describe('1 for the first attempt'),
  status_code: z.int().nullable().describe("The receiver's HTTP status; null when no answer came"),
  error: z.string().describe('Empty when delivered; "in flight" while the attempt is under way'),
  duration_ms: z.int(),
  delivered: z.boolean().describe('The receiver answered 2xx'),
  created_at: z.int().describe('When the attempt began, unix seconds'),
});

export const webhookDeliveriesQuery = z.object({
  task_id: z.string().max(64).optional(),
  ...pageQuery,
});

export const webhookDeliveriesPage = newestFirstPage(webhookDeliverySchema).meta({
  examples: [
    {
      data: [
        {
          id: '88',
          task_id: EXAMPLE_TASK_ID,
          url: 'https://example.com/hooks/video',
          event: 'task.succeeded',
          attempt: 2,
          status_code: 200,
          error: '',
          duration_ms: 143,
          delivered: true,
          created_at: 1764091596,
        },
        {
          id: '87',
          task_id: EXAMPLE_TASK_ID,
          url: 'https://example.com/hooks/video',
          event: 'task.succeeded',
          attempt: 1,
          status_code: 503,
          error: 'HTTP 503',
          duration_ms: 88,
          delivered: false,
          created_at: 1764091595,
        },
      ],
      next_cursor: null,
    },
  ],
});

export const channelSchema = z.object({
  id: z.int(),
  name: z.string(),
  type: z.int(),
  base_url: z.string(),
  api_key: z.string().describe('Masked'),
  models: z.array(z.string()),
  model_mapping: z.record(z.string(), z.string()),
  priority: z.int(),
  weight: z.int(),
  status: z.enum(['enabled', 'disabled', 'auto_disabled']).describe('auto_disabled: the worker took it out of rotation after the upstream refused its key, and re-tests it'),
  status_reason: z.string().describe('Why it is disabled: the last upstream error for auto_disabled'),
  submit_qps: z.int().nullable().describe("Upstream submits per second; null: the worker's CHANNEL_SUBMIT_QPS"),
  query_qps: z.int().nullable().describe("Upstream queries per second; null: the worker's CHANNEL_QUERY_QPS"),
  max_inflight: z.int().nullable().describe('Unfinished tasks on it at once; null for no limit'),
  retest_at: z.int().nullable().describe('When the worker next re-tests it (auto_disabled only)'),
  created_at: z.int(),
  updated_at: z.int(),
}).meta({
  examples: [
    {
      id: 3,
      name: 'bailian-bj',
      type: 17,
      base_url: 'https://dashscope.aliyuncs.com',
      api_key: 'sk-…9f2c',
      models: [],
      model_mapping: { 'wan2.7-t2v': 'wan2.7-t2v-2026-04-25' },
      priority: 10,
      weight: 1,
      status: 'enabled',
      status_reason: '',
      submit_qps: null,
      query_qps: null,
      max_inflight: 50,
      retest_at: null,
      created_at: 1764091234,
      updated_at: 1764091234,
    },
  ],
});

export const createChannelBody = z.object({
  name: z.string().trim().min(1).max(128),
  base_url: z.url({ protocol: /^https?$/, error: 'base_url must be an http(s) URL' }).describe('e.g. https://dashscope.aliyuncs.com'),
  api_key: z.string().trim().min(1),
  models: z.array(z.string().trim().min(1)).optional().describe('Models served; empty or absent for all'),
  model_mapping: z.record(z.string(), z.string()).optional().describe('Gateway model -> upstream model'),
  priority: int4.optional(),
  weight: int4.min(0).optional(),
  submit_qps: z.int().min(1).max(10_000).nullable().optional(),
  query_qps: z.int().min(1).max(10_000).nullable().optional(),
  max_inflight: z.int().min(1).max(1_000_000).nullable().optional(),
}).meta({
  examples: [
    {
      name: 'bailian-bj',
      base_url: 'https://dashscope.aliyuncs.com',
      api_key: 'sk-4d1e0c7a9b2f4c8e9f2c',
      model_mapping: { 'wan2.7-t2v': 'wan2.7-t2v-2026-04-25' },
      priority: 10,
    },
  ],
});

export const updateChannelBody = createChannelBody
  .partial()
  .extend({ status: z.enum(['enabled', 'disabled']).optional().describe('enabled also re-enables an auto_disabled channel') })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change')
  .meta({ examples: [{ status: 'enabled' }, { max_inflight: 20, submit_qps: 2 }] });
