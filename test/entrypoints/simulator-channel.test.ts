// The compose `simulator` profile's one-shot step, as its container runs it: it points the channel
// "built-in simulator" at the simulator's SIM_PUBLIC_URL, tells the running worker, and a task then
// goes to SUCCESS through it; run again, it keeps one channel.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCustomer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, SIM_KEY, submit, waitForFinal } from '../helpers/gateway.ts';

const ENTRY = new URL('../../src/entrypoints/simulator-channel.ts', import.meta.url).pathname;

let ctx: GatewayContext;
beforeAll(async () => {
  ctx = await createGatewayContext({ channel: false });
});
afterAll(() => ctx.close());

function run(env: Record<string, string>) {
  return promisify(execFile)(process.execPath, [ENTRY], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: ctx.config.DATABASE_URL,
      REDIS_URL: ctx.config.REDIS_URL,
      REDIS_PREFIX: ctx.config.REDIS_PREFIX,
      STORAGE_DIR: ctx.config.STORAGE_DIR,
      SIM_API_KEY: SIM_KEY,
      LOG_LEVEL: 'info',
      ...env,
    },
    timeout: 30_000,
  });
}

it('points a channel at the simulator, through which a task then succeeds; a second run changes nothing', async () => {
  await run({ SIM_PUBLIC_URL: ctx.simulatorUrl });
  await run({ SIM_PUBLIC_URL: `${ctx.simulatorUrl}/` });
  const channels = await ctx.db.selectFrom('channels').selectAll().execute();
  expect(channels).toEqual([expect.objectContaining({ name: 'built-in simulator', baseUrl: ctx.simulatorUrl, apiKey: SIM_KEY, status: 'enabled' })]);

  const customer = await createCustomer(ctx.http);
  const taskId = await submit(ctx, customer.key, specExamples.t2v);
  expect((await waitForFinal(ctx, customer.key, taskId)).status).toBe('SUCCESS');
});

it('refuses to run without SIM_PUBLIC_URL, saying what to set', async () => {
  const failed = await run({}).then(
    () => undefined,
    (err: { code: number; stdout: string }) => err,
  );
  expect(failed?.code).toBe(2);
  expect(failed?.stdout).toMatch(/SIM_PUBLIC_URL is empty/);
});
