// Request and response shapes of the operator API's lists, reports, prices, tokens and task tools.
import { z } from 'zod';
import { EXAMPLE_TASK_ID } from '../../lib/ids.ts';
import { channelSchema, exampleKey, keySchema, logSchema, newestFirstPage, pageQuery, queryId, unixQuery, userSchema, webhookDeliverySchema } from './admin.schemas.ts';

export const usersQuery = z.object({
  search: z.string().trim().min(1).max(128).optional().describe('Part of the name (any case), or the id'),
  status: z.enum(['enabled', 'disabled']).optional(),
  group: z.string().max(64).optional(),
  ...pageQuery,
});
export const usersPage = newestFirstPage(userSchema).meta({ examples: [{ data: userSchema.meta()?.examples ?? [], next_cursor: null }] });

export const keysQuery = z.object({
  user_id: queryId.optional(),
  status: z.enum(['enabled', 'disabled', 'revoked']).optional(),
  ...pageQuery,
});
export const keysPage = newestFirstPage(keySchema).meta({ examples: [{ data: [exampleKey], next_cursor: '7' }] });

export const channelsQuery = z.object({
  status: z.enum(['enabled', 'disabled', 'auto_disabled']).optional(),
  model: z.string().max(128).optional().describe('Channels that serve this model'),
  ...pageQuery,
});
export const channelsPage = newestFirstPage(channelSchema).meta({ examples: [{ data: channelSchema.meta()?.examples ?? [], next_cursor: null }] });

export const channelTestSchema = z
  .object({
    ok: z.boolean(),
    latency_ms: z.int(),
    error: z.string().nullable().describe('"CODE: message" from the upstream when not ok'),
  })
  .meta({ examples: [{ ok: true, latency_ms: 184, error: null }, { ok: false, latency_ms: 97, error: 'InvalidApiKey: Invalid API-key provided.' }] });

const TASK_STATUS = z.enum(['NOT_START', 'QUEUED', 'IN_PROGRESS', 'SUCCESS', 'FAILURE']);

export const taskIdParams = z.object({ task_id: z.string().min(1).max(64).describe('The public task id') });

export const tasksQuery = z.object({
  user_id: queryId.optional(),
  key_id: queryId.optional(),
  status: TASK_STATUS.optional(),
  model: z.string().max(128).optional(),
  channel_id: queryId.optional(),
  from: unixQuery.optional().describe('Submitted at or after, unix seconds'),
  to: unixQuery.optional().describe('Submitted before, unix seconds'),
  ...pageQuery,
});

const adminTaskExample = {
  task_id: EXAMPLE_TASK_ID,
  user_id: 42,
  key_id: 7,
  group: 'default',
  model: 'wan2.7-t2v',
  upstream_model: 'wan2.7-t2v',
  action: 'textGenerate',
  status: 'SUCCESS',
  progress: 100,
  fail_reason: '',
  quota: 250_000,
  channel_id: 3,
  upstream_task_id: '0385dc79-5ff8-4d82-bcb6-caa3a6d7e0d2',
  attempts: 1,
  result_copy: 'stored',
  webhook_events: ['task.succeeded', 'task.failed'],
  callback_url: 'https://example.com/hooks/video',
  deleted: false,
  submit_time: 1764091234,
  start_time: 1764091240,
  finish_time: 1764091296,
} as const;

export const adminTaskSchema = z
  .object({
    task_id: z.string(),
    user_id: z.int(),
    key_id: z.int().nullable(),
    group: z.string(),
    model: z.string(),
    upstream_model: z.string(),
    action: z.string(),
    status: TASK_STATUS,
    progress: z.int(),
    fail_reason: z.string(),
    quota: z.int().describe('Charged, net of refunds'),
    channel_id: z.int().nullable(),
    upstream_task_id: z.string().nullable(),
    attempts: z.int().describe('Upstream submit attempts'),
    result_copy: z.enum(['none', 'pending', 'stored', 'failed', 'expired']),
    webhook_events: z.array(z.string()).describe('The events the task reports to callback_url'),
    callback_url: z.string().nullable(),
    deleted: z.boolean().describe('Deleted by the client (kept for the books)'),
    submit_time: z.int(),
    start_time: z.int().nullable(),
    finish_time: z.int().nullable(),
  })
  .meta({ examples: [adminTaskExample] });

export const tasksPage = newestFirstPage(adminTaskSchema).meta({ examples: [{ data: [adminTaskExample], next_cursor: null }] });

