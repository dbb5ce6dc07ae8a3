// The submit and query endpoints, field for field as the spec shows them, and what a submit costs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from './helpers/factories.ts';
import { taskRow } from './helpers/rows.ts';

let ctx: TestContext;
let customer: Customer;

beforeAll(async () => {
  ctx = await createTestContext();
  customer = await createCustomer(ctx.http, 100_000_000);
});
afterAll(() => ctx.close());

const submit = (body: unknown, path = '/v1/video/generations', key = customer.key) =>
  ctx.http('POST', path, { token: key, body });

const TASK_ID = /^task_[A-Za-z0-9]{32}$/;

describe('the spec t2v example', () => {
  let taskId: string;
  let submitted: Record<string, unknown>;
  let before: { quota: number; used_quota: number };
  let after: { quota: number; used_quota: number };

  beforeAll(async () => {
    before = await balanceOf(ctx.http, customer.userId);
    const res = await submit(specExamples.t2v);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    submitted = res.body;
    taskId = res.body.id;
    after = await balanceOf(ctx.http, customer.userId);
  });

  it('answers with the documented submit response', () => {
    expect(Object.keys(submitted).sort()).toEqual(['created_at', 'id', 'model', 'object', 'progress', 'status', 'task_id']);
    expect(submitted).toMatchObject({ object: 'video', model: 'wan2.7-t2v', status: 'queued', progress: 0 });
    expect(taskId).toMatch(TASK_ID);
    expect(submitted.task_id).toBe(taskId);
    expect(Math.abs((submitted.created_at as number) - Date.now() / 1000)).toBeLessThan(10);
  });

  it('charges 250,000 quota and records a consume log', async () => {
    expect(before.quota - after.quota).toBe(250_000);
    expect(after.used_quota - before.used_quota).toBe(250_000);
    const logs = await ctx.http('GET', `/admin/logs?task_id=${taskId}`, { token: ADMIN_TOKEN });
    expect(logs.body.data).toHaveLength(1);
    expect(logs.body.data[0]).toMatchObject({
      type: 2,
      quota: 250_000,
      user_id: customer.userId,
      key_id: customer.keyId,
      model: 'wan2.7-t2v',
      task_id: taskId,
    });
  });

  it('shows the full task record on GET /v1/video/generations/{task_id}', async () => {
    const res = await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: customer.key });
    expect(res.status).toBe(200);
    expect(res.body.code).toBe('success');
    expect(res.body.message).toBe('');
    const data = res.body.data;
    expect(Object.keys(data).sort()).toEqual(
      [
        'action', 'channel_id', 'created_at', 'data', 'fail_reason', 'finish_time', 'group', 'id', 'platform', 'progress',
        'properties', 'quota', 'result_url', 'start_time', 'status', 'submit_time', 'task_id', 'updated_at', 'user_id',
      ].sort(),
    );
    expect(data).toMatchObject({
      task_id: taskId,
      platform: '17',
      user_id: customer.userId,
      group: 'default',
      channel_id: 0,
      quota: 250_000,
      action: 'textGenerate',
      status: 'NOT_START',
      fail_reason: '',
      result_url: '',
      start_time: 0,
      finish_time: 0,
      progress: '0%',
      properties: { input: '', upstream_model_name: 'wan2.7-t2v', origin_model_name: 'wan2.7-t2v' },
      data: {},
    });
    expect(Number.isInteger(data.id)).toBe(true);
    for (const field of ['submit_time', 'created_at', 'updated_at']) {
      expect(Number.isInteger(data[field])).toBe(true);
      expect(Math.abs(data[field] - Date.now() / 1000)).toBeLessThan(10);
    }
  });

  it('shows the OpenAI Video object on GET /v1/videos/{task_id}', async () => {
    const res = await ctx.http('GET', `/v1/videos/${taskId}`, { token: customer.key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: taskId,
      object: 'video',
      model: 'wan2.7-t2v',
      status: 'queued',
      progress: 0,
      completed_at: null,
      expires_at: null,
      error: null,
      prompt: specExamples.t2v.prompt,
      remixed_from_video_id: null,
      seconds: '5',
      size: '1280x720',
    });
    expect(Number.isInteger(res.body.created_at)).toBe(true);
  });

  it('leaves the task for the dispatcher in the same commit, without touching the queue', async () => {
    const row = await ctx.db.selectFrom('taskDispatch').selectAll().where('taskId', '=', taskId).executeTakeFirst();
    expect(row).toMatchObject({ taskId });
    expect(await ctx.queues.tasks.queue.getJob(taskId)).toBeUndefined();
  });

  it('stores the normalized request and the frozen price for the worker', async () => {
    const row = await taskRow(ctx.db, taskId);
    expect(row.request).toMatchObject({
      model: 'wan2.7-t2v',
      capability: 't2v',
      prompt: specExamples.t2v.prompt,
      resolution: '720P',
      duration: 5,
      ratio: '16:9',
      seed: 42,
      media: [],
      billed_seconds: 5,
    });
    expect(row.priceSnapshot).toEqual({
      model: 'wan2.7-t2v',
      price_per_second: '0.1',
      quota_per_unit: 500_000,
      group: 'default',
      group_ratio: '1',
      resolution: '720P',
      resolution_ratio: '1',
      seconds: 5,
      quota: 250_000,
    });
  });
});

