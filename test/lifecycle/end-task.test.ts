// Ending an unfinished task from outside (client cancel, operator force-fail, timeout): once, with a
// full refund, cancelled upstream while DashScope still allows it, whatever races it.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endTask, type EndTaskDeps } from '../../src/lifecycle/end-task.ts';
import { settleObserved } from '../../src/lifecycle/settlement.ts';
import { findTask, type TaskRow } from '../../src/modules/tasks/tasks.repository.ts';
import { DashScopeClient } from '../../src/upstream/dashscope-client.ts';
import { ChannelDirectory } from '../../src/worker/channels.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, SIM_KEY, submit, waitForFinal } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';

let ctx: GatewayContext;
let deps: EndTaskDeps;

beforeAll(async () => {
  // Tasks stay PENDING upstream for 2 s, long enough to be cancelled there.
  ctx = await createGatewayContext({ simulator: { pendingMs: 2_000 } });
  const channels = new ChannelDirectory(ctx.db, ctx.bus, 60_000, ctx.secrets);
  deps = { db: ctx.db, channel: (id) => channels.get(id), upstream: new DashScopeClient({ timeoutMs: 5_000, metrics: ctx.metrics }), queues: ctx.queues, metrics: ctx.metrics, log: pino({ level: 'silent' }) };
});
afterAll(async () => {
  await ctx?.close();
});

const rowOf = async (taskId: string): Promise<TaskRow> => (await findTask(ctx.db, taskId))!;
const upstreamStatus = async (row: TaskRow): Promise<string> => {
  const res = await fetch(`${ctx.simulatorUrl}/api/v1/tasks/${row.upstreamTaskId}`, { headers: { authorization: `Bearer ${SIM_KEY}` } });
  return ((await res.json()) as { output: { task_status: string } }).output.task_status;
};
const whenStatus = (taskId: string, status: string) =>
  until(async () => {
    const row = await rowOf(taskId);
    return row.status === status ? row : undefined;
  }, `${taskId} ${status}`);

