// Tasks from submit to their final state against the simulator, over real HTTP: the spec's
// examples succeed with a playable video; every fault ends as it should with exactly one refund.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, type TaskRecord, waitForFinal } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';

let ctx: GatewayContext;
let customer: Customer;

beforeAll(async () => {
  ctx = await createGatewayContext();
  customer = await createCustomer(ctx.http, 1_000_000_000);
});
afterAll(() => ctx.close());

const logsOf = async (taskId: string) =>
  (await ctx.http('GET', `/admin/logs?task_id=${taskId}`, { token: ADMIN_TOKEN })).body.data as { type: number; quota: number }[];

const withPrompt = (prompt: string) => ({ ...specExamples.t2v, prompt: `${prompt} ${specExamples.t2v.prompt}` });

describe('the spec examples', () => {
  it.each(['t2v', 'i2v', 'r2v', 'videoedit'] as const)('%s ends SUCCESS with a downloadable MP4', async (name) => {
    const taskId = await submit(ctx, customer.key, specExamples[name]);
    const task = await waitForFinal(ctx, customer.key, taskId);
    expect(task).toMatchObject({ status: 'SUCCESS', progress: '100%', fail_reason: '' });
    expect(task.start_time).toBeGreaterThan(0);
    expect(task.finish_time).toBeGreaterThanOrEqual(task.start_time);
    expect(task.channel_id).toBeGreaterThan(0);
    expect(task.data.output.task_status).toBe('SUCCEEDED');
    expect(task.properties).toMatchObject({ upstream_model_name: `wan2.7-${name}`, origin_model_name: `wan2.7-${name}` });

    // DashScope's answer keeps the upstream's link; the record hands out the gateway's own copy
    // once it has landed (until then, the upstream's link), so wait for that rather than race it.
    const upstreamUrl = task.data.output.video_url as string;
    expect(upstreamUrl.startsWith(`${ctx.simulatorUrl}/results/`)).toBe(true);
    const copied = await until(async () => {
      const record = (await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: customer.key })).body.data as TaskRecord;
      return record.result_url === upstreamUrl ? undefined : record;
    }, `the copy of ${taskId}`);
    expect(new URL(copied.result_url).pathname).toBe(`/files/results/${taskId}.mp4`);

    const [upstream, copy] = await Promise.all([fetch(upstreamUrl), fetch(copied.result_url)]);
    expect([upstream.status, copy.status]).toEqual([200, 200]);
    expect(copy.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await copy.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(Buffer.from(await upstream.arrayBuffer())).toEqual(bytes);

    const openai = await ctx.http('GET', `/v1/videos/${taskId}`, { token: customer.key });
    expect(openai.body).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect(new URL(openai.body.metadata.url).pathname).toBe(`/files/results/${taskId}.mp4`);
    expect(openai.body.completed_at).toBe(task.finish_time);
    expect((await logsOf(taskId)).filter((l) => l.type === 6)).toHaveLength(name === 'videoedit' ? 1 : 0);
  });

  it('settles videoedit to the length of the video it produced and refunds the rest', async () => {
    const before = await balanceOf(ctx.http, customer.userId);
    const taskId = await submit(ctx, customer.key, specExamples.videoedit);
    const task = await waitForFinal(ctx, customer.key, taskId);
    const seconds = task.data.usage.output_video_duration as number;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(15);
    const expected = Math.round(0.1 * 500_000 * seconds);
    expect(task.quota).toBe(expected);
    const logs = await logsOf(taskId);
    expect(logs.filter((l) => l.type === 2).map((l) => l.quota)).toEqual([750_000]);
    expect(logs.filter((l) => l.type === 6).map((l) => l.quota)).toEqual([750_000 - expected]);
    const after = await balanceOf(ctx.http, customer.userId);
    expect(before.quota - after.quota).toBe(expected);
  });

  it('shows IN_PROGRESS with a growing estimate while the upstream runs', async () => {
    const taskId = await submit(ctx, customer.key, withPrompt('[sim:ms=3000]'));
    let seen: { status: string; progress: string; start_time: number } | undefined;
    for (let i = 0; i < 100 && seen?.status !== 'IN_PROGRESS'; i++) {
      seen = (await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: customer.key })).body.data;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen?.status).toBe('IN_PROGRESS');
    expect(seen?.start_time).toBeGreaterThan(0);
    const percent = Number(seen?.progress.replace('%', ''));
    expect(percent).toBeGreaterThanOrEqual(20);
    expect(percent).toBeLessThan(100);
    const openai = await ctx.http('GET', `/v1/videos/${taskId}`, { token: customer.key });
    expect(openai.body.status).toBe('in_progress');
    await waitForFinal(ctx, customer.key, taskId);
  });
});

