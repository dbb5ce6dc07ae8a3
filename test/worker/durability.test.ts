// Nothing is lost and nothing is settled twice: duplicate jobs, racing workers, a worker killed
// at any instant, Redis losing its data, tasks that outlive their timeout.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { bullPrefix, QUEUES } from '../../src/jobs/contracts.ts';
import { dispatchBatch } from '../../src/jobs/dispatch.repository.ts';
import { findTask } from '../../src/modules/tasks/tasks.repository.ts';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { countRows } from '../helpers/rows.ts';

let ctx: GatewayContext;
let customer: Customer;

beforeAll(async () => {
  // A short upstream timeout: a submit lost with a killed worker is resolved within seconds.
  ctx = await createGatewayContext({ env: { TASK_TIMEOUT_S: '20', UPSTREAM_TIMEOUT_MS: '1000' } });
  customer = await createCustomer(ctx.http, 1_000_000_000);
});
afterAll(() => ctx.close());

const prompt = (directives: string) => ({ ...specExamples.t2v, prompt: `${directives} ${specExamples.t2v.prompt}` });
const moneyLogs = async (taskId: string) =>
  ((await ctx.http('GET', `/admin/logs?task_id=${taskId}`, { token: ADMIN_TOKEN })).body.data as { type: number; quota: number }[]).map((l) => [l.type, l.quota]);

describe('duplicates', () => {
  it('settles a task once when the same task is delivered as two jobs to two workers', async () => {
    await ctx.startWorker();
    const failing = await submit(ctx, customer.key, prompt('[sim:fail=DataInspectionFailed]'));
    const succeeding = await submit(ctx, customer.key, specExamples.t2v);
    for (const taskId of [failing, succeeding]) {
      await ctx.queues.tasks.queue.add('advance', { taskId }, { jobId: `${taskId}-again` });
      await ctx.queues.tasks.queue.add('advance', { taskId }, { jobId: `${taskId}-and-again` });
    }
    expect((await waitForFinal(ctx, customer.key, failing)).status).toBe('FAILURE');
    expect((await waitForFinal(ctx, customer.key, succeeding)).status).toBe('SUCCESS');
    // Let every duplicate job run to its end.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await moneyLogs(failing)).toEqual([
      [6, 250_000],
      [2, 250_000],
    ]);
    expect(await moneyLogs(succeeding)).toEqual([[2, 250_000]]);
    // However many jobs submitted it upstream, the task keeps one upstream task.
    const row = await findTask(ctx.db, succeeding);
    expect(row?.upstreamTaskId).toEqual(expect.any(String));
  });

  it('ignores jobs for tasks that are already final', async () => {
    const taskId = await submit(ctx, customer.key, specExamples.t2v);
    await waitForFinal(ctx, customer.key, taskId);
    const balance = await balanceOf(ctx.http, customer.userId);
    await ctx.queues.tasks.queue.add('advance', { taskId }, { jobId: `${taskId}-late` });
    await new Promise((r) => setTimeout(r, 500));
    expect((await balanceOf(ctx.http, customer.userId)).quota).toBe(balance.quota);
    expect(await moneyLogs(taskId)).toEqual([[2, 250_000]]);
  });
});

describe('a worker process killed at any instant', () => {
  const workerScript = path.resolve(import.meta.dirname, '../../src/entrypoints/worker.ts');
  const startChild = (): ChildProcess =>
    spawn(process.execPath, [workerScript], {
      env: {
        ...process.env,
        DATABASE_URL: ctx.config.DATABASE_URL,
        REDIS_URL: ctx.config.REDIS_URL,
        REDIS_PREFIX: ctx.config.REDIS_PREFIX,
        // The test's own folder, removed with it: the default is data/storage in the checkout.
        STORAGE_DIR: ctx.config.STORAGE_DIR,
        // A port of its own for /healthz and /readyz: the next worker starts while this one's may linger.
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        POLL_FIRST_DELAY_MS: '100',
        POLL_INTERVAL_MS: '150',
        WORKER_LOCK_MS: '1000',
        CHANNEL_SUBMIT_QPS: '45',
        CHANNEL_QUERY_QPS: '90',
        UPSTREAM_TIMEOUT_MS: '1000',
      },
      stdio: 'ignore',
    });

  it('loses nothing: every task ends exactly once, with the books exact', async () => {
    // Only child processes work on this: the in-process workers stop.
    await ctx.stopWorkers();
    const before = await balanceOf(ctx.http, customer.userId);
    const createdBefore = ctx.simulator.stats().tasksCreated;
    const bodies = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 0 ? prompt('[sim:ms=3000] [sim:fail=InternalError]') : i % 3 === 1 ? prompt('[sim:ms=4000]') : prompt('[sim:ms=2000]'),
    );
    const ids: string[] = [];
    for (const body of bodies) ids.push(await submit(ctx, customer.key, body));

    // SIGKILL the worker at a random moment once it has started working (it takes a second or
    // more to start on a busy machine), whatever it is doing, five times, counting the kills that
    // hit tasks mid-flight; a last worker is left to finish.
    const openCount = () => countRows(ctx.db, 'tasks', { taskId: ids, status: ['QUEUED', 'IN_PROGRESS'] });
    const finalCount = () => countRows(ctx.db, 'tasks', { taskId: ids, status: ['SUCCESS', 'FAILURE'] });
    const lastChange = async () =>
      (await ctx.db.selectFrom('tasks').select((eb) => eb.fn.max('updatedAt').as('last')).where('taskId', 'in', ids).executeTakeFirstOrThrow()).last?.getTime() ?? 0;
    let child = startChild();
    let killsMidFlight = 0;
    for (let kill = 0; kill < 5 && (await finalCount()) < ids.length; kill++) {
      const startedAt = Date.now();
      while ((await lastChange()) < startedAt && Date.now() - startedAt < 20_000) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, Math.random() * 400));
      if ((await openCount()) > 0) killsMidFlight++;
      child.kill('SIGKILL');
      child = startChild();
    }
    try {
      expect(killsMidFlight).toBeGreaterThanOrEqual(2);
      const finals = await Promise.all(ids.map((id) => waitForFinal(ctx, customer.key, id, 30_000)));
      expect(finals.filter((t) => t.status === 'FAILURE')).toHaveLength(8);
      let charged = 0;
      let refunded = 0;
      for (const [i, task] of finals.entries()) {
        const logs = await moneyLogs(ids[i]!);
        const charges = logs.filter(([type]) => type === 2);
        const refunds = logs.filter(([type]) => type === 6);
        expect(charges).toHaveLength(1);
        expect(refunds.length).toBeLessThanOrEqual(1);
        charged += charges[0]![1]!;
        refunded += refunds[0]?.[1] ?? 0;
        expect(task.quota).toBe(charges[0]![1]! - (refunds[0]?.[1] ?? 0));
        if (task.status === 'FAILURE') expect(task.quota).toBe(0);
      }
      const after = await balanceOf(ctx.http, customer.userId);
      expect(before.quota - charged + refunded).toBe(after.quota);
      expect(after.used_quota - before.used_quota).toBe(charged - refunded);
      // The upstream was paid once per task: a submit cut off by a kill was found again, not sent
      // twice, and anything extra was written down: a failed upstream task nobody could call their
      // own (DashScope charges nothing for it), never one left running.
      const extras = await ctx.db.selectFrom('upstreamOrphans').select(['upstreamTaskId', 'outcome']).where('taskId', 'in', ids).where('outcome', '!=', 'adopted').execute();
      expect(ctx.simulator.stats().tasksCreated - createdBefore).toBe(ids.length + extras.length);
      expect(extras.filter((o) => o.outcome !== 'not_charged')).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await ctx.startWorker();
    }
  }, 120_000);
});

