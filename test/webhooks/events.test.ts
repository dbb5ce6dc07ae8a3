// Webhook events: a request (or its key, by default) chooses which of a task's moves reach its
// callback URL; each event is its own signed webhook, delivered once, with its own state.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webhookEventId } from '../../src/webhooks/payload.ts';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { createUser, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';
import { type Receiver, startReceiver } from './receiver.ts';
import { verifyWebhook } from './verify-webhook.ts';

let ctx: GatewayContext;
let key: string;
let keyId: number;
let secret: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  ctx = await createGatewayContext({ env: { WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true' } });
  const user = await createUser(ctx.http, { quota: 100_000_000 });
  const res = await ctx.http('POST', '/admin/keys', { token: ADMIN_TOKEN, body: { user_id: user.id } });
  expect(res.status).toBe(201);
  ({ key, id: keyId, webhook_secret: secret } = res.body);
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});
afterAll(async () => {
  await ctx?.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

// Long enough upstream that the worker sees the task PENDING and RUNNING before it ends.
const slow = (extra = '') => ({ ...specExamples.t2v, prompt: `${specExamples.t2v.prompt} [sim:ms=1500] ${extra}`.trim() });

const statesOf = async (taskId: string) =>
  (await ctx.query<{ event: string; state: string }>('SELECT event, state::text AS state FROM task_webhooks WHERE task_id = $1 ORDER BY event', [taskId])).rows;

/** Waits until the receiver has `count` webhooks of the task and every event row is settled. */
async function delivered(hook: Receiver, taskId: string, count: number) {
  await until(async () => {
    const states = await statesOf(taskId);
    return hook.forTask(taskId).length >= count && states.length === count && states.every((s) => s.state === 'delivered') ? true : undefined;
  }, `${count} webhooks of ${taskId}`);
  await new Promise((r) => setTimeout(r, 300));
  return hook.forTask(taskId).map((r) => ({ ...r, payload: JSON.parse(r.body) as { id: string; type: string; created_at: number; data: { status: string } } }));
}

describe('webhook events', () => {
  it('reports each event a request asks for, once, signed, in the order the task moved', async () => {
    const hook = await receiver();
    const taskId = await submit(ctx, key, { ...slow(), callback_url: hook.url, webhook_events: ['task.queued', 'task.in_progress', 'task.succeeded'] });
    expect((await waitForFinal(ctx, key, taskId)).status).toBe('SUCCESS');
    const got = await delivered(hook, taskId, 3);
    expect(got.map((r) => r.payload.type).sort()).toEqual(['task.in_progress', 'task.queued', 'task.succeeded']);
    for (const r of got) {
      expect(verifyWebhook(secret, r.body, r.headers)).toBe(true);
      expect(r.headers['webhook-id']).toBe(webhookEventId(taskId, r.payload.type as 'task.queued'));
      expect(r.payload.id).toBe(r.headers['webhook-id']);
    }
    // Each event's time is when the task moved, in order.
    const at = Object.fromEntries(got.map((r) => [r.payload.type, r.payload.created_at]));
    expect(at['task.queued']!).toBeLessThanOrEqual(at['task.in_progress']!);
    expect(at['task.in_progress']!).toBeLessThanOrEqual(at['task.succeeded']!);
    expect(got.find((r) => r.payload.type === 'task.succeeded')!.payload.data.status).toBe('SUCCESS');
  });

  it("uses the key's events when the request names none, and only the end when neither does", async () => {
    const hook = await receiver();
    const patched = await ctx.http('PATCH', `/admin/keys/${keyId}`, { token: ADMIN_TOKEN, body: { webhook_events: ['task.in_progress', 'task.failed'] } });
    expect(patched.status).toBe(200);
    expect(patched.body.webhook_events).toEqual(['task.in_progress', 'task.failed']);
    try {
      // The key's cached identity is refreshed on every instance at once.
      await new Promise((r) => setTimeout(r, 200));
      const failing = await submit(ctx, key, { ...slow('[sim:fail=InternalError]'), callback_url: hook.url });
      expect((await waitForFinal(ctx, key, failing)).status).toBe('FAILURE');
      const got = await delivered(hook, failing, 2);
      expect(got.map((r) => r.payload.type).sort()).toEqual(['task.failed', 'task.in_progress']);
    } finally {
      const reset = await ctx.http('PATCH', `/admin/keys/${keyId}`, { token: ADMIN_TOKEN, body: { webhook_events: ['task.succeeded', 'task.failed'] } });
      expect(reset.status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 200));
    const plain = await submit(ctx, key, { ...slow(), callback_url: hook.url });
    await waitForFinal(ctx, key, plain);
    const got = await delivered(hook, plain, 1);
    expect(got.map((r) => r.payload.type)).toEqual(['task.succeeded']);
  });

  it('sends an event whose job was lost (a crash after the move, Redis emptied) once the reconciler passes', async () => {
    const hook = await receiver();
    const taskId = await submit(ctx, key, { ...slow(), callback_url: hook.url, webhook_events: ['task.in_progress', 'task.succeeded'] });
    await waitForFinal(ctx, key, taskId);
    await delivered(hook, taskId, 2);
    // The move to IN_PROGRESS written down, its job never queued.
    await ctx.query(`DELETE FROM webhook_deliveries WHERE task_id = $1 AND event = 'task.in_progress'`, [taskId]);
    await ctx.query(`UPDATE task_webhooks SET state = 'pending' WHERE task_id = $1 AND event = 'task.in_progress'`, [taskId]);
    const received = hook.forTask(taskId).length;
    await ctx.worker.reconcileNow();
    await until(async () => (hook.forTask(taskId).length > received ? true : undefined), 'the revived webhook');
    expect(JSON.parse(hook.forTask(taskId).at(-1)!.body).type).toBe('task.in_progress');
  });

  it('records no event without a callback URL', async () => {
    const taskId = await submit(ctx, key, { ...slow(), webhook_events: ['task.queued', 'task.succeeded'] });
    await waitForFinal(ctx, key, taskId);
    expect(await statesOf(taskId)).toEqual([]);
  });

  it('refuses an unknown or empty event list with a 400 that names the events, charging nothing', async () => {
    const tasksOfKey = async () => (await ctx.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE key_id = $1', [keyId])).rows[0]!.n;
    const before = await tasksOfKey();
    for (const webhook_events of [['task.started'], [], 'task.queued']) {
      const res = await ctx.http('POST', '/v1/video/generations', { token: key, body: { ...specExamples.t2v, webhook_events } });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/webhook_events/);
    }
    const videos = await ctx.http('POST', '/v1/videos', { token: key, body: { model: 'wan2.7-t2v', prompt: 'a cat', webhook_events: ['task.finished'] } });
    expect(videos.status).toBe(400);
    expect(videos.body.error.message).toMatch(/task\.queued.*task\.in_progress.*task\.succeeded.*task\.failed/);
    expect(await tasksOfKey()).toBe(before);
  });
});