describe('faults', () => {
  async function failedOnce(prompt: string, reason: string | RegExp) {
    const before = await balanceOf(ctx.http, customer.userId);
    const taskId = await submit(ctx, customer.key, withPrompt(prompt));
    const task = await waitForFinal(ctx, customer.key, taskId);
    expect(task.status).toBe('FAILURE');
    expect(task.progress).toBe('100%');
    if (typeof reason === 'string') expect(task.fail_reason).toBe(reason);
    else expect(task.fail_reason).toMatch(reason);
    expect(task.quota).toBe(0);
    const logs = await logsOf(taskId);
    expect(logs.filter((l) => l.type === 6).map((l) => l.quota)).toEqual([250_000]);
    expect(await balanceOf(ctx.http, customer.userId)).toEqual(before);
    const openai = await ctx.http('GET', `/v1/videos/${taskId}`, { token: customer.key });
    expect(openai.body.status).toBe('failed');
    return { task, openai: openai.body };
  }

  it('[sim:fail=CODE] ends FAILURE with "CODE: message" and one refund', async () => {
    const { openai } = await failedOnce('[sim:fail=DataInspectionFailed]', 'DataInspectionFailed: Input or output data may contain inappropriate content.');
    expect(openai.error).toEqual({ code: 'DataInspectionFailed', message: 'Input or output data may contain inappropriate content.' });
  });

  it('[sim:fail] without a code still ends FAILURE with a reason', async () => {
    await failedOnce('[sim:fail]', /^UpstreamFailed: /);
  });

  it('[sim:reject=400:InvalidParameter] fails at submit with one refund', async () => {
    const { task } = await failedOnce('[sim:reject=400:InvalidParameter]', /^InvalidParameter: /);
    expect(task.data.code).toBe('InvalidParameter');
  });

  it('[sim:unknown] fails after the grace period with one refund', async () => {
    const { task } = await failedOnce('[sim:unknown]', 'UNKNOWN: the upstream no longer knows this task');
    expect(task.data.output.task_status).toBe('UNKNOWN');
  });

  it('[sim:flaky=N] is retried through to SUCCESS without a refund', async () => {
    const taskId = await submit(ctx, customer.key, withPrompt('[sim:flaky=3]'));
    const task = await waitForFinal(ctx, customer.key, taskId);
    expect(task.status).toBe('SUCCESS');
    expect((await logsOf(taskId)).filter((l) => l.type === 6)).toEqual([]);
  });

  it('[sim:ms=N] keeps the task running for about N ms', async () => {
    const started = Date.now();
    const taskId = await submit(ctx, customer.key, withPrompt('[sim:ms=1500]'));
    const task = await waitForFinal(ctx, customer.key, taskId);
    expect(task.status).toBe('SUCCESS');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  });
});

describe('channels', () => {
  it('disables a channel the upstream refuses (InvalidApiKey) and moves the task to the next one', async () => {
    const broken = await ctx.addChannel({ name: 'revoked account', api_key: 'sk-revoked', priority: 10 });
    try {
      const taskId = await submit(ctx, customer.key, specExamples.t2v);
      const task = await waitForFinal(ctx, customer.key, taskId);
      expect(task.status).toBe('SUCCESS');
      expect(task.channel_id).not.toBe(broken.id);
      const row = await ctx.db.selectFrom('channels').selectAll().where('id', '=', broken.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('auto_disabled');
      expect(row.statusReason).toMatch(/^InvalidApiKey: /);
      expect((await logsOf(taskId)).filter((l) => l.type === 6)).toEqual([]);
    } finally {
      await ctx.db.updateTable('channels').set({ status: 'disabled' }).where('id', '=', broken.id).execute();
      await ctx.bus.publish({ kind: 'channels' });
    }
  });

  it('sends the upstream the mapped model name', async () => {
    const mapped = await ctx.addChannel({ name: 'mapped', priority: 20, model_mapping: { 'wan2.7-t2v': 'wan2.7-t2v-2026-04-25' } });
    try {
      const taskId = await submit(ctx, customer.key, specExamples.t2v);
      const task = await waitForFinal(ctx, customer.key, taskId);
      expect(task).toMatchObject({ status: 'SUCCESS', channel_id: mapped.id });
      expect(task.properties).toEqual(expect.objectContaining({ upstream_model_name: 'wan2.7-t2v-2026-04-25', origin_model_name: 'wan2.7-t2v' }));
    } finally {
      await ctx.db.updateTable('channels').set({ status: 'disabled' }).where('id', '=', mapped.id).execute();
      await ctx.bus.publish({ kind: 'channels' });
    }
  });
});

describe("the upstream's own times", () => {
  it('reports when DashScope started and ended a run too short for any poll to see', async () => {
    // The first look comes a second after submit; the task has finished upstream long before.
    const slowPolls = await createGatewayContext({ env: { POLL_FIRST_DELAY_MS: '1000', POLL_INTERVAL_MS: '1000' } });
    try {
      const who = await createCustomer(slowPolls.http, 10_000_000);
      const taskId = await submit(slowPolls, who.key, { ...specExamples.t2v, prompt: '[sim:ms=100] a cat' });
      const task = await waitForFinal(slowPolls, who.key, taskId);
      expect(task.status).toBe('SUCCESS');
      const seconds = (text: string) => Math.floor(Date.parse(`${text.replace(' ', 'T')}+08:00`) / 1000);
      expect(task.start_time).toBe(seconds(task.data.output.scheduled_time));
      expect(task.finish_time).toBe(seconds(task.data.output.end_time));
      expect(task.finish_time).toBeGreaterThanOrEqual(task.start_time);
    } finally {
      await slowPolls.close();
    }
  });
});