export const taskDetailSchema = adminTaskSchema
  .extend({
    request: z.record(z.string(), z.unknown()).describe('The validated, normalized request the worker sends upstream'),
    price_snapshot: z.record(z.string(), z.unknown()).describe('Everything the charge was computed from, frozen at submit'),
    channel: z.object({ id: z.int(), name: z.string(), status: z.string() }).nullable(),
    upstream_response: z.record(z.string(), z.unknown()).describe("The upstream's latest answer"),
    result_url: z.string().nullable().describe("The video's link, as clients get it, once the task has succeeded; null before"),
    logs: z.array(logSchema),
    webhooks: z
      .array(z.object({ event: z.string(), state: z.enum(['none', 'pending', 'delivered', 'failed']), created_at: z.int().describe('When the event happened') }))
      .describe('Its webhook events so far and where each delivery stands'),
    webhook_deliveries: z.array(webhookDeliverySchema),
  })
  .meta({
    examples: [
      {
        ...adminTaskExample,
        request: { prompt: 'A small cat running under moonlight', resolution: '720P', duration: 5 },
        price_snapshot: { model: 'wan2.7-t2v', price_per_second: '0.1', quota_per_unit: 500000, group: 'default', group_ratio: '1', resolution: '720P', resolution_ratio: '1', seconds: 5, quota: 250000 },
        channel: { id: 3, name: 'bailian-bj', status: 'enabled' },
        upstream_response: { output: { task_id: '0385dc79-5ff8-4d82-bcb6-caa3a6d7e0d2', task_status: 'SUCCEEDED' } },
        result_url: `https://gateway.example.com/files/results/${EXAMPLE_TASK_ID}.mp4?expires=1764177634&signature=1f7026cb733ae064ca0bf655c044bd316e3fb455e75221ac2c6f6ce6ab5129f9`,
        logs: [],
        webhooks: [{ event: 'task.succeeded', state: 'delivered', created_at: 1764091296 }],
        webhook_deliveries: [],
      },
    ],
  });

export const failTaskBody = z
  .object({ reason: z.string().trim().min(1).max(500).describe('Why: becomes the task\'s fail_reason, after "Operator: "') })
  .meta({ examples: [{ reason: 'stuck upstream for 3 hours' }] });

export const failedTaskSchema = adminTaskSchema.extend({ refunded: z.int().describe('Quota given back') }).meta({
  examples: [{ ...adminTaskExample, status: 'FAILURE', fail_reason: 'Operator: stuck upstream for 3 hours', quota: 0, refunded: 250_000 }],
});

export const modelParams = z.object({ model: z.string().min(1).max(128) });
export const modelPriceSchema = z
  .object({
    model: z.string(),
    price: z.number().describe('USD per generated second at resolution ratio 1'),
    resolution_ratios: z.record(z.string(), z.number()),
    enabled: z.boolean().describe('A disabled model is refused at submit and left out of /v1/models'),
    updated_at: z.int(),
  })
  .meta({ examples: [{ model: 'wan2.7-t2v', price: 0.1, resolution_ratios: { '720P': 1, '1080P': 1.5 }, enabled: true, updated_at: 1764091234 }] });
export const modelPricesSchema = z.object({ data: z.array(modelPriceSchema) }).meta({ examples: [{ data: modelPriceSchema.meta()?.examples ?? [] }] });

