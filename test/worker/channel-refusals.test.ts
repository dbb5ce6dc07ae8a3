// A submit the upstream refuses because of the request itself must fail that task (with its
// refund) and nothing else; only a refusal of the account (its key, its arrears, its access) takes
// a channel out of rotation. Otherwise one request would disable every channel in turn.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { balanceOf, createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';

let ctx: GatewayContext;
let customer: Customer;

beforeAll(async () => {
  ctx = await createGatewayContext();
  await ctx.addChannel({ name: 'second account' });
  await ctx.addChannel({ name: 'third account' });
  customer = await createCustomer(ctx.http, 100_000_000);
});
afterAll(() => ctx.close());

const enabledChannels = async () => (await ctx.db.selectFrom('channels').select('id').where('status', '=', 'enabled').execute()).length;

it.each([
  ['403', 'DataInspectionFailed'],
  ['403', 'IPInfringementSuspect'],
  ['404', 'InvalidParameter'],
  ['403', 'SomethingOnlyThisRequestGets'],
  ['404', 'ModelNotFound'],
])('HTTP %s %s fails the task with a refund and leaves every channel enabled', async (status, code) => {
  const before = await balanceOf(ctx.http, customer.userId);
  const taskId = await submit(ctx, customer.key, { ...specExamples.t2v, prompt: `a cat [sim:reject=${status}:${code}]` });
  const task = await waitForFinal(ctx, customer.key, taskId);
  expect(task.status).toBe('FAILURE');
  expect(task.fail_reason).toMatch(new RegExp(`^${code}: `));
  expect(await balanceOf(ctx.http, customer.userId)).toEqual(before);
  expect(await enabledChannels()).toBe(3);
});

it('an account refusal (401 InvalidApiKey) still disables that channel, and the task moves on', async () => {
  const revoked = await ctx.addChannel({ name: 'revoked', api_key: 'sk-revoked', priority: 10 });
  const taskId = await submit(ctx, customer.key, specExamples.t2v);
  const task = await waitForFinal(ctx, customer.key, taskId);
  expect(task.status).toBe('SUCCESS');
  expect((await ctx.db.selectFrom('channels').select('status').where('id', '=', revoked.id).executeTakeFirstOrThrow()).status).toBe('auto_disabled');
  expect(await enabledChannels()).toBe(3);
});
