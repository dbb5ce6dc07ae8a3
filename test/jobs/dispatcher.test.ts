// The dispatcher: paid-for tasks move from PostgreSQL (task_dispatch) into the task queue, each
// once, whatever crashed in between and however many dispatchers run.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/jobs/dispatcher.ts';
import { createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { countRows } from '../helpers/rows.ts';
import { until } from '../helpers/until.ts';

let ctx: GatewayContext;
let customer: Customer;

beforeAll(async () => {
  ctx = await createGatewayContext();
  customer = await createCustomer(ctx.http, 1_000_000_000);
});
afterAll(async () => {
  await ctx?.close();
});

describe('the dispatcher', () => {
  it('queues a task paid for while no worker ran as soon as one starts, and runs it', async () => {
    await ctx.stopWorkers();
    const taskId = await submit(ctx, customer.key, specExamples.t2v);
    await new Promise((r) => setTimeout(r, 300));
    expect(await ctx.queues.tasks.queue.getJob(taskId)).toBeUndefined();
    expect(await countRows(ctx.db, 'taskDispatch', { taskId })).toBe(1);

    await ctx.startWorker();
    expect((await waitForFinal(ctx, customer.key, taskId)).status).toBe('SUCCESS');
    expect(await countRows(ctx.db, 'taskDispatch', { taskId })).toBe(0);
  });

  it('queues each task exactly once while several dispatchers compete', { timeout: 180_000 }, async () => {
    await ctx.stopWorkers();
    const ids = await Promise.all(Array.from({ length: 150 }, () => submit(ctx, customer.key, { ...specExamples.t2v, prompt: '[sim:ms=200] a cat' })));
    const queued: string[] = [];
    const queue = {
      async enqueueMany(taskIds: string[]) {
        queued.push(...taskIds);
        await ctx.queues.tasks.enqueueMany(taskIds);
      },
    };
    const log = pino({ level: 'silent' });
    const dispatchers = Array.from({ length: 3 }, () => new Dispatcher({ db: ctx.db, queue, listener: ctx.listener, log }));
    for (const d of dispatchers) d.start();
    try {
      await until(async () => ((await countRows(ctx.db, 'taskDispatch')) === 0 ? true : undefined), 'an empty task_dispatch');
    } finally {
      for (const d of dispatchers) await d.close();
    }
    expect(queued.toSorted()).toEqual(ids.toSorted());
    expect(await ctx.queues.tasks.queue.getJobCountByTypes('waiting', 'delayed', 'active', 'prioritized')).toBe(150);
    await ctx.startWorker();
    for (const id of ids) expect((await waitForFinal(ctx, customer.key, id, 60_000)).status).toBe('SUCCESS');
    expect(ctx.simulator.stats().tasksCreated).toBe(151);
  });
});