describe('Redis losing its data', () => {
  it('finds open tasks again in PostgreSQL and finishes them', async () => {
    await ctx.stopWorkers();
    const ids = [await submit(ctx, customer.key, prompt('[sim:ms=300]')), await submit(ctx, customer.key, specExamples.i2v)];
    const keys = await ctx.redis.keys(`${bullPrefix(ctx.config.REDIS_PREFIX)}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await ctx.redis.del(...keys);
    await (await ctx.startWorker()).reconcileNow();
    // Whichever got there first, the worker's start-up restore (Redis is empty) or the reconciler,
    // each task has a job again.
    const tasks = new Queue(QUEUES.tasks.name, { connection: ctx.redis, prefix: bullPrefix(ctx.config.REDIS_PREFIX) });
    try {
      for (const id of ids) expect(await tasks.getJobState(id)).not.toBe('unknown');
    } finally {
      await tasks.close();
    }
    for (const id of ids) expect((await waitForFinal(ctx, customer.key, id)).status).toBe('SUCCESS');
    // A second pass finds nothing to do.
    expect((await ctx.worker.reconcileNow()).requeued).toBe(0);
  });

  it('revives a job that failed for good while its task is open', async () => {
    await ctx.stopWorkers();
    const taskId = await submit(ctx, customer.key, specExamples.t2v);
    await dispatchBatch(ctx.db, 10, (ids) => ctx.queues.tasks.enqueueMany(ids));
    // A consumer that gives up on every job at once, as a worker would after using up the retries.
    const failing = new Worker(QUEUES.tasks.name, async () => {
      throw new UnrecoverableError('gave up');
    }, { connection: ctx.consumers, prefix: bullPrefix(ctx.config.REDIS_PREFIX) });
    while ((await ctx.queues.tasks.queue.getJobState(taskId)) !== 'failed') await new Promise((r) => setTimeout(r, 20));
    await failing.close();
    const report = await (await ctx.startWorker()).reconcileNow();
    expect(report.requeued).toBe(1);
    expect((await waitForFinal(ctx, customer.key, taskId)).status).toBe('SUCCESS');
  });
});

describe('timeouts', () => {
  it('fails and refunds a task that outlives its timeout, even with no job left to notice', async () => {
    const slow = await createGatewayContext({ env: { TASK_TIMEOUT_S: '1' } });
    try {
      const who = await createCustomer(slow.http, 1_000_000);
      const polled = await submit(slow, who.key, prompt('[sim:ms=60000]'));
      await slow.stopWorkers();
      const orphan = await submit(slow, who.key, prompt('[sim:ms=60000]'));
      await slow.redis.del(...(await slow.redis.keys(`${bullPrefix(slow.config.REDIS_PREFIX)}:*`)));
      await new Promise((r) => setTimeout(r, 1_200));
      // The reconciler ends them, or the jobs the worker's start-up restores from PostgreSQL (Redis
      // is empty) get there first: either way each ends once, timed out and refunded.
      const report = await (await slow.startWorker()).reconcileNow();
      expect(report.timedOut).toBeLessThanOrEqual(2);
      for (const taskId of [polled, orphan]) {
        const task = await waitForFinal(slow, who.key, taskId);
        expect(task).toMatchObject({ status: 'FAILURE', fail_reason: 'Timeout: the task did not finish within 1 s', quota: 0 });
      }
      expect(await balanceOf(slow.http, who.userId)).toMatchObject({ quota: 1_000_000, used_quota: 0 });
    } finally {
      await slow.close();
    }
  });
});
