// A few hundred mixed tasks from several customers, every outcome the upstream can produce: when
// all are final, every balance is exactly start − charged + refunded, and the worker never made
// the upstream throttle it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';

let ctx: GatewayContext;

beforeAll(async () => {
  // Tight upstream limits, so the worker's own pacing is what keeps it from being throttled.
  ctx = await createGatewayContext({
    simulator: { submitQps: 20, queryQps: 40 },
    env: { LOG_LEVEL: 'error', CHANNEL_SUBMIT_QPS: '20', CHANNEL_QUERY_QPS: '40', POLL_INTERVAL_MS: '300' },
  });
});
afterAll(() => ctx.close());

const START = 200_000_000;
const withPrompt = (body: { prompt: string }, directives: string) => ({ ...body, prompt: `${directives} ${body.prompt}` });

// [body, expected final status]
const MIX: [unknown, 'SUCCESS' | 'FAILURE'][] = [
  [specExamples.t2v, 'SUCCESS'],
  [{ ...specExamples.t2v, resolution: '1080P', duration: 10 }, 'SUCCESS'],
  [specExamples.i2v, 'SUCCESS'],
  [specExamples.r2v, 'SUCCESS'],
  [specExamples.videoedit, 'SUCCESS'],
  [withPrompt(specExamples.t2v, '[sim:flaky=1]'), 'SUCCESS'],
  [withPrompt(specExamples.t2v, '[sim:fail=DataInspectionFailed]'), 'FAILURE'],
  [withPrompt(specExamples.videoedit, '[sim:fail]'), 'FAILURE'],
  [withPrompt(specExamples.r2v, '[sim:reject=400:InvalidParameter]'), 'FAILURE'],
  [withPrompt(specExamples.t2v, '[sim:unknown]'), 'FAILURE'],
];

describe('the books over 300 mixed tasks', () => {
  const customers: Customer[] = [];
  const tasks: { taskId: string; customer: Customer; expected: string; submits: number }[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) customers.push(await createCustomer(ctx.http, START));
    const submits = Array.from({ length: 300 }, (_, i) => {
      const [body, expected] = MIX[i % MIX.length]!;
      // Different prompts per task, so [sim:flaky] counts each task on its own.
      const unique = { ...(body as { prompt: string }), prompt: `${(body as { prompt: string }).prompt} #${i}` };
      const customer = customers[i % customers.length]!;
      // [sim:flaky=1] refuses the first submit: those tasks are sent twice, every other once.
      const submits = unique.prompt.includes('[sim:flaky=1]') ? 2 : 1;
      return submit(ctx, customer.key, unique).then((taskId) => tasks.push({ taskId, customer, expected, submits }));
    });
    await Promise.all(submits);
  }, 60_000);

  it('ends every task as its upstream outcome says', async () => {
    const finals = await Promise.all(tasks.map((t) => waitForFinal(ctx, t.customer.key, t.taskId, 90_000)));
    for (const [i, task] of finals.entries()) expect(task.status, task.fail_reason).toBe(tasks[i]!.expected);
  }, 120_000);

  it('balances every account exactly: start − charged + refunded = balance', async () => {
    for (const customer of customers) {
      let charged = 0;
      let refunded = 0;
      let cursor: string | null = null;
      do {
        const page: { body: { data: { type: number; quota: number }[]; next_cursor: string | null } } = await ctx.http(
          'GET',
          `/admin/logs?user_id=${customer.userId}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
          { token: ADMIN_TOKEN },
        );
        for (const log of page.body.data) {
          if (log.type === 2) charged += log.quota;
          if (log.type === 6) refunded += log.quota;
        }
        cursor = page.body.next_cursor;
      } while (cursor);
      const balance = await balanceOf(ctx.http, customer.userId);
      expect(START - charged + refunded).toBe(balance.quota);
      expect(charged - refunded).toBe(balance.used_quota);
      const tasksCost = await ctx.db.selectFrom('tasks').select((eb) => eb.fn.sum<bigint>('quota').as('sum')).where('userId', '=', customer.userId).executeTakeFirstOrThrow();
      expect(Number(tasksCost.sum)).toBe(charged - refunded);
    }
  });

  it('refunded each failed task once and in full, and charged each success its price', async () => {
    const ids = tasks.map((t) => t.taskId);
    const rows = await ctx.db.selectFrom('tasks').selectAll().where('taskId', 'in', ids).execute();
    const refunds = await ctx.db
      .selectFrom('logs')
      .select((eb) => ['taskId', eb.fn.countAll<bigint>().as('count')])
      .where('type', '=', 6)
      .where('taskId', 'in', ids)
      .groupBy('taskId')
      .execute();
    expect(refunds.every((r) => r.count === 1n)).toBe(true);
    const refunded = new Set(refunds.map((r) => r.taskId));
    for (const row of rows) {
      if (row.status === 'FAILURE') {
        expect(row.quota).toBe(0n);
        expect(refunded.has(row.taskId)).toBe(true);
      } else if (row.model === 'wan2.7-videoedit') {
        expect(refunded.has(row.taskId)).toBe(true);
        expect(row.quota).toBeLessThan(750_000n);
      } else {
        expect(refunded.has(row.taskId)).toBe(false);
      }
    }
  });

  // With 300 tasks behind a budget of 20 submits a second, most tasks wait for room several times
  // before their request leaves. Counting those waits as attempts made the flaky ones back off for
  // a minute after one refusal, and finish past this file's deadline.
  it('counts as attempts only the submits that reached the upstream', async () => {
    const rows = await ctx.db.selectFrom('tasks').select(['taskId', 'attempts']).where('taskId', 'in', tasks.map((t) => t.taskId)).execute();
    const attempts = new Map(rows.map((r) => [r.taskId, r.attempts]));
    for (const task of tasks) expect(attempts.get(task.taskId), task.taskId).toBe(task.submits);
    expect(ctx.simulator.stats().submit.requests).toBe(tasks.reduce((sum, t) => sum + t.submits, 0));
  });

  it('never made the upstream throttle it', () => {
    const stats = ctx.simulator.stats();
    expect(stats.submit.throttled).toBe(0);
    expect(stats.query.throttled).toBe(0);
    expect(stats.submit.peakPerSecond).toBeLessThanOrEqual(20);
    expect(stats.query.peakPerSecond).toBeLessThanOrEqual(40);
    expect(stats.submit.requests).toBeGreaterThanOrEqual(300);
  });
});
