// Settling a task moves money exactly once, however many settlements race for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleTask, type Settlement } from '../../src/lifecycle/settlement.ts';
import { ADMIN_TOKEN, createTestContext, type TestContext } from '../helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { keyRow, taskRow } from '../helpers/rows.ts';

let ctx: TestContext;
let customer: Customer;
const START = 100_000_000;

beforeAll(async () => {
  ctx = await createTestContext();
  customer = await createCustomer(ctx.http, START);
});
afterAll(() => ctx.close());

async function submitted(body: unknown = specExamples.t2v) {
  const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body });
  expect(res.status).toBe(200);
  return taskRow(ctx.db, res.body.id);
}

const failure: Settlement = { status: 'FAILURE', failReason: 'DataInspectionFailed: nope', resultUrl: '', data: { output: { task_status: 'FAILED' } }, finalQuota: 0n, refundNote: 'refund' };
const success = (finalQuota: bigint): Settlement => ({ status: 'SUCCESS', failReason: '', resultUrl: 'https://cdn.test/v.mp4', data: null, finalQuota, refundNote: 'settled' });

const refundLogs = async (taskId: string) =>
  (await ctx.http('GET', `/admin/logs?task_id=${taskId}&type=6`, { token: ADMIN_TOKEN })).body.data as { quota: number }[];

describe('settleTask', () => {
  it('refunds a failed task once when twenty settlements race', async () => {
    const before = await balanceOf(ctx.http, customer.userId);
    const task = await submitted();
    const results = await Promise.all(Array.from({ length: 20 }, () => settleTask(ctx.db, task.id, failure)));
    expect(results.filter((r) => r !== null).map((r) => r?.refunded)).toEqual([250_000n]);
    expect(await refundLogs(task.taskId)).toEqual([expect.objectContaining({ quota: 250_000, user_id: customer.userId, key_id: customer.keyId })]);
    expect(await balanceOf(ctx.http, customer.userId)).toEqual(before);
    const row = await taskRow(ctx.db, task.taskId);
    expect(row).toMatchObject({ status: 'FAILURE', failReason: 'DataInspectionFailed: nope', progress: 100, quota: 0n });
    expect(row.finishTime).not.toBeNull();
    const key = await keyRow(ctx.db, customer.keyId);
    expect(key.quotaUsed).toBe(BigInt(START - before.quota));
  });

  it('lets exactly one of a success and a failure win', async () => {
    const task = await submitted();
    const [a, b] = await Promise.all([settleTask(ctx.db, task.id, success(task.quota)), settleTask(ctx.db, task.id, failure)]);
    expect([a, b].filter((r) => r !== null)).toHaveLength(1);
    const row = await taskRow(ctx.db, task.taskId);
    const refunds = await refundLogs(task.taskId);
    if (row.status === 'SUCCESS') {
      expect(refunds).toEqual([]);
      expect(row.quota).toBe(250_000n);
    } else {
      expect(refunds).toHaveLength(1);
      expect(row.quota).toBe(0n);
    }
  });

  it('refunds only the difference when a task costs less than it was charged (videoedit)', async () => {
    const before = await balanceOf(ctx.http, customer.userId);
    const task = await submitted(specExamples.videoedit);
    expect(task.quota).toBe(750_000n);
    expect((await settleTask(ctx.db, task.id, success(251_000n)))?.refunded).toBe(499_000n);
    expect(await refundLogs(task.taskId)).toEqual([expect.objectContaining({ quota: 499_000 })]);
    const after = await balanceOf(ctx.http, customer.userId);
    expect(before.quota - after.quota).toBe(251_000);
    expect(after.used_quota - before.used_quota).toBe(251_000);
    expect((await taskRow(ctx.db, task.taskId)).quota).toBe(251_000n);
  });

  it('never charges more than was charged at submit', async () => {
    const task = await submitted();
    expect((await settleTask(ctx.db, task.id, success(9_999_999n)))?.refunded).toBe(0n);
    expect(await refundLogs(task.taskId)).toEqual([]);
    expect((await taskRow(ctx.db, task.taskId)).quota).toBe(250_000n);
  });

  it('does nothing to a task that is already final', async () => {
    const task = await submitted();
    await settleTask(ctx.db, task.id, success(task.quota));
    const balance = await balanceOf(ctx.http, customer.userId);
    expect(await settleTask(ctx.db, task.id, failure)).toBeNull();
    expect(await balanceOf(ctx.http, customer.userId)).toEqual(balance);
    expect((await taskRow(ctx.db, task.taskId)).status).toBe('SUCCESS');
  });

  it('is stopped by the unique refund key even if a refund log already exists', async () => {
    const task = await submitted();
    await ctx.db.insertInto('logs').values({ type: 6, userId: customer.userId, taskId: task.taskId, quota: 1n, dedupeKey: `refund:${task.taskId}` }).execute();
    const balance = await balanceOf(ctx.http, customer.userId);
    await settleTask(ctx.db, task.id, failure);
    expect(await balanceOf(ctx.http, customer.userId)).toEqual(balance);
    expect(await refundLogs(task.taskId)).toHaveLength(1);
  });
});
