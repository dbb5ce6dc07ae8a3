// The dispatcher: paid-for tasks move from PostgreSQL (task_dispatch) into the task queue, each
// once, whatever crashed in between and however many dispatchers run.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatchBell, MIN_GAP_MS } from '../../src/jobs/dispatch-bell.ts';
import { Dispatcher } from '../../src/jobs/dispatcher.ts';
import { CHANNELS } from '../../src/db/listener.ts';
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

describe('the dispatch bell', () => {
  it('wakes the dispatchers at once after a quiet moment, and at most once per interval under a stream of charges', async () => {
    const heard: number[] = [];
    const off = ctx.listener.on(CHANNELS.dispatch, () => heard.push(performance.now()));
    try {
      const bell = new DispatchBell(ctx.db, pino({ level: 'silent' }));
      const rang = performance.now();
      bell.ring();
      await until(async () => (heard.length > 0 ? true : undefined), 'the first wake-up');
      expect(heard[0]! - rang).toBeLessThan(MIN_GAP_MS * 50);

      // A charge every half millisecond for 300 ms, as batches finish under load.
      heard.length = 0;
      const streamMs = 300;
      const started = performance.now();
      while (performance.now() - started < streamMs) {
        bell.ring();
        await new Promise((r) => setTimeout(r, 0.5));
      }
      const streamed = performance.now() - started;
      await new Promise((r) => setTimeout(r, MIN_GAP_MS * 5));
      expect(heard.length).toBeGreaterThan(0);
      // Wake-ups start an interval apart: about one per interval (timers may fire a little early on
      // a busy machine), where one per batch made a wake-up every round trip (over 100 here).
      expect(heard.length).toBeLessThanOrEqual(Math.floor((1.5 * streamed) / MIN_GAP_MS) + 2);
      // The last charge of the stream was told.
      expect(heard.at(-1)!).toBeGreaterThan(started + streamMs - MIN_GAP_MS);
    } finally {
      off();
    }
  });
});
