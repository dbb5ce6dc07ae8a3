// Operator work against the whole gateway (API, worker, DashScope simulator): ending stuck tasks
// exactly once against a racing worker, price changes and running tasks, channels that heal and
// channels at their max_inflight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSimulator, type Simulator } from '../../src/simulator/app.ts';
import { balanceOf, createCustomer, specExamples } from '../helpers/factories.ts';
import { FAST_SIMULATOR, createGatewayContext, type GatewayContext, SIM_KEY, submit, waitForFinal } from '../helpers/gateway.ts';
import { freePort } from '../helpers/free-port.ts';
import { until } from '../helpers/until.ts';
import { asAdmin } from './helpers.ts';

let ctx: GatewayContext;
let admin: ReturnType<typeof asAdmin>;

beforeAll(async () => {
  // Tasks stay PENDING upstream for 1.5 s: long enough to be cancelled there, short enough to race.
  ctx = await createGatewayContext({ simulator: { pendingMs: 1_500 }, env: { CHANNEL_RETEST_MIN_S: '1', CHANNEL_RETEST_MAX_S: '2' } });
  admin = asAdmin(ctx);
}, 30_000);
afterAll(() => ctx?.close());

const taskRow = async (taskId: string) => (await ctx.query('SELECT * FROM tasks WHERE task_id = $1', [taskId])).rows[0];
const whenStatus = (taskId: string, statuses: string[]) =>
  until(async () => {
    const row = await taskRow(taskId);
    return statuses.includes(row.status) ? row : undefined;
  }, `${taskId} in ${statuses.join('/')}`);

describe('failing a stuck task', () => {
  it('cancels it upstream while PENDING there, ends it FAILURE and refunds it in full', async () => {
    const customer = await createCustomer(ctx.http, 10_000_000);
    const taskId = await submit(ctx, customer.key, specExamples.t2v);
    const queued = await whenStatus(taskId, ['QUEUED']);
    const res = await admin('POST', `/admin/tasks/${taskId}/fail`, { reason: 'customer asked' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'FAILURE', fail_reason: 'Operator: customer asked', refunded: 250_000 });
    const upstream = await fetch(`${ctx.simulatorUrl}/api/v1/tasks/${queued.upstream_task_id}`, { headers: { authorization: `Bearer ${SIM_KEY}` } });
    expect(((await upstream.json()) as { output: { task_status: string } }).output.task_status).toBe('CANCELED');
    expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: 10_000_000, used_quota: 0 });
    const audit = (await admin('GET', `/admin/audit?target_type=task&target_id=${taskId}`)).body.data;
    expect(audit).toEqual([expect.objectContaining({ action: 'task.fail', before: expect.objectContaining({ status: 'QUEUED' }), after: expect.objectContaining({ status: 'FAILURE' }) })]);
  });

  it('ends each task exactly once while the worker races to finish it, and the books stay exact', async () => {
    const start = 100_000_000;
    const customer = await createCustomer(ctx.http, start);
    const tasks = await Promise.all(Array.from({ length: 16 }, (_, i) => submit(ctx, customer.key, { ...specExamples.t2v, prompt: `race ${i}` })));
    await Promise.all(tasks.map((t) => whenStatus(t, ['QUEUED', 'IN_PROGRESS', 'SUCCESS'])));
    // Spread over the moments the worker finishes them (PENDING 1.5 s, then RUNNING 0.3 s).
    const answers = await Promise.all(
      tasks.map(async (taskId, i) => {
        await new Promise((r) => setTimeout(r, 1_000 + i * 80));
        return admin('POST', `/admin/tasks/${taskId}/fail`, { reason: 'race' });
      }),
    );
    const finals = await Promise.all(tasks.map((t) => waitForFinal(ctx, customer.key, t)));
    let refundedByOperator = 0;
    for (const [i, answer] of answers.entries()) {
      const final = finals[i]!;
      if (answer.status === 200) {
        refundedByOperator++;
        expect(final).toMatchObject({ status: 'FAILURE', fail_reason: 'Operator: race', quota: 0 });
      } else {
        expect(answer.status).toBe(409);
        expect(final.status).toBe('SUCCESS');
      }
    }
    // Both outcomes happened, or the race was not a race.
    expect(refundedByOperator).toBeGreaterThan(0);
    expect(refundedByOperator).toBeLessThan(tasks.length);
    const { rows } = await ctx.query(
      `SELECT coalesce(sum(quota) FILTER (WHERE type = 2), 0)::bigint AS charged, coalesce(sum(quota) FILTER (WHERE type = 6), 0)::bigint AS refunded,
              count(*) FILTER (WHERE type = 6)::int AS refunds, count(DISTINCT task_id) FILTER (WHERE type = 6)::int AS refunded_tasks
         FROM logs WHERE user_id = $1`,
      [customer.userId],
    );
    const books = rows[0];
    expect(books.refunds).toBe(refundedByOperator);
    expect(books.refunded_tasks).toBe(refundedByOperator);
    const balance = await balanceOf(ctx.http, customer.userId);
    expect(balance.quota).toBe(start - Number(books.charged) + Number(books.refunded));
    expect(balance.used_quota).toBe(Number(books.charged) - Number(books.refunded));
    const usage = (await admin('GET', `/admin/usage?user_id=${customer.userId}`)).body.data[0];
    expect(usage).toMatchObject({ tasks: 16, succeeded: 16 - refundedByOperator, failed: refundedByOperator, quota_net: balance.used_quota, seconds: (16 - refundedByOperator) * 5 });
  }, 30_000);
});

