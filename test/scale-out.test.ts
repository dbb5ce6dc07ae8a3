// Any number of API and worker processes on one PostgreSQL and Redis: two of each, as separate
// processes, take tasks submitted through either API; every task ends exactly once, the books are
// exact, and the upstream receives one submit per task (so no task was submitted by both workers).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auditBooks, upstreamExtras } from './helpers/books.ts';
import { createCustomer, type Customer, specExamples } from './helpers/factories.ts';
import { FAST_WORKER_ENV, createGatewayContext, type GatewayContext, waitForFinal } from './helpers/gateway.ts';
import { type GatewayProcess, sameGateway, startGatewayProcess } from './helpers/gateway-process.ts';
import { httpClient } from './helpers/http.ts';

const START = 1_000_000_000;
let ctx: GatewayContext;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  ctx = await createGatewayContext();
  // Only the child processes work: the test's own worker stops.
  await ctx.stopWorkers();
  const env = { ...sameGateway(ctx.config), ...FAST_WORKER_ENV, UPSTREAM_TIMEOUT_MS: '5000' };
  processes.push(...(await Promise.all([startGatewayProcess('api', env), startGatewayProcess('api', env), startGatewayProcess('worker', env), startGatewayProcess('worker', env)])));
}, 60_000);
afterAll(async () => {
  for (const child of processes) await child.stop('SIGKILL');
  await ctx?.close();
});

it('two APIs and two workers: every task ends once, books exact, one upstream task per task', async () => {
  const customers: Customer[] = [];
  for (let i = 0; i < 4; i++) customers.push(await createCustomer(ctx.http, START));
  const apis = processes.filter((p) => p.role === 'api').map((p) => httpClient(p.url));
  const created = ctx.simulator.stats().tasksCreated;
  // Successes, failures (refunded) and refusals of the submit by the upstream (refunded, no upstream task).
  const prompts = ['[sim:ms=300]', '[sim:ms=600]', '[sim:fail=InternalError]', '[sim:reject=400:InvalidParameter]', '[sim:flaky=1]'];
  const submitted = await Promise.all(
    Array.from({ length: 60 }, async (_, i) => {
      const customer = customers[i % customers.length]!;
      const body = { ...specExamples.t2v, prompt: `${prompts[i % prompts.length]} task ${i}: ${specExamples.t2v.prompt}` };
      const res = await apis[i % 2]!('POST', '/v1/video/generations', { token: customer.key, body });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return { customer, taskId: res.body.id as string, rejected: i % prompts.length === 3 };
    }),
  );
  const finals = await Promise.all(submitted.map(({ customer, taskId }) => waitForFinal(ctx, customer.key, taskId, 60_000)));
  expect(finals.filter((t) => t.status === 'FAILURE')).toHaveLength(24);

  const audit = await auditBooks(ctx.db, new Map(customers.map((c) => [c.userId, START])));
  expect(audit, JSON.stringify(audit)).toMatchObject({ tasks: 60, open: 0, chargedTwice: 0, refundedTwice: 0, taskQuotaWrong: 0, exact: true });
  // Each task reached the upstream once, from whichever worker took it; refused submits made none.
  expect(ctx.simulator.stats().tasksCreated - created).toBe(submitted.filter((s) => !s.rejected).length);
  expect(await upstreamExtras(ctx.db)).toEqual({ adopted: 0, recorded: 0, unresolved: 0 });
  // Both APIs served the queries that the task events feed: each knows every task's end.
  for (const api of apis) {
    const { customer, taskId } = submitted[0]!;
    expect((await api('GET', `/v1/video/generations/${taskId}`, { token: customer.key })).body.data.status).toBe('SUCCESS');
  }
}, 120_000);
