// SIGTERM drains: the API answers the requests it holds and the worker finishes the upstream calls
// it is making, within SHUTDOWN_DRAIN_MS, then exits 0. Before, the grace was a fixed 15 s, shorter
// than an upstream call may take (UPSTREAM_TIMEOUT_MS, 30 s): a worker stopped mid-submit exited
// without the upstream's answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { FAST_WORKER_ENV, createGatewayContext, type GatewayContext, waitForFinal } from '../helpers/gateway.ts';
import { type GatewayProcess, sameGateway, startGatewayProcess } from '../helpers/gateway-process.ts';
import { httpClient } from '../helpers/http.ts';
import { until } from '../helpers/until.ts';

let ctx: GatewayContext;
let customer: Customer;
const children: GatewayProcess[] = [];

beforeAll(async () => {
  ctx = await createGatewayContext();
  customer = await createCustomer(ctx.http, 1_000_000_000);
});
afterAll(async () => {
  for (const child of children) await child.stop('SIGKILL');
  await ctx?.close();
});

describe('a worker given SIGTERM', () => {
  it('finishes the submit it is making, records it and exits 0: the upstream task is neither lost nor made twice', async () => {
    await ctx.stopWorkers();
    // The upstream takes 16 s to answer: longer than the old fixed grace, within the drain.
    const worker = await startGatewayProcess('worker', { ...sameGateway(ctx.config), ...FAST_WORKER_ENV, UPSTREAM_TIMEOUT_MS: '20000', SHUTDOWN_DRAIN_MS: '25000' });
    children.push(worker);
    const created = ctx.simulator.stats().tasksCreated;
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: { ...specExamples.t2v, prompt: `[sim:slow=16000] ${specExamples.t2v.prompt}` } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const taskId = res.body.id as string;
    await until(async () => (ctx.simulator.stats().tasksCreated > created ? true : undefined), 'the submit reaching the upstream');

    const signalled = Date.now();
    expect(await worker.stop('SIGTERM'), worker.output()).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThan(14_000);
    // Recorded by the worker that made the call, before it exited.
    const row = await ctx.db.selectFrom('tasks').select(['status', 'upstreamTaskId']).where('taskId', '=', taskId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'QUEUED', upstreamTaskId: expect.any(String) });

    await ctx.startWorker();
    expect((await waitForFinal(ctx, customer.key, taskId)).status).toBe('SUCCESS');
    expect(ctx.simulator.stats().tasksCreated - created).toBe(1);
    expect(await ctx.db.selectFrom('upstreamOrphans').select('upstreamTaskId').execute()).toEqual([]);
  }, 60_000);
});

describe('an API given SIGTERM', () => {
  it("answers every request it holds (held submits, held queries, event streams, operators' too) at once, then exits 0", async () => {
    // No worker: the tasks stay queued, and every held answer waits until the API lets it go.
    await ctx.stopWorkers();
    const api = await startGatewayProcess('api', { ...sameGateway(ctx.config), SHUTDOWN_DRAIN_MS: '40000' });
    children.push(api);
    const http = httpClient(api.url);
    const held = { token: customer.key, headers: { prefer: 'wait=30' } };
    const submits = Array.from({ length: 5 }, () => http('POST', '/v1/video/generations', { ...held, body: specExamples.t2v }));
    const existing = (await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples.t2v })).body.id as string;
    const query = http('GET', `/v1/videos/${existing}`, held);
    const stream = fetch(`${api.url}/v1/video/generations/${existing}/events`, { headers: { authorization: `Bearer ${customer.key}` } }).then((r) => r.text());
    // An operator's stream is one of the same open streams: the shutdown closes it too.
    const adminStream = fetch(`${api.url}/admin/tasks/${existing}/events`, { headers: { authorization: `Bearer ${ctx.config.ADMIN_TOKEN}` } }).then((r) => r.text());
    // Every submit is charged and held, the query and the stream are open.
    await until(async () => {
      const n = await ctx.db.selectFrom('tasks').select((eb) => eb.fn.countAll<string>().as('n')).where('userId', '=', customer.userId).where('status', '=', 'NOT_START').executeTakeFirstOrThrow();
      return Number(n.n) >= 6 ? true : undefined;
    }, 'the held submits charged');
    await new Promise((r) => setTimeout(r, 300));

    const signalled = Date.now();
    api.child.kill('SIGTERM');
    const answers = await Promise.all(submits);
    for (const answer of answers) expect([answer.status, answer.body.data?.status]).toEqual([200, 'NOT_START']);
    expect((await query).body).toMatchObject({ id: existing, status: 'queued' });
    expect(await stream).toContain('"status":"NOT_START"');
    expect(await adminStream).toContain(`"task_id":"${existing}"`);
    expect(await api.exited, api.output()).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5_000);
    await ctx.startWorker();
  }, 60_000);
});