describe('billing at submit', () => {
  async function charged(body: Record<string, unknown>, who: Customer = customer): Promise<number> {
    const before = await balanceOf(ctx.http, who.userId);
    const res = await submit(body, '/v1/video/generations', who.key);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const after = await balanceOf(ctx.http, who.userId);
    const record = await ctx.http('GET', `/v1/video/generations/${res.body.id}`, { token: who.key });
    expect(record.body.data.quota).toBe(before.quota - after.quota);
    return before.quota - after.quota;
  }

  it('720P × 5 s = 250,000', async () => {
    expect(await charged({ model: 'wan2.7-t2v', prompt: 'a', resolution: '720P', duration: 5 })).toBe(250_000);
  });

  it('1080P × 10 s = 750,000', async () => {
    expect(await charged({ model: 'wan2.7-t2v', prompt: 'a', resolution: '1080P', duration: 10 })).toBe(750_000);
  });

  it('defaults to 720P and 5 seconds', async () => {
    expect(await charged({ model: 'wan2.7-t2v', prompt: 'a' })).toBe(250_000);
  });

  it('takes size as an alias of resolution, and resolution wins over it', async () => {
    expect(await charged({ model: 'wan2.7-t2v', prompt: 'a', size: '1080P', duration: 2 })).toBe(150_000);
    expect(await charged({ model: 'wan2.7-t2v', prompt: 'a', size: '1080P', resolution: '720P', duration: 2 })).toBe(100_000);
  });

  it('applies the group ratio', async () => {
    await ctx.db.insertInto('groups').values({ name: 'vip', ratio: '0.8' }).execute();
    await ctx.bus.publish({ kind: 'catalog' });
    const vip = await createCustomer(ctx.http, 10_000_000, { group: 'vip' });
    expect(await charged({ model: 'wan2.7-t2v', prompt: 'a', resolution: '1080P', duration: 10 }, vip)).toBe(600_000);
  });

  it('charges videoedit for 15 s at submit, whatever duration says', async () => {
    expect(await charged({ ...specExamples.videoedit })).toBe(750_000);
    expect(await charged({ ...specExamples.videoedit, resolution: '1080P', duration: 3 })).toBe(1_125_000);
  });

  it('prices the i2v and r2v examples by their duration', async () => {
    expect(await charged({ ...specExamples.i2v })).toBe(250_000);
    expect(await charged({ ...specExamples.r2v })).toBe(250_000);
  });
});