const ratio = z.number().positive().max(1_000_000);
export const updateModelBody = z
  .object({
    price: z.number().min(0).max(1_000_000).optional(),
    resolution_ratios: z.record(z.string().min(1).max(16), ratio).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one of price, resolution_ratios, enabled')
  .meta({ examples: [{ price: 0.12 }, { resolution_ratios: { '720P': 1, '1080P': 1.6 } }] });

export const groupParams = z.object({ name: z.string().min(1).max(64) });
export const groupSchema = z.object({ name: z.string(), ratio: z.number(), created_at: z.int(), updated_at: z.int() }).meta({
  examples: [{ name: 'vip', ratio: 0.8, created_at: 1764091234, updated_at: 1764091234 }],
});
export const groupsSchema = z.object({ data: z.array(groupSchema) }).meta({ examples: [{ data: groupSchema.meta()?.examples ?? [] }] });
export const createGroupBody = z
  .object({ name: z.string().trim().min(1).max(64).regex(/^[\w.-]+$/, 'name: letters, digits, _ . - only'), ratio })
  .meta({ examples: [{ name: 'vip', ratio: 0.8 }] });
export const updateGroupBody = z.object({ ratio }).meta({ examples: [{ ratio: 0.75 }] });

const day = z.union([unixQuery, z.iso.date()]).describe('Unix seconds or YYYY-MM-DD; usage counts whole UTC days');
export const usageQuery = z.object({
  from: day.optional().describe('First UTC day (the day this instant falls on); default 30 days ago'),
  to: day.optional().describe('Last UTC day, inclusive; default today'),
  group_by: z.enum(['day', 'model', 'user', 'key']).default('day'),
  user_id: queryId.optional(),
});
const usageRow = z.object({
  bucket: z.string().describe('The day (YYYY-MM-DD), model, user id or key id (0: no key)'),
  tasks: z.int().describe('Tasks charged'),
  succeeded: z.int(),
  failed: z.int(),
  seconds: z.int().describe('Seconds of video of the tasks that succeeded'),
  quota_charged: z.int(),
  quota_refunded: z.int(),
  quota_net: z.int(),
});
export const usageSchema = z.object({ data: z.array(usageRow), from: z.iso.date(), to: z.iso.date() }).meta({
  examples: [
    {
      data: [{ bucket: '2026-11-30', tasks: 120, succeeded: 115, failed: 5, seconds: 575, quota_charged: 30_000_000, quota_refunded: 1_250_000, quota_net: 28_750_000 }],
      from: '2026-11-01',
      to: '2026-11-30',
    },
  ],
});

export const auditQuery = z.object({
  actor: z.string().max(128).optional().describe("The actor's name, or its admin token id"),
  action: z.string().max(64).optional().describe('e.g. user.update, key.revoke, channel.enable'),
  target_type: z.string().max(32).optional(),
  target_id: z.string().max(128).optional(),
  ...pageQuery,
});
const auditEntry = z.object({
  id: z.string(),
  actor: z.object({ token_id: z.int().nullable().describe('null: the bootstrap ADMIN_TOKEN, or the worker'), name: z.string() }),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  request_id: z.string(),
  ip: z.string(),
  created_at: z.int(),
});
export const auditPage = newestFirstPage(auditEntry).meta({
  examples: [
    {
      data: [
        {
          id: '311',
          actor: { token_id: 2, name: 'alice (ops)' },
          action: 'key.revoke',
          target_type: 'key',
          target_id: '7',
          before: { id: 7, status: 'enabled' },
          after: { id: 7, status: 'revoked' },
          request_id: '8f0c1c3e-4f7b-4a55-9d1f-0b7d1c6f2a10',
          ip: '203.0.113.9',
          created_at: 1764091534,
        },
      ],
      next_cursor: null,
    },
  ],
});

const queueCounts = z.object({
  waiting: z.int(),
  active: z.int(),
  delayed: z.int(),
  failed: z.int(),
});
export const systemSchema = z
  .object({
    queues: z.record(z.string(), queueCounts.nullable()).describe('Per queue; null when Redis could not be asked'),
    queues_error: z.string().nullable(),
    channels: z.array(z.object({ id: z.int(), name: z.string(), status: z.string(), last_error: z.string(), retest_at: z.int().nullable() })),
    open_tasks: z.object({ NOT_START: z.int(), QUEUED: z.int(), IN_PROGRESS: z.int() }),
    workers: z
      .array(z.object({ id: z.string(), host: z.string(), pid: z.int(), queues: z.array(z.string()), version: z.string(), started_at: z.int(), last_seen: z.int() }))
      .describe('Worker processes alive: those whose heartbeat (every 5 s) is under 15 s old'),
  })
  .meta({
    examples: [
      {
        queues: { tasks: { waiting: 0, active: 12, delayed: 340, failed: 0 }, results: { waiting: 0, active: 1, delayed: 0, failed: 0 }, webhooks: { waiting: 0, active: 0, delayed: 3, failed: 0 } },
        queues_error: null,
        channels: [{ id: 3, name: 'bailian-bj', status: 'auto_disabled', last_error: 'Arrearage: Access denied, please make sure your account is in good standing.', retest_at: 1764091594 }],
        open_tasks: { NOT_START: 4, QUEUED: 120, IN_PROGRESS: 232 },
        workers: [{ id: 'worker-1:4121:a3f9', host: 'worker-1', pid: 4121, queues: ['tasks', 'results', 'webhooks', 'maintenance'], version: '0.1.0', started_at: 1764090000, last_seen: 1764091590 }],
      },
    ],
  });

export const meSchema = z
  .object({ token_id: z.int().nullable().describe('null for the bootstrap ADMIN_TOKEN'), name: z.string(), scope: z.enum(['read', 'write']) })
  .meta({ examples: [{ token_id: 2, name: 'alice (ops)', scope: 'write' }] });

export const adminTokenSchema = z
  .object({ id: z.int(), name: z.string(), scope: z.enum(['read', 'write']), token_prefix: z.string(), last_used_at: z.int().nullable(), created_at: z.int() })
  .meta({ examples: [{ id: 2, name: 'alice (ops)', scope: 'write', token_prefix: 'vgwa_Q3xPz', last_used_at: 1764091534, created_at: 1764091234 }] });
export const adminTokensSchema = z.object({ data: z.array(adminTokenSchema) }).meta({ examples: [{ data: adminTokenSchema.meta()?.examples ?? [] }] });
export const createdAdminTokenSchema = adminTokenSchema.extend({ token: z.string().describe('The token; shown only in this response') }).meta({
  examples: [{ id: 2, name: 'alice (ops)', scope: 'write', token_prefix: 'vgwa_Q3xPz', last_used_at: null, created_at: 1764091234, token: 'vgwa_Q3xPzT8kLm2VbN7cR4pYd8sJf6aGe1UoWq9Hh0Zx' }],
});
export const createAdminTokenBody = z
  .object({ name: z.string().trim().min(1).max(128), scope: z.enum(['read', 'write']) })
  .meta({ examples: [{ name: 'grafana (read only)', scope: 'read' }] });