describe('ending a task', () => {
  let customer: Customer;
  beforeAll(async () => {
    customer = await createCustomer(ctx.http, 100_000_000);
  });

  it('cancels a task PENDING upstream: cancelled there, FAILURE here, refunded once', async () => {
    const taskId = await submit(ctx, customer.key, specExamples.t2v);
    const queued = await whenStatus(taskId, 'QUEUED');
    const outcome = await endTask(deps, queued, 'cancel', 'Canceled: canceled by the client');
    expect(outcome).toMatchObject({ ended: true, refunded: 250_000n, task: { status: 'FAILURE', failReason: 'Canceled: canceled by the client', quota: 0n } });
    expect(await upstreamStatus(queued)).toBe('CANCELED');
    expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: 100_000_000, used_quota: 0 });
    // A second cancel changes nothing.
    expect(await endTask(deps, await rowOf(taskId), 'cancel', 'Canceled: again')).toMatchObject({ ended: false, why: 'final' });
    expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: 100_000_000, used_quota: 0 });
  });

  it('answers a cancel as done when a worker saw the upstream CANCELED and settled the task first', async () => {
    const taskId = await submit(ctx, customer.key, specExamples.t2v);
    const queued = await whenStatus(taskId, 'QUEUED');
    // The upstream cancel succeeds, and before this call settles, a worker's poll sees CANCELED
    // there and settles the task itself, as the worker does.
    const racing: EndTaskDeps = {
      ...deps,
      upstream: {
        async cancel(channel, upstreamTaskId) {
          const outcome = await deps.upstream.cancel(channel, upstreamTaskId);
          await settleObserved(deps, queued, {
            status: 'FAILURE', failReason: 'Canceled: the task was canceled upstream', resultUrl: '', data: null, finalQuota: 0n, refundNote: 'refund: canceled upstream',
          });
          return outcome;
        },
      },
    };
    const outcome = await endTask(racing, queued, 'cancel', 'Canceled: canceled by the client');
    expect(outcome).toMatchObject({ ended: true, refunded: 250_000n, task: { status: 'FAILURE', failReason: 'Canceled: the task was canceled upstream', quota: 0n } });
    expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: 100_000_000, used_quota: 0 });
  });

  it('leaves a running task alone when cancelling, and ends it when forcing', async () => {
    const taskId = await submit(ctx, customer.key, { ...specExamples.t2v, prompt: '[sim:ms=30000] a cat' });
    const running = await whenStatus(taskId, 'IN_PROGRESS');
    expect(await endTask(deps, running, 'cancel', 'Canceled: canceled by the client')).toMatchObject({ ended: false, why: 'running' });
    expect((await rowOf(taskId)).status).toBe('IN_PROGRESS');

    const forced = await endTask(deps, await rowOf(taskId), 'force', 'ForceFailed: stuck');
    expect(forced).toMatchObject({ ended: true, refunded: 250_000n, task: { status: 'FAILURE', failReason: 'ForceFailed: stuck' } });
    expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: 100_000_000, used_quota: 0 });
  });

  it('refuses a cancel once the upstream has started the task, even before the worker saw it', async () => {
    const taskId = await submit(ctx, customer.key, { ...specExamples.t2v, prompt: '[sim:ms=30000] a cat' });
    const queued = await whenStatus(taskId, 'QUEUED');
    // Past the 2 s upstream PENDING, while the row here still says QUEUED.
    await ctx.stopWorkers();
    await new Promise((r) => setTimeout(r, 2_200));
    expect(await endTask(deps, queued, 'cancel', 'Canceled: canceled by the client')).toMatchObject({ ended: false, why: 'running' });
    expect(await upstreamStatus(queued)).toBe('RUNNING');
    await ctx.startWorker();
    await endTask(deps, await rowOf(taskId), 'force', 'ForceFailed: cleanup');
  });

  it('ends a task not yet submitted; the worker then never sends it upstream', async () => {
    await ctx.stopWorkers();
    const before = ctx.simulator.stats().tasksCreated;
    const taskId = await submit(ctx, customer.key, specExamples.t2v);
    expect(await endTask(deps, await rowOf(taskId), 'cancel', 'Canceled: canceled by the client')).toMatchObject({ ended: true, refunded: 250_000n });
    await ctx.startWorker();
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await rowOf(taskId)).status).toBe('FAILURE');
    // The worker found the task final before submitting it.
    expect(ctx.simulator.stats().tasksCreated).toBe(before);
  });

  it('races the worker settling the same tasks: each ends once and the books are exact', async () => {
    const racer = await createCustomer(ctx.http, 100_000_000);
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => submit(ctx, racer.key, { ...specExamples.t2v, prompt: `[sim:ms=${50 + (i % 8) * 40}] a cat` })));
    // End each one at a random moment of its life while the worker advances it.
    await Promise.all(
      ids.map(async (id) => {
        await new Promise((r) => setTimeout(r, Math.random() * 2_600));
        await endTask(deps, await rowOf(id), 'force', 'ForceFailed: race');
      }),
    );
    const finals = await Promise.all(ids.map((id) => waitForFinal(ctx, racer.key, id)));
    const failed = finals.filter((t) => t.status === 'FAILURE').length;
    const succeeded = finals.filter((t) => t.status === 'SUCCESS').length;
    expect(failed + succeeded).toBe(40);
    expect(await balanceOf(ctx.http, racer.userId)).toEqual({ quota: 100_000_000 - succeeded * 250_000, used_quota: succeeded * 250_000 });
    const refunds = await ctx.db.selectFrom('logs').select('taskId').where('type', '=', 6).where('userId', '=', racer.userId).execute();
    expect(refunds).toHaveLength(failed);
    expect(new Set(refunds.map((r) => r.taskId)).size).toBe(failed);
    const key = await ctx.db.selectFrom('apiKeys').select(['inflightTasks', 'quotaUsed']).where('id', '=', racer.keyId).executeTakeFirstOrThrow();
    expect(key).toEqual({ inflightTasks: 0, quotaUsed: BigInt(succeeded * 250_000) });
  });
});

describe('timeouts', () => {
  it('cancels upstream a task that timed out while PENDING there', async () => {
    const slow = await createGatewayContext({ simulator: { pendingMs: 60_000 }, env: { TASK_TIMEOUT_S: '2' } });
    try {
      const who = await createCustomer(slow.http, 1_000_000);
      const taskId = await submit(slow, who.key, specExamples.t2v);
      const task = await waitForFinal(slow, who.key, taskId, 30_000);
      expect(task).toMatchObject({ status: 'FAILURE', fail_reason: 'Timeout: the task did not finish within 2 s' });
      const row = (await findTask(slow.db, taskId))!;
      const res = await fetch(`${slow.simulatorUrl}/api/v1/tasks/${row.upstreamTaskId}`, { headers: { authorization: `Bearer ${SIM_KEY}` } });
      expect(((await res.json()) as { output: { task_status: string } }).output.task_status).toBe('CANCELED');
      expect(await balanceOf(slow.http, who.userId)).toEqual({ quota: 1_000_000, used_quota: 0 });
    } finally {
      await slow.close();
    }
  });
});
