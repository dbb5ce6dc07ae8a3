// Redis going away under a running gateway: submits still complete (or fail honestly) at once,
// queries keep working from PostgreSQL, and every task runs once Redis is back, with or without
// its data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis-server.ts';
import { until } from '../helpers/until.ts';

let redis: PrivateRedis;
let ctx: GatewayContext;
let customer: Customer;
const START = 100_000_000;

beforeAll(async () => {
  redis = await startPrivateRedis();
  ctx = await createGatewayContext({ env: { REDIS_URL: redis.url } });
  customer = await createCustomer(ctx.http, START);
});
afterAll(async () => {
  await ctx?.close();
  await redis?.close();
});

const statusOf = async (taskId: string) => (await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: customer.key })).body.data.status as string;

describe('Redis down', () => {
  it('/readyz stays 200 and reports Redis down, then up again', async () => {
    await redis.stop();
    try {
      const down = await ctx.http('GET', '/readyz');
      // A 503 here took every instance out of a load balancer while submits still worked.
      expect([down.status, down.body]).toMatchObject([200, { status: 'ready', postgres: 'ok', redis: 'down' }]);
    } finally {
      await redis.start();
    }
    await until(async () => ((await ctx.http('GET', '/readyz')).body.redis === 'ok' ? true : undefined), 'Redis reported back');
  });

  it('a submit answers at once and is charged; the task runs when Redis is back, even empty', async () => {
    await redis.stop();
    const started = Date.now();
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples.t2v });
    const tookMs = Date.now() - started;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // A hang here was the bug: the submit waited for Redis to come back.
    expect(tookMs).toBeLessThan(2_000);
    const taskId = res.body.id as string;
    expect(await statusOf(taskId)).toBe('NOT_START');
    expect((await balanceOf(ctx.http, customer.userId)).quota).toBe(START - 250_000);

    await redis.start();
    expect((await waitForFinal(ctx, customer.key, taskId, 30_000)).status).toBe('SUCCESS');
  });

  it('finishes tasks that were under way when Redis lost its data', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => submit(ctx, customer.key, { ...specExamples.t2v, prompt: '[sim:ms=1500] a cat' })));
    await until(async () => ((await Promise.all(ids.map(statusOf))).every((s) => s === 'QUEUED' || s === 'IN_PROGRESS') ? true : undefined), 'all five under way upstream');
    await redis.stop();
    await redis.start();
    for (const id of ids) expect((await waitForFinal(ctx, customer.key, id, 30_000)).status).toBe('SUCCESS');
  });

  it('runs nothing twice when Redis restarts with its data', async () => {
    const before = ctx.simulator.stats().tasksCreated;
    const ids = await Promise.all(Array.from({ length: 5 }, () => submit(ctx, customer.key, { ...specExamples.t2v, prompt: '[sim:ms=1500] a cat' })));
    await until(async () => ((await Promise.all(ids.map(statusOf))).every((s) => s !== 'NOT_START') ? true : undefined), 'all five sent upstream');
    await redis.stop({ keepData: true });
    await redis.start();
    for (const id of ids) expect((await waitForFinal(ctx, customer.key, id, 30_000)).status).toBe('SUCCESS');
    expect(ctx.simulator.stats().tasksCreated - before).toBe(5);
  });
});