describe('the other spec examples', () => {
  it.each([
    ['i2v', 'generate'],
    ['r2v', 'referenceGenerate'],
    ['videoedit', 'videoEdit'],
  ] as const)('accepts the %s example and records action %s', async (name, action) => {
    const res = await submit(specExamples[name]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const record = await ctx.http('GET', `/v1/video/generations/${res.body.id}`, { token: customer.key });
    expect(record.body.data).toMatchObject({ action, status: 'NOT_START', progress: '0%' });
  });

  it('infers media types from the extensions of images', async () => {
    const res = await submit(specExamples.videoedit);
    const row = await taskRow(ctx.db, res.body.id);
    expect((row.request as { media: unknown }).media).toEqual([
      { type: 'video', url: specExamples.videoedit.images[0] },
      { type: 'reference_image', url: specExamples.videoedit.images[1] },
    ]);
  });

  it('passes metadata fields it does not interpret through to the upstream parameters', async () => {
    const res = await submit({ ...specExamples.t2v, metadata: { ...specExamples.t2v.metadata, prompt_extend: false, watermark: true, input: { audio_url: 'https://x.test/a.mp3' } } });
    expect(res.status).toBe(200);
    const row = await taskRow(ctx.db, res.body.id);
    expect(row.request).toMatchObject({ parameters: { prompt_extend: false, watermark: true }, input: { audio_url: 'https://x.test/a.mp3' } });
  });
});

describe('POST /v1/videos', () => {
  it('takes the same body and answers with the same submit fields plus the OpenAI Video object', async () => {
    const res = await submit(specExamples.t2v, '/v1/videos');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'video', model: 'wan2.7-t2v', status: 'queued', progress: 0 });
    expect(res.body.id).toMatch(TASK_ID);
    expect(res.body.task_id).toBe(res.body.id);
    for (const key of ['completed_at', 'expires_at', 'error', 'prompt', 'remixed_from_video_id', 'seconds', 'size']) {
      expect(res.body).toHaveProperty(key);
    }
    const record = await ctx.http('GET', `/v1/video/generations/${res.body.id}`, { token: customer.key });
    expect(record.body.data.quota).toBe(250_000);
  });
});

// A submit answers from the row it built in memory (the charge returns only what the database
// made: the id and the times); that row must be the one stored, field for field.
describe('the answer of a submit and the stored task', () => {
  it.each(['t2v', 'i2v', 'r2v', 'videoedit'] as const)('%s: the record answered at once equals the record read back', async (name) => {
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples[name], headers: { prefer: 'wait=0' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const read = await ctx.http('GET', `/v1/video/generations/${res.body.data.task_id}`, { token: customer.key });
    expect(res.body).toEqual(read.body);
  });

  it('the OpenAI video answered at create equals the one read back', async () => {
    const res = await submit(specExamples.t2v, '/v1/videos');
    const read = await ctx.http('GET', `/v1/videos/${res.body.id}`, { token: customer.key });
    // The create answer also carries EasyRouter's task_id.
    const { task_id: _taskId, ...video } = res.body;
    expect(video).toEqual(read.body);
  });
});

describe('visibility', () => {
  it('shows a task only to its owner: any other key gets 404 on both query endpoints', async () => {
    const res = await submit(specExamples.t2v);
    const stranger = await createCustomer(ctx.http, 1_000_000);
    const a = await ctx.http('GET', `/v1/video/generations/${res.body.id}`, { token: stranger.key });
    expect(a.status).toBe(404);
    expect(a.body).toEqual({ code: 'not_found', message: `task ${res.body.id} not found`, data: null });
    const b = await ctx.http('GET', `/v1/videos/${res.body.id}`, { token: stranger.key });
    expect(b.status).toBe(404);
    expect(b.body.error).toMatchObject({ type: 'not_found_error', code: 'not_found' });
  });

  it('lets a second key of the same user see the task', async () => {
    const res = await submit(specExamples.t2v);
    const second = await ctx.http('POST', '/admin/keys', { token: ADMIN_TOKEN, body: { user_id: customer.userId } });
    const get = await ctx.http('GET', `/v1/video/generations/${res.body.id}`, { token: second.body.key });
    expect(get.status).toBe(200);
  });

  it('answers 404 for ids that do not exist', async () => {
    const res = await ctx.http('GET', '/v1/video/generations/task_doesnotexist', { token: customer.key });
    expect(res.status).toBe(404);
  });
});
