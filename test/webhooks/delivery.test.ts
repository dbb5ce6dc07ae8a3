// Webhook delivery end to end: the gateway runs tasks against the DashScope simulator, its worker
// enqueues a webhook job when a task with a callback URL ends, and a BullMQ worker running
// createWebhookProcessor delivers it to a real HTTP receiver on 127.0.0.1.
import type { LookupAddress } from 'node:dns';
import { DelayedError, type Job, Worker } from 'bullmq';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bullPrefix, QUEUES, type TaskJobData } from '../../src/jobs/contracts.ts';
import type { TaskRow } from '../../src/modules/tasks/tasks.repository.ts';
import { ABANDONED, claimAttempt, finishAttempt, IN_FLIGHT, NO_SECRET } from '../../src/webhooks/deliveries.repository.ts';
import { webhookEventId } from '../../src/webhooks/payload.ts';
import type { RetrySchedule } from '../../src/webhooks/retry-schedule.ts';
import { COPY_WAIT_MS, createWebhookProcessor } from '../../src/webhooks/webhook-processor.ts';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { createUser, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';
import { type Answer, deadUrl, type Receiver, startReceiver } from './receiver.ts';
import { verifyWebhook } from './verify-webhook.ts';

const MAX_ATTEMPTS = 3;
// The production schedule scaled down: 100 ms, 400 ms, then at most 2 s, each plus up to 25 %.
const RETRY: RetrySchedule = { firstDelayMs: 100, factor: 4, maxDelayMs: 2_000 };
const resultLink = async (task: TaskRow) => `https://cdn.example.test/videos/${task.taskId}.mp4`;
// A name only this resolver knows: a delivery to it proves the connection goes where the check looked.
const lookup = async (hostname: string): Promise<LookupAddress[]> => {
  if (hostname === 'receiver.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
};

let ctx: GatewayContext;
let key: string;
let keyId: number;
let secret: string;
const workers: Worker<TaskJobData>[] = [];
const receivers: Receiver[] = [];

function startWebhookWorker(): Worker<TaskJobData> {
  const processor = createWebhookProcessor({ db: ctx.db, metrics: ctx.metrics, config: ctx.config, log: pino({ level: 'silent' }), resultLink, retrySchedule: RETRY, lookup });
  const worker = new Worker<TaskJobData>(QUEUES.webhooks.name, processor, {
    connection: ctx.consumers,
    prefix: bullPrefix(ctx.config.REDIS_PREFIX),
    concurrency: 10,
  });
  workers.push(worker);
  return worker;
}

async function receiver(answer?: (n: number, path: string) => Answer): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

/** Submits a task and gives it a callback URL before it ends (the submit API cannot yet). */
async function submitWithCallback(url: string, body: object = specExamples.t2v): Promise<string> {
  const taskId = await submit(ctx, key, body);
  await ctx.query('UPDATE tasks SET callback_url = $1 WHERE task_id = $2', [url, taskId]);
  return taskId;
}

async function waitForCopyEnd(taskId: string): Promise<void> {
  await until(async () => {
    const { rows } = await ctx.query<{ result_copy: string }>('SELECT result_copy FROM tasks WHERE task_id = $1', [taskId]);
    return rows[0]!.result_copy !== 'pending' ? true : undefined;
  }, `the end of the copy of ${taskId}`, { timeoutMs: 10_000, intervalMs: 25 });
}

/**
 * A task that ended without a callback URL, then given one with its webhook pending: no job exists
 * for it. Its video copy is over, so nothing holds the webhook back.
 */
async function finishedTaskPendingWebhook(url: string): Promise<string> {
  const taskId = await submit(ctx, key, specExamples.t2v);
  await waitForFinal(ctx, key, taskId);
  await waitForCopyEnd(taskId);
  await ctx.query(`UPDATE tasks SET callback_url = $1 WHERE task_id = $2`, [url, taskId]);
  await ctx.query(`INSERT INTO task_webhooks (task_id, event) VALUES ($1, 'task.succeeded')`, [taskId]);
  return taskId;
}

/** Where the webhook of the task's end stands; 'none' when it has none. */
async function webhookState(taskId: string): Promise<string> {
  const { rows } = await ctx.query<{ state: string }>(
    `SELECT coalesce((SELECT state::text FROM task_webhooks WHERE task_id = $1 AND event IN ('task.succeeded', 'task.failed')), 'none') AS state`,
    [taskId],
  );
  return rows[0]!.state;
}

async function waitForWebhookEnd(taskId: string): Promise<string> {
  let state = '';
  return until(
    async () => {
      state = await webhookState(taskId);
      return state === 'delivered' || state === 'failed' ? state : undefined;
    },
    () => `the end of the webhook of ${taskId} (still ${state})`,
    { intervalMs: 25 },
  );
}

interface DeliveryRow {
  id: string;
  url: string;
  event: string;
  attempt: number;
  status_code: number | null;
  error: string;
  duration_ms: number;
  delivered: boolean;
  created_at: Date;
}

async function deliveries(taskId: string): Promise<DeliveryRow[]> {
  const { rows } = await ctx.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE task_id = $1 ORDER BY id', [taskId]);
  return rows;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ctx = await createGatewayContext({
    env: { WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true', WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_TIMEOUT_MS: '1000', WORKER_QUEUES: 'tasks,results,maintenance' },
  });
  const user = await createUser(ctx.http, { quota: 100_000_000 });
  const res = await ctx.http('POST', '/admin/keys', { token: ADMIN_TOKEN, body: { user_id: user.id } });
  expect(res.status).toBe(201);
  ({ key, id: keyId, webhook_secret: secret } = res.body);
  expect(secret).toMatch(/^whsec_/);
  startWebhookWorker();
});

afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

afterAll(async () => {
  for (const w of workers) await w.close();
  await ctx?.close();
});

describe('webhook delivery', () => {
  it('POSTs one signed webhook per final task, with the task record as GET shows it', async () => {
    const hook = await receiver();
    const succeeded = await submitWithCallback(hook.url);
    const failed = await submitWithCallback(hook.url, { ...specExamples.t2v, prompt: `${specExamples.t2v.prompt} [sim:fail=DataInspectionFailed]` });
    expect(await waitForWebhookEnd(succeeded)).toBe('delivered');
    expect(await waitForWebhookEnd(failed)).toBe('delivered');
    await settle(500);
    expect(hook.received).toHaveLength(2);

    const openai = new OpenAI({ apiKey: 'x', webhookSecret: secret });
    for (const [taskId, type] of [[succeeded, 'task.succeeded'], [failed, 'task.failed']] as const) {
      const [request] = hook.forTask(taskId);
      expect(request!.path).toBe('/hooks/video');
      expect(request!.headers['content-type']).toBe('application/json');
      expect(request!.headers['user-agent']).toMatch(/^wan-video-gateway-webhooks\//);
      const id = request!.headers['webhook-id'];
      expect(id).toBe(webhookEventId(taskId, type));
      expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
      expect(Math.abs(Number(request!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
      expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(verifyWebhook(secret, request!.body, request!.headers)).toBe(true);
      const unwrapped = (await openai.webhooks.unwrap(request!.body, request!.headers as Record<string, string>)) as unknown;

      const record = (await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: key })).body.data;
      const payload = JSON.parse(request!.body);
      expect(unwrapped).toEqual(payload);
      expect(Object.keys(payload)).toEqual(['id', 'type', 'created_at', 'data']);
      expect(payload).toMatchObject({ id, type, created_at: record.finish_time });
      const link = type === 'task.succeeded' ? `https://cdn.example.test/videos/${taskId}.mp4` : '';
      expect(payload.data).toEqual({ ...record, result_url: link, updated_at: payload.data.updated_at });
      expect(payload.data.updated_at).toBeGreaterThanOrEqual(record.finish_time);

      const rows = await deliveries(taskId);
      expect(rows).toEqual([
        expect.objectContaining({ url: hook.url, event: type, attempt: 1, status_code: 200, error: '', delivered: true }),
      ]);
      expect(rows[0]!.duration_ms).toBeGreaterThanOrEqual(0);
    }
    expect(JSON.parse(hook.forTask(failed)[0]!.body).data).toMatchObject({ status: 'FAILURE', fail_reason: expect.stringMatching(/^DataInspectionFailed/) });
    expect(JSON.parse(hook.forTask(succeeded)[0]!.body).data).toMatchObject({ status: 'SUCCESS', progress: '100%' });
  });

  it('sends nothing for a task without a callback URL', async () => {
    const hook = await receiver();
    const taskId = await submit(ctx, key, specExamples.t2v);
    await waitForFinal(ctx, key, taskId);
    await settle(300);
    expect(await webhookState(taskId)).toBe('none');
    expect(hook.received).toHaveLength(0);
    expect(await deliveries(taskId)).toEqual([]);
  });

  it('retries a failing receiver with growing gaps, records every attempt, and stops at the first 2xx', async () => {
    const hook = await receiver((n) => (n < 2 ? { status: 500, body: 'database is down' } : { status: 200 }));
    const taskId = await submitWithCallback(hook.url);
    expect(await waitForWebhookEnd(taskId)).toBe('delivered');
    await settle(800);
    expect(hook.received).toHaveLength(3);
    const [first, second, third] = hook.received as [typeof hook.received[0], typeof hook.received[0], typeof hook.received[0]];
    const gap1 = second.at - first.at;
    const gap2 = third.at - second.at;
    expect(gap1).toBeGreaterThanOrEqual(RETRY.firstDelayMs);
    expect(gap2).toBeGreaterThanOrEqual(RETRY.firstDelayMs * RETRY.factor);
    expect(gap2).toBeGreaterThan(gap1);
    // One message: the same id on every attempt, each attempt signed afresh.
    expect(new Set(hook.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of hook.received) expect(verifyWebhook(secret, r.body, r.headers)).toBe(true);

    expect(await deliveries(taskId)).toEqual([
      expect.objectContaining({ attempt: 1, status_code: 500, error: 'HTTP 500: database is down', delivered: false }),
      expect.objectContaining({ attempt: 2, status_code: 500, error: 'HTTP 500: database is down', delivered: false }),
      expect.objectContaining({ attempt: 3, status_code: 200, error: '', delivered: true }),
    ]);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS attempts on a receiver that is down for good', async () => {
    const url = await deadUrl();
    const taskId = await submitWithCallback(url);
    expect(await waitForWebhookEnd(taskId)).toBe('failed');
    await settle(3_000);
    const rows = await deliveries(taskId);
    expect(rows.map((r) => r.attempt)).toEqual([1, 2, 3]);
    for (const row of rows) expect(row).toMatchObject({ url, status_code: null, delivered: false, error: expect.stringMatching(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/) });
  });

  it('gives up on a receiver that does not answer within WEBHOOK_TIMEOUT_MS, and tries again', async () => {
    const hook = await receiver((n) => (n === 0 ? { status: 200, delayMs: 1_500 } : { status: 200 }));
    const taskId = await submitWithCallback(hook.url);
    expect(await waitForWebhookEnd(taskId)).toBe('delivered');
    const rows = await deliveries(taskId);
    expect(rows).toEqual([
      expect.objectContaining({ attempt: 1, status_code: null, error: 'no answer within 1000 ms', delivered: false }),
      expect.objectContaining({ attempt: 2, status_code: 200, delivered: true }),
    ]);
    expect(rows[0]!.duration_ms).toBeGreaterThanOrEqual(1_000);
    expect(rows[0]!.duration_ms).toBeLessThan(1_400);
  });

  it('stops at once when the receiver answers 410 Gone', async () => {
    const hook = await receiver(() => ({ status: 410 }));
    const taskId = await submitWithCallback(hook.url);
    expect(await waitForWebhookEnd(taskId)).toBe('failed');
    await settle(1_000);
    expect(hook.received).toHaveLength(1);
    expect(await deliveries(taskId)).toEqual([expect.objectContaining({ attempt: 1, status_code: 410, error: 'HTTP 410', delivered: false })]);
  });

  it('does not follow a redirect: it is a failed attempt', async () => {
    const hook = await receiver((n) => (n === 0 ? { status: 302, headers: { location: '/elsewhere' } } : { status: 204 }));
    const taskId = await submitWithCallback(hook.url);
    expect(await waitForWebhookEnd(taskId)).toBe('delivered');
    expect(hook.received.map((r) => r.path)).toEqual(['/hooks/video', '/hooks/video']);
    expect(await deliveries(taskId)).toEqual([
      expect.objectContaining({ attempt: 1, status_code: 302, error: 'redirect not followed (HTTP 302 to /elsewhere)', delivered: false }),
      expect.objectContaining({ attempt: 2, status_code: 204, error: '', delivered: true }),
    ]);
  });

  it('connects to the address the callback host was checked to have, and names the host', async () => {
    const hook = await receiver();
    const url = hook.url.replace('127.0.0.1', 'receiver.test');
    const taskId = await submitWithCallback(url);
    expect(await waitForWebhookEnd(taskId)).toBe('delivered');
    expect(hook.received[0]!.headers.host).toBe(new URL(url).host);
    expect(await deliveries(taskId)).toEqual([expect.objectContaining({ url, attempt: 1, status_code: 200 })]);
  });

  it('reports a success once its video copy has ended, but waits no longer than COPY_WAIT_MS', async () => {
    const hook = await receiver();
    const processor = createWebhookProcessor({ db: ctx.db, metrics: ctx.metrics, config: ctx.config, log: pino({ level: 'silent' }), resultLink, retrySchedule: RETRY, lookup });
    const delays: number[] = [];
    const jobFor = (taskId: string) => ({ data: { taskId }, moveToDelayed: async (at: number) => void delays.push(at - Date.now()) }) as unknown as Job<TaskJobData>;
    // Their copies are over; here they are marked pending again by hand.
    const fresh = await finishedTaskPendingWebhook(hook.url);
    const stale = await finishedTaskPendingWebhook(hook.url);
    await ctx.query(`UPDATE tasks SET result_copy = 'pending' WHERE task_id = $1`, [fresh]);
    await ctx.query(`UPDATE tasks SET result_copy = 'pending', finish_time = now() - make_interval(secs => $2) WHERE task_id = $1`, [stale, COPY_WAIT_MS / 1000 + 1]);

    await expect(processor(jobFor(fresh), 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(delays).toEqual([expect.any(Number)]);
    expect(delays[0]).toBeLessThanOrEqual(1_000);
    expect(await deliveries(fresh)).toEqual([]);
    await ctx.query(`UPDATE tasks SET result_copy = 'stored' WHERE task_id = $1`, [fresh]);
    await processor(jobFor(fresh), 'token');
    expect(hook.forTask(fresh)).toHaveLength(1);

    await processor(jobFor(stale), 'token');
    expect(hook.forTask(stale)).toHaveLength(1);
    expect(delays).toHaveLength(1);
  });

  it('checks the callback URL again before each attempt', async () => {
    const hook = await receiver();
    const taskId = await finishedTaskPendingWebhook(hook.url.replace('127.0.0.1', 'unknown.test'));
    const strict = createWebhookProcessor({
      db: ctx.db,
      metrics: ctx.metrics,
      config: { ...ctx.config, WEBHOOK_ALLOW_PRIVATE_HOSTS: false },
      log: pino({ level: 'silent' }),
      resultLink,
      retrySchedule: RETRY,
      lookup,
    });
    const delays: number[] = [];
    const job = { data: { taskId }, moveToDelayed: async (at: number) => void delays.push(at - Date.now()) } as unknown as Job<TaskJobData>;
    await expect(strict(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    expect(delays).toEqual([expect.any(Number)]);
    expect(delays[0]).toBeGreaterThanOrEqual(RETRY.firstDelayMs - 50);

    await ctx.query('UPDATE tasks SET callback_url = $1 WHERE task_id = $2', [hook.url, taskId]);
    await settle(200);
    await expect(strict(job, 'token')).rejects.toBeInstanceOf(DelayedError);
    await ctx.query('UPDATE tasks SET callback_url = $1 WHERE task_id = $2', [hook.url.replace('/hooks/video', '/x').replace('http:', 'ftp:'), taskId]);
    await settle(600);
    await expect(strict(job, 'token')).resolves.toBeUndefined();

    expect(hook.received).toHaveLength(0);
    expect((await deliveries(taskId)).map((r) => [r.attempt, r.status_code, r.error])).toEqual([
      [1, null, 'callback_url host unknown.test could not be resolved (ENOTFOUND)'],
      [2, null, 'callback_url points at a loopback address (127.0.0.1); webhooks are only sent to public hosts'],
      [3, null, 'callback_url must be an http or https URL'],
    ]);
    expect(await webhookState(taskId)).toBe('failed');
  });

  it('makes each attempt once however many jobs carry the webhook', async () => {
    const extra = startWebhookWorker();
    try {
      const hook = await receiver((n) => ({ status: n === 0 ? 503 : 200, delayMs: 150 }));
      const taskId = await finishedTaskPendingWebhook(hook.url);
      const queue = ctx.queues.webhooks.queue;
      await queue.addBulk(Array.from({ length: 8 }, (_, i) => ({ name: QUEUES.webhooks.jobName, data: { taskId }, opts: { jobId: `${taskId}-copy-${i}` } })));
      expect(await waitForWebhookEnd(taskId)).toBe('delivered');
      await settle(1_000);
      expect(hook.received).toHaveLength(2);
      expect((await deliveries(taskId)).map((r) => [r.attempt, r.status_code])).toEqual([[1, 503], [2, 200]]);
    } finally {
      await extra.close();
    }
  });

  it('counts the attempts recorded before a crash, and takes an attempt left in flight for a failed one', async () => {
    const hook = await receiver();
    const earlier = await finishedTaskPendingWebhook(hook.url);
    await ctx.query(
      `INSERT INTO webhook_deliveries (task_id, url, event, attempt, status_code, error, duration_ms, delivered, created_at)
       VALUES ($1, $2, 'task.succeeded', 1, 500, 'HTTP 500', 20, false, now() - interval '10 seconds'),
              ($1, $2, 'task.succeeded', 2, 500, 'HTTP 500', 20, false, now() - interval '5 seconds')`,
      [earlier, hook.url],
    );
    const cutShort = await finishedTaskPendingWebhook(hook.url);
    await ctx.query(
      `INSERT INTO webhook_deliveries (task_id, url, event, attempt, status_code, error, duration_ms, delivered, created_at)
       VALUES ($1, $2, 'task.succeeded', 1, NULL, $3, 0, false, now() - interval '1 hour')`,
      [cutShort, hook.url, IN_FLIGHT],
    );
    await ctx.queues.webhooks.enqueue(earlier);
    await ctx.queues.webhooks.enqueue(cutShort);
    expect(await waitForWebhookEnd(earlier)).toBe('delivered');
    expect(await waitForWebhookEnd(cutShort)).toBe('delivered');
    expect((await deliveries(earlier)).map((r) => [r.attempt, r.delivered])).toEqual([[1, false], [2, false], [3, true]]);
    expect((await deliveries(cutShort)).map((r) => [r.attempt, r.error, r.delivered])).toEqual([[1, ABANDONED, false], [2, '', true]]);
    expect(hook.received).toHaveLength(2);
  });

  it('does not send a webhook it cannot sign', async () => {
    const hook = await receiver();
    const taskId = await finishedTaskPendingWebhook(hook.url);
    await ctx.query('UPDATE tasks SET key_id = NULL WHERE task_id = $1', [taskId]);
    await ctx.queues.webhooks.enqueue(taskId);
    expect(await waitForWebhookEnd(taskId)).toBe('failed');
    expect(hook.received).toHaveLength(0);
    expect(await deliveries(taskId)).toEqual([expect.objectContaining({ attempt: 1, status_code: null, error: NO_SECRET, delivered: false })]);
  });

  it('signs with the current secret after a rotation', async () => {
    const hook = await receiver();
    const rotated = await ctx.http('PATCH', `/admin/keys/${keyId}`, { token: ADMIN_TOKEN, body: { rotate_webhook_secret: true } });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.webhook_secret as string;
    expect(fresh).not.toBe(secret);
    const taskId = await finishedTaskPendingWebhook(hook.url);
    await ctx.queues.webhooks.enqueue(taskId);
    expect(await waitForWebhookEnd(taskId)).toBe('delivered');
    const [request] = hook.received;
    expect(verifyWebhook(fresh, request!.body, request!.headers)).toBe(true);
    expect(verifyWebhook(secret, request!.body, request!.headers)).toBe(false);
    secret = fresh;
  });
});

describe('claiming an attempt', () => {
  it('lets exactly one of many concurrent claimants make each attempt', async () => {
    const taskId = await finishedTaskPendingWebhook('http://127.0.0.1:9/unused');
    const policy = { maxAttempts: 3, abandonAfterMs: 60_000, retryDelayMs: () => 1_000 };
    const claim = () => claimAttempt(ctx.db, taskId, 'task.succeeded', policy);

    const first = await Promise.all(Array.from({ length: 20 }, claim));
    const attempts = first.filter((c) => c.kind === 'attempt');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, url: 'http://127.0.0.1:9/unused', secret: expect.stringMatching(/^whsec_/) });
    // The others wait for the attempt in flight.
    for (const c of first.filter((c) => c.kind !== 'attempt')) expect(c).toMatchObject({ kind: 'wait', delayMs: expect.any(Number) });

    if (attempts[0]?.kind !== 'attempt') throw new Error('unreachable');
    await finishAttempt(ctx.db, attempts[0].deliveryId, { statusCode: 500, error: 'HTTP 500', durationMs: 5, delivered: false }, null);
    // The back-off is not over yet.
    expect(await claim()).toMatchObject({ kind: 'wait' });
    await settle(1_050);
    const second = await Promise.all(Array.from({ length: 20 }, claim));
    expect(second.filter((c) => c.kind === 'attempt')).toEqual([expect.objectContaining({ attempt: 2 })]);
    const secondAttempt = second.find((c) => c.kind === 'attempt');
    if (secondAttempt?.kind !== 'attempt') throw new Error('unreachable');
    await finishAttempt(ctx.db, secondAttempt.deliveryId, { statusCode: 200, error: '', durationMs: 5, delivered: true }, 'delivered');
    expect(await claim()).toEqual({ kind: 'none' });
    expect(await webhookState(taskId)).toBe('delivered');
    expect((await deliveries(taskId)).map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('ends the webhook as failed once the attempts are used up', async () => {
    const taskId = await finishedTaskPendingWebhook('http://127.0.0.1:9/unused');
    const policy = { maxAttempts: 1, abandonAfterMs: 60_000, retryDelayMs: () => 0 };
    const claim = await claimAttempt(ctx.db, taskId, 'task.succeeded', policy);
    if (claim.kind !== 'attempt') throw new Error(`expected an attempt, got ${claim.kind}`);
    await finishAttempt(ctx.db, claim.deliveryId, { statusCode: null, error: 'ECONNREFUSED', durationMs: 1, delivered: false }, null);
    expect(await claimAttempt(ctx.db, taskId, 'task.succeeded', policy)).toEqual({ kind: 'none' });
    expect(await webhookState(taskId)).toBe('failed');
  });
});

describe('GET /admin/webhooks', () => {
  it('lists delivery attempts newest first, by task, with a cursor for more', async () => {
    const hook = await receiver((n) => (n < 2 ? { status: 500 } : { status: 200 }));
    const taskId = await submitWithCallback(hook.url);
    expect(await waitForWebhookEnd(taskId)).toBe('delivered');
    const admin = (path: string) => ctx.http('GET', path, { token: ADMIN_TOKEN });

    const first = await admin(`/admin/webhooks?task_id=${taskId}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([
      { id: expect.any(String), task_id: taskId, url: hook.url, event: 'task.succeeded', attempt: 3, status_code: 200, error: '', duration_ms: expect.any(Number), delivered: true, created_at: expect.any(Number) },
      expect.objectContaining({ attempt: 2, status_code: 500, error: 'HTTP 500', delivered: false }),
    ]);
    expect(first.body.next_cursor).toBe(first.body.data[1].id);
    const second = await admin(`/admin/webhooks?task_id=${taskId}&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((d: { attempt: number }) => d.attempt)).toEqual([1]);
    expect(second.body.next_cursor).toBeNull();

    const all = await admin('/admin/webhooks?limit=1000');
    const ids = all.body.data.map((d: { id: string }) => BigInt(d.id));
    expect(ids).toEqual([...ids].sort((a: bigint, b: bigint) => (a > b ? -1 : 1)));
    expect(all.body.data.length).toBeGreaterThan(3);

    expect((await admin('/admin/webhooks?limit=1001')).status).toBe(400);
    expect((await admin('/admin/webhooks?cursor=abc')).status).toBe(400);
    expect((await ctx.http('GET', '/admin/webhooks')).status).toBe(401);
  });
});
