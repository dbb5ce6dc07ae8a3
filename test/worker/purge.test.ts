// The hourly purge: webhook delivery attempts are kept WEBHOOK_RETENTION_DAYS, except those of a
// webhook still being sent (its attempts count towards WEBHOOK_MAX_ATTEMPTS); uploads and
// idempotency keys go as before; the books (logs, tasks) are never purged.
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { purge } from '../../src/worker/purge.ts';
import { workerSettings } from '../../src/worker/settings.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createCustomer, specExamples } from '../helpers/factories.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ WEBHOOK_RETENTION_DAYS: '7' });
});
afterAll(() => ctx.close());

async function taskWithWebhook(state: string, daysAgo = 0): Promise<string> {
  const customer = await createCustomer(ctx.http, 10_000_000);
  const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples.t2v });
  expect(res.status).toBe(200);
  await ctx.query(`UPDATE tasks SET callback_url = 'https://hooks.test/x' WHERE task_id = $1`, [res.body.id]);
  await ctx.query(
    `INSERT INTO task_webhooks (task_id, event, state, created_at) VALUES ($1, 'task.succeeded', $2::webhook_state, now() - make_interval(days => $3))`,
    [res.body.id, state, daysAgo],
  );
  return res.body.id;
}

const webhooksOf = async (taskId: string) => (await ctx.query('SELECT count(*)::int AS n FROM task_webhooks WHERE task_id = $1', [taskId])).rows[0].n;

async function attempt(taskId: string, daysAgo: number): Promise<void> {
  await ctx.query(
    `INSERT INTO webhook_deliveries (task_id, url, event, attempt, status_code, error, duration_ms, delivered, created_at)
     VALUES ($1, 'https://hooks.test/x', 'task.succeeded', 1, 500, 'HTTP 500', 10, false, now() - make_interval(days => $2))`,
    [taskId, daysAgo],
  );
}

const attemptsOf = async (taskId: string) => (await ctx.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE task_id = $1', [taskId])).rows[0].n;

it('deletes webhook attempts older than WEBHOOK_RETENTION_DAYS, but not those of a webhook still being sent, nor any log', async () => {
  const delivered = await taskWithWebhook('delivered');
  const failed = await taskWithWebhook('failed');
  const pending = await taskWithWebhook('pending');
  for (const taskId of [delivered, failed, pending]) {
    await attempt(taskId, 8);
    await attempt(taskId, 6);
  }
  const logsBefore = (await ctx.query('SELECT count(*)::int AS n FROM logs')).rows[0].n;

  const report = await purge({ db: ctx.db, storage: ctx.storage, config: ctx.config, settings: workerSettings(ctx.config), log: pino({ level: 'silent' }) });
  expect(report.webhookDeliveries).toBe(2);
  expect(await attemptsOf(delivered)).toBe(1);
  expect(await attemptsOf(failed)).toBe(1);
  expect(await attemptsOf(pending)).toBe(2);
  expect((await ctx.query('SELECT count(*)::int AS n FROM logs')).rows[0].n).toBe(logsBefore);
});

it('deletes settled webhooks older than WEBHOOK_RETENTION_DAYS, never one still to send', async () => {
  const old = await taskWithWebhook('delivered', 8);
  const oldPending = await taskWithWebhook('pending', 8);
  const recent = await taskWithWebhook('failed', 6);
  await purge({ db: ctx.db, storage: ctx.storage, config: ctx.config, settings: workerSettings(ctx.config), log: pino({ level: 'silent' }) });
  expect(await webhooksOf(old)).toBe(0);
  expect(await webhooksOf(oldPending)).toBe(1);
  expect(await webhooksOf(recent)).toBe(1);
});
