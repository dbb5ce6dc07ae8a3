// The official `openai` package, unchanged, with its base URL pointed at the gateway: version 7
// (creates are always multipart/form-data) and version 6.27 (JSON creates when there is no file).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import OpenAI, { toFile } from 'openai';
import OpenAI6 from 'openai6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { balanceOf, createCustomer, type Customer } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';

let ctx: GatewayContext;
let customer: Customer;
let client: OpenAI;
let client6: OpenAI6;

const SAMPLE_MP4 = new URL('../../src/simulator/assets/sample.mp4', import.meta.url);
// The smallest valid PNG (1×1); DashScope would refuse so small a first frame, the simulator takes it.
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

const VIDEO_KEYS = ['completed_at', 'created_at', 'error', 'expires_at', 'id', 'model', 'object', 'progress', 'prompt', 'remixed_from_video_id', 'seconds', 'size', 'status'];

beforeAll(async () => {
  ctx = await createGatewayContext();
  customer = await createCustomer(ctx.http, 1_000_000_000);
  client = new OpenAI({ apiKey: customer.key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
  client6 = new OpenAI6({ apiKey: customer.key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
});
afterAll(() => ctx.close());

async function untilDone(id: string): Promise<OpenAI.Videos.Video> {
  return until(async () => {
    const video = await client.videos.retrieve(id);
    return video.status === 'completed' || video.status === 'failed' ? video : undefined;
  }, `the end of video ${id}`);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('create, poll, download and delete with openai 7', () => {
  let video: OpenAI.Videos.Video;

  beforeAll(async () => {
    video = await client.videos.create({ model: 'wan2.7-t2v', prompt: 'a cat walks on a wall', seconds: '8', size: '1280x720' });
  });

  it('creates a video from a multipart request and answers with every key the SDK types', () => {
    expect(Object.keys(video)).toEqual(expect.arrayContaining(VIDEO_KEYS));
    expect(video).toMatchObject({ object: 'video', model: 'wan2.7-t2v', status: 'queued', progress: 0, seconds: '8', size: '1280x720', prompt: 'a cat walks on a wall' });
    expect(video.completed_at).toBeNull();
    expect(video.error).toBeNull();
    expect(video.remixed_from_video_id).toBeNull();
  });

  it('charged 8 s at 720P', async () => {
    const logs = await ctx.http('GET', `/admin/logs?task_id=${video.id}`, { token: ADMIN_TOKEN });
    expect(logs.body.data).toEqual([expect.objectContaining({ type: 2, quota: 400_000 })]);
  });

  it('tells the SDK to ask again after one poll interval while the video is unfinished', async () => {
    const { data, response } = await client.videos.retrieve(video.id).withResponse();
    expect(['queued', 'in_progress']).toContain(data.status);
    expect(response.headers.get('openai-poll-after-ms')).toBe(String(ctx.config.POLL_INTERVAL_MS));
  });

  it('completes, with the link and the expiry filled in', async () => {
    const done = await untilDone(video.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect(done.completed_at).toEqual(expect.any(Number));
    expect(done.expires_at).toEqual(expect.any(Number));
    expect((done as unknown as { metadata: { url: string } }).metadata.url).toMatch(/^http/);
  });

  it('downloads the MP4 with downloadContent, byte for byte', async () => {
    const response = await client.videos.downloadContent(video.id);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(sha256(bytes)).toBe(sha256(await readFile(SAMPLE_MP4)));
  });

  it('deletes it: 200 with a body, then NotFoundError', async () => {
    const deleted = await client.videos.delete(video.id);
    expect(deleted).toEqual({ id: video.id, object: 'video.deleted', deleted: true });
    await expect(client.videos.retrieve(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.videos.downloadContent(video.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('input_reference', () => {
  it('takes an uploaded image file (sent as application/octet-stream) and defaults to wan2.7-i2v', async () => {
    const file = await toFile(PNG, 'unknown_file', { type: 'application/octet-stream' });
    const video = await client.videos.create({ prompt: 'the cat turns its head', input_reference: file });
    expect(video.model).toBe('wan2.7-i2v');
    const done = await untilDone(video.id);
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    const task = await ctx.db.selectFrom('tasks').selectAll().where('taskId', '=', video.id).executeTakeFirstOrThrow();
    expect((task.request as { media: { type: string; url: string }[] }).media).toEqual([{ type: 'first_frame', url: `upload://uploads/${video.id}-0.png` }]);
  });

  it('takes an image URL as {image_url} (multipart input_reference[image_url])', async () => {
    const video = await client.videos.create({ prompt: 'the cat jumps', input_reference: { image_url: 'https://cdn.test/first.png' } });
    expect(video.model).toBe('wan2.7-i2v');
    expect((await untilDone(video.id)).status).toBe('completed');
  });

  it('refuses a file that is not an image, with BadRequestError', async () => {
    const file = await toFile(Buffer.from('not an image'), 'x.png');
    const error = await client.videos.create({ prompt: 'x', input_reference: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/input_reference must be a PNG, JPEG, WEBP or BMP image/);
  });

  it('refuses file_id', async () => {
    const error = await client.videos.create({ prompt: 'x', input_reference: { file_id: 'file-123' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('openai 6.27 (JSON creates)', () => {
  it('creates and retrieves with a JSON body, seconds as a string', async () => {
    const video = await client6.videos.create({ model: 'wan2.7-t2v' as never, prompt: 'a dog runs', seconds: '4' });
    expect(video).toMatchObject({ status: 'queued', seconds: '4', size: '1280x720' });
    expect((await client6.videos.retrieve(video.id)).id).toBe(video.id);
  });
});

describe('openai 6.27 (multipart creates)', () => {
  it('uploads an input_reference file and the video completes', async () => {
    const video = await client6.videos.create({ prompt: 'the cat blinks', seconds: '4', input_reference: await toFile(PNG, 'frame.png', { type: 'image/png' }) });
    expect(video).toMatchObject({ model: 'wan2.7-i2v', status: 'queued', seconds: '4' });
    expect((await untilDone(video.id)).status).toBe('completed');
  });
});

describe('list', () => {
  it('pages with after, limit and order, and auto-pagination reaches every video', async () => {
    const other = await createCustomer(ctx.http, 100_000_000);
    const lister = new OpenAI({ apiKey: other.key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await lister.videos.create({ model: 'wan2.7-t2v', prompt: `clip ${i}` })).id);

    const first = await lister.videos.list({ limit: 2 });
    expect(first.data.map((v) => v.id)).toEqual([ids[4], ids[3]]);
    expect(first.has_more).toBe(true);
    const second = await first.getNextPage();
    expect(second.data.map((v) => v.id)).toEqual([ids[2], ids[1]]);

    const seen: string[] = [];
    for await (const video of lister.videos.list({ limit: 2, order: 'asc' })) seen.push(video.id);
    expect(seen).toEqual(ids);

    const raw = await ctx.http('GET', '/v1/videos?limit=2', { token: other.key });
    expect(raw.body).toMatchObject({ object: 'list', first_id: ids[4], last_id: ids[3], has_more: true });
  });

  it("refuses another user's video as a cursor", async () => {
    const mine = await client.videos.create({ model: 'wan2.7-t2v', prompt: 'mine' });
    const other = await createCustomer(ctx.http, 1_000_000);
    const stranger = new OpenAI({ apiKey: other.key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    await expect(stranger.videos.list({ after: mine.id })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('remix', () => {
  it('edits a finished video with wan2.7-videoedit', async () => {
    const original = await client.videos.create({ model: 'wan2.7-t2v', prompt: 'a red car' });
    await untilDone(original.id);
    const remix = await client.videos.remix(original.id, { prompt: 'make the car blue' });
    expect(remix).toMatchObject({ model: 'wan2.7-videoedit', remixed_from_video_id: original.id, prompt: 'make the car blue' });
    expect((await untilDone(remix.id)).status).toBe('completed');
  });

  it('refuses an unfinished video', async () => {
    const pending = await client.videos.create({ model: 'wan2.7-t2v', prompt: '[sim:ms=5000] slow' });
    await expect(client.videos.remix(pending.id, { prompt: 'x' })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('errors the SDK turns into its own classes', () => {
  it('unknown model → BadRequestError with the message', async () => {
    const error = await client.videos.create({ model: 'sora-2', prompt: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toBe('400 unknown model: sora-2');
  });

  it('bad key → AuthenticationError; another user\'s video → NotFoundError; no quota → 402', async () => {
    const bad = new OpenAI({ apiKey: 'sk-nope', baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    await expect(bad.videos.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client.videos.retrieve('task_doesnotexist')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const poor = await createCustomer(ctx.http, 0);
    const broke = new OpenAI({ apiKey: poor.key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    const error = await broke.videos.create({ model: 'wan2.7-t2v', prompt: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
  });
});

describe('retries', () => {
  it('an Idempotency-Key makes a retried create return the same video, charged once', async () => {
    const before = await balanceOf(ctx.http, customer.userId);
    const body = { model: 'wan2.7-t2v', prompt: 'a retried create' } as const;
    const options = { headers: { 'Idempotency-Key': `retry-${Date.now()}` } };
    const [a, b] = await Promise.all([client.videos.create(body, options), client.videos.create(body, options)]);
    expect(a.id).toBe(b.id);
    const after = await balanceOf(ctx.http, customer.userId);
    expect(before.quota - after.quota).toBe(250_000);
  });

  it('with an uploaded file too: the same image and key give the same video', async () => {
    const before = await balanceOf(ctx.http, customer.userId);
    const options = { headers: { 'Idempotency-Key': `upload-${Date.now()}` } };
    const create = async () => client.videos.create({ prompt: 'the same frame', input_reference: await toFile(PNG, 'frame.png') }, options);
    const [a, b] = await Promise.all([create(), create()]);
    expect(a.id).toBe(b.id);
    expect(before.quota - (await balanceOf(ctx.http, customer.userId)).quota).toBe(250_000);
  });
});