describe('prices', () => {
  it('leaves a running task at the price it was charged', async () => {
    const customer = await createCustomer(ctx.http, 10_000_000);
    const taskId = await submit(ctx, customer.key, { ...specExamples.t2v, prompt: '[sim:ms=2000] a cat' });
    await whenStatus(taskId, ['QUEUED', 'IN_PROGRESS']);
    expect((await admin('PATCH', '/admin/models/wan2.7-t2v', { price: 0.3 })).status).toBe(200);
    try {
      const final = await waitForFinal(ctx, customer.key, taskId);
      expect(final).toMatchObject({ status: 'SUCCESS', quota: 250_000 });
      expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: 9_750_000, used_quota: 250_000 });
      const next = await submit(ctx, customer.key, specExamples.t2v);
      expect((await taskRow(next)).quota).toBe('750000');
    } finally {
      await admin('PATCH', '/admin/models/wan2.7-t2v', { price: 0.1 });
    }
  });
});

describe('channels', () => {
  let recovering: Simulator | undefined;
  afterAll(async () => {
    await recovering?.app.close();
  });

  it('tests a channel with one authenticated call', async () => {
    const good = (await admin('GET', '/admin/channels')).body.data.find((c: any) => c.name === 'simulator');
    expect((await admin('POST', `/admin/channels/${good.id}/test`)).body).toMatchObject({ ok: true, error: null, latency_ms: expect.any(Number) });
    const bad = (await admin('POST', '/admin/channels', { name: 'wrong key', base_url: ctx.simulatorUrl, api_key: 'sk-wrong-key-000', priority: -10 })).body;
    expect((await admin('POST', `/admin/channels/${bad.id}/test`)).body).toMatchObject({ ok: false, error: expect.stringMatching(/^InvalidApiKey/) });
    expect((await admin('DELETE', `/admin/channels/${bad.id}`)).status).toBe(204);
  });

  it('re-enables a channel the worker disabled once its key works again, and says so in the audit log', async () => {
    // An account the upstream refuses (another simulator, which knows another key)...
    const port = await freePort();
    const refusing = await buildSimulator({ ...FAST_SIMULATOR, apiKey: 'sk-someone-else', publicUrl: () => `http://127.0.0.1:${port}` });
    await refusing.app.listen({ port, host: '127.0.0.1' });
    const channel = (await admin('POST', '/admin/channels', { name: 'arrears', base_url: `http://127.0.0.1:${port}`, api_key: SIM_KEY, priority: 100 })).body;
    const customer = await createCustomer(ctx.http, 10_000_000);
    // ...is taken out of rotation by the first task sent to it, which moves on to the other channel.
    const taskId = await submit(ctx, customer.key, specExamples.t2v);
    const disabled = await until(async () => {
      const row = (await admin('GET', `/admin/channels/${channel.id}`)).body;
      return row.status === 'auto_disabled' ? row : undefined;
    }, 'the channel auto-disabled');
    expect(disabled.status_reason).toMatch(/InvalidApiKey/);
    expect((await waitForFinal(ctx, customer.key, taskId)).status).toBe('SUCCESS');
    const system = (await admin('GET', '/admin/system')).body.channels.find((c: any) => c.id === channel.id);
    expect(system.last_error).toMatch(/InvalidApiKey/);

    // The account works again (its key was re-activated): the worker's next re-test enables it.
    await refusing.app.close();
    recovering = await buildSimulator({ ...FAST_SIMULATOR, publicUrl: () => `http://127.0.0.1:${port}` });
    await recovering.app.listen({ port, host: '127.0.0.1' });
    await until(
      async () => ((await admin('GET', `/admin/channels/${channel.id}`)).body.status === 'enabled' ? true : undefined),
      'the worker re-enabling the channel',
      { timeoutMs: 20_000 },
    );
    const audit = (await admin('GET', `/admin/audit?action=channel.auto_enable&target_id=${channel.id}`)).body.data;
    expect(audit).toEqual([expect.objectContaining({ actor: { token_id: null, name: 'worker (channel re-test)' }, target_type: 'channel' })]);
    await admin('PATCH', `/admin/channels/${channel.id}`, { status: 'disabled' });
  }, 40_000);

  it('re-enables an auto-disabled channel on an operator\'s word', async () => {
    const channel = (await admin('POST', '/admin/channels', { name: 'manual', base_url: ctx.simulatorUrl, api_key: SIM_KEY, priority: -5 })).body;
    await ctx.query(`UPDATE channels SET status = 'auto_disabled', status_reason = 'Arrearage: pay up' WHERE id = $1`, [channel.id]);
    const res = await admin('PATCH', `/admin/channels/${channel.id}`, { status: 'enabled' });
    expect(res.body).toMatchObject({ status: 'enabled', status_reason: '', retest_at: null });
    expect((await admin('GET', `/admin/audit?action=channel.enable&target_id=${channel.id}`)).body.data[0].before.status).toBe('auto_disabled');
    await admin('DELETE', `/admin/channels/${channel.id}`);
  });

  it('keeps a channel at its max_inflight across workers: the other tasks wait, and all end', async () => {
    const primary = (await admin('GET', '/admin/channels?status=enabled')).body.data.find((c: any) => c.name === 'simulator');
    await admin('PATCH', `/admin/channels/${primary.id}`, { max_inflight: 2 });
    await ctx.startWorker();
    const customer = await createCustomer(ctx.http, 10_000_000);
    try {
      const tasks = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => submit(ctx, customer.key, { ...specExamples.t2v, prompt: `[sim:ms=800] slot ${i}` })));
      let most = 0;
      const deadline = Date.now() + 4_000;
      while (Date.now() < deadline) {
        const { rows } = await ctx.query(
          `SELECT count(*)::int AS n FROM tasks WHERE task_id = ANY($1) AND (status IN ('QUEUED', 'IN_PROGRESS') OR (status = 'NOT_START' AND submit_started_at IS NOT NULL))`,
          [tasks],
        );
        most = Math.max(most, rows[0].n);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(most).toBe(2);
      for (const task of tasks) expect((await waitForFinal(ctx, customer.key, task, 30_000)).status).toBe('SUCCESS');
    } finally {
      await admin('PATCH', `/admin/channels/${primary.id}`, { max_inflight: null });
    }
  }, 60_000);
});

