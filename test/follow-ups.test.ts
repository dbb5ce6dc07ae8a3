// What happens after a task ends, through the gateway's own worker: the video is copied into the
// gateway's storage and outlives the upstream's link; the callback URL (the request's, or the
// key's) receives one signed webhook that the official SDK verifies.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from './helpers/context.ts';
import { skipWithoutFfmpeg } from './helpers/ffmpeg.ts';
import { createUser, specExamples } from './helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from './helpers/gateway.ts';
import { taskRow } from './helpers/rows.ts';
import { until } from './helpers/until.ts';
import { type Receiver, startReceiver } from './webhooks/receiver.ts';

let ctx: GatewayContext;
let receiver: Receiver;
let key: string;
let secret: string;

const SAMPLE_MP4 = new URL('../src/simulator/assets/sample.mp4', import.meta.url);
const SOON = { timeoutMs: 15_000 };
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  // The simulator forgets tasks, and its links expire, 3 s after they end.
  ctx = await createGatewayContext({ simulator: { retentionS: 3 }, env: { WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true' } });
  receiver = await startReceiver();
  const user = await createUser(ctx.http, { quota: 100_000_000 });
  const created = await ctx.http('POST', '/admin/keys', { token: ADMIN_TOKEN, body: { user_id: user.id, callback_url: receiver.url } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  ({ key, webhook_secret: secret } = created.body);
});
afterAll(async () => {
  await receiver.close();
  await ctx.close();
});

describe('durable results', () => {
  it('copies the video, hands out the gateway\'s own link, and serves it after the upstream forgot the task', async () => {
    const taskId = await submit(ctx, key, specExamples.t2v);
    await waitForFinal(ctx, key, taskId);
    const row = await until(async () => {
      const task = await taskRow(ctx.db, taskId);
      return task.resultCopy === 'stored' ? task : undefined;
    }, 'the copy', SOON);
    const original = await readFile(SAMPLE_MP4);
    expect(Number(row.resultBytes)).toBe(original.length);
    expect(row.resultSha256).toBe(sha256(original));

    // Outlive the upstream: its link expires and it answers UNKNOWN for the task.
    await new Promise((r) => setTimeout(r, 4_000));
    const upstream = await fetch(row.resultUrl);
    expect(upstream.status).toBe(403);

    const record = await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: key });
    expect(record.body.data.result_url.startsWith(`${ctx.baseUrl}/files/`)).toBe(true);
    const plain = await fetch(record.body.data.result_url);
    expect(plain.status).toBe(200);
    expect(sha256(new Uint8Array(await plain.arrayBuffer()))).toBe(sha256(original));

    const client = new OpenAI({ apiKey: key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    const content = await client.videos.downloadContent(taskId);
    expect(sha256(new Uint8Array(await content.arrayBuffer()))).toBe(sha256(original));
    const video = await client.videos.retrieve(taskId);
    expect(video.expires_at).toBe(Math.floor(row.resultExpiresAt!.getTime() / 1000));
  });

  it('makes a thumbnail of the copy, served as variant=thumbnail', async ({ skip }) => {
    skipWithoutFfmpeg(skip);
    const taskId = await submit(ctx, key, specExamples.t2v);
    await waitForFinal(ctx, key, taskId);
    const row = await until(async () => {
      const task = await taskRow(ctx.db, taskId);
      return task.resultCopy === 'stored' ? task : undefined;
    }, 'the copy', SOON);
    expect(row.thumbnailKey).toMatch(/^results\/.+\.(webp|jpg)$/);
    const client = new OpenAI({ apiKey: key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    const thumbnail = await client.videos.downloadContent(taskId, { variant: 'thumbnail' });
    expect(thumbnail.headers.get('content-type')).toMatch(/^image\/(webp|jpeg)$/);
    expect((await thumbnail.arrayBuffer()).byteLength).toBeGreaterThan(100);
  });

  it('serves byte ranges of the copy', async () => {
    const taskId = await submit(ctx, key, specExamples.i2v);
    await waitForFinal(ctx, key, taskId);
    await until(async () => ((await taskRow(ctx.db, taskId)).resultCopy === 'stored' ? true : undefined), 'the copy', SOON);
    const res = await ctx.http('GET', `/v1/videos/${taskId}/content`, { token: key, headers: { range: 'bytes=0-99' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    const beyond = await ctx.http('GET', `/v1/videos/${taskId}/content`, { token: key, headers: { range: 'bytes=999999999-' } });
    expect(beyond.status).toBe(416);
    const size = (await readFile(SAMPLE_MP4)).length;
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
    const tail = await ctx.http('GET', `/v1/videos/${taskId}/content`, { token: key, headers: { range: 'bytes=-100' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${size - 100}-${size - 1}/${size}`);
    // A range that makes no sense is ignored, as HTTP says: the whole video.
    const backwards = await ctx.http('GET', `/v1/videos/${taskId}/content`, { token: key, headers: { range: 'bytes=5-2' } });
    expect(backwards.status).toBe(200);
    expect(backwards.headers.get('content-length')).toBe(String(size));
  });
});

describe('webhooks', () => {
  it("sends the key's default callback one signed webhook per final task, which the SDK verifies", async () => {
    const ok = await submit(ctx, key, specExamples.t2v);
    const failed = await submit(ctx, key, { ...specExamples.t2v, prompt: '[sim:fail=DataInspectionFailed] a cat' });
    await waitForFinal(ctx, key, ok);
    await waitForFinal(ctx, key, failed);
    const client = new OpenAI({ apiKey: 'unused', webhookSecret: secret });
    for (const [taskId, type] of [[ok, 'task.succeeded'], [failed, 'task.failed']] as const) {
      const [hook] = await until(async () => (receiver.forTask(taskId).length ? receiver.forTask(taskId) : undefined), `the webhook of ${taskId}`, SOON);
      const event = (await client.webhooks.unwrap(hook!.body, hook!.headers as Record<string, string>)) as unknown as { type: string; data: { task_id: string; status: string } };
      expect(event.type).toBe(type);
      expect(event.data).toMatchObject({ task_id: taskId, status: type === 'task.succeeded' ? 'SUCCESS' : 'FAILURE' });
      // A success is reported with the gateway's own copy, not the upstream's 24-hour link.
      if (type === 'task.succeeded') expect((event.data as { result_url?: string }).result_url).toMatch(new RegExp(`^${ctx.baseUrl}/files/results/${taskId}\\.mp4\\?`));
      const deliveries = await ctx.http('GET', `/admin/webhooks?task_id=${taskId}`, { token: ADMIN_TOKEN });
      expect(deliveries.body.data).toEqual([expect.objectContaining({ task_id: taskId, delivered: true, status_code: 200, attempt: 1 })]);
    }
    expect(receiver.forTask(ok)).toHaveLength(1);
  });

  it("sends a request's own callback_url instead of the key's", async () => {
    const other = await startReceiver();
    try {
      const taskId = await submit(ctx, key, { ...specExamples.t2v, callback_url: other.url });
      await waitForFinal(ctx, key, taskId);
      await until(async () => (other.forTask(taskId).length ? true : undefined), 'the webhook', SOON);
      expect(receiver.forTask(taskId)).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('refuses a callback_url the gateway must not call', async () => {
    const strict = await createGatewayContext();
    try {
      const user = await createUser(strict.http, { quota: 1_000_000 });
      const created = await strict.http('POST', '/admin/keys', { token: ADMIN_TOKEN, body: { user_id: user.id } });
      const res = await strict.http('POST', '/v1/video/generations', { token: created.body.key, body: { ...specExamples.t2v, callback_url: 'http://127.0.0.1:9/hook' } });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/callback_url/);
      expect((await strict.http('POST', '/v1/video/generations', { token: created.body.key, body: { ...specExamples.t2v, callback_url: 'ftp://x/y' } })).status).toBe(400);
    } finally {
      await strict.close();
    }
  });
});
