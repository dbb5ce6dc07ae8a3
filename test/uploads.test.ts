// Images that come with a request (a multipart input_reference file, or a data: URI in a JSON
// body) are kept in storage, and the task's request holds a reference to them. Nothing is written
// before the request has been validated and priced and the customer can pay for it; an image
// whose charge was refused is removed again. Form fields have limits of their own.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from './helpers/factories.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60, 7), Buffer.from([0xff, 0xd9])]);
const UPLOAD_LIMIT = 4_096;

let ctx: TestContext;
let rich: Customer;
let broke: Customer;

beforeAll(async () => {
  ctx = await createTestContext({ UPLOAD_LIMIT_BYTES: String(UPLOAD_LIMIT) });
  rich = await createCustomer(ctx.http, 100_000_000);
  broke = await createCustomer(ctx.http, 0);
});
afterAll(() => ctx.close());

async function storedUploads(): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of ctx.storage.list('uploads/')) keys.push(object.key);
  return keys.sort();
}

beforeEach(async () => {
  for (const key of await storedUploads()) await ctx.storage.delete(key);
});

type Part = { name: string; value: string } | { name: string; file: Buffer };
const BOUNDARY = 'uploadstestboundary';
function form(parts: Part[]): Uint8Array {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('file' in part) {
      chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`), part.file, Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return new Uint8Array(Buffer.concat(chunks));
}
const postForm = (key: string, parts: Part[], headers: Record<string, string> = {}) =>
  ctx.http('POST', '/v1/videos', { token: key, raw: form(parts), headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers } });

const dataUri = (bytes: Buffer, type = 'image/png') => `data:${type};base64,${bytes.toString('base64')}`;
const requestOf = async (taskId: string) => (await ctx.db.selectFrom('tasks').select('request').where('taskId', '=', taskId).executeTakeFirstOrThrow()).request as { media: { type: string; url: string }[] };

describe('an uploaded input_reference file', () => {
  it('is stored under the task and referenced by its request', async () => {
    const res = await postForm(rich.key, [{ name: 'prompt', value: 'a cat' }, { name: 'input_reference', file: PNG }]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const key = `uploads/${res.body.id}-0.png`;
    expect((await requestOf(res.body.id)).media).toEqual([{ type: 'first_frame', url: `upload://${key}` }]);
    expect(await storedUploads()).toEqual([key]);
  });

  it('is not written when the customer cannot pay', async () => {
    const res = await postForm(broke.key, [{ name: 'prompt', value: 'a cat' }, { name: 'input_reference', file: PNG }]);
    expect(res.status, JSON.stringify(res.body)).toBe(402);
    expect(await storedUploads()).toEqual([]);
  });

  it('is not written when the request is invalid', async () => {
    const res = await postForm(rich.key, [{ name: 'model', value: 'wan2.7-i2v' }, { name: 'duration', value: '99' }, { name: 'input_reference', file: PNG }]);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(await storedUploads()).toEqual([]);
  });

  it('is removed again when an Idempotency-Key replay returns the first task', async () => {
    const headers = { 'idempotency-key': `upload-replay-${Date.now()}` };
    const parts = [{ name: 'prompt', value: 'the same frame' }, { name: 'input_reference', file: PNG }];
    const first = await postForm(rich.key, parts, headers);
    const second = await postForm(rich.key, parts, headers);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await storedUploads()).toEqual([`uploads/${first.body.id}-0.png`]);
  });
});

describe('form fields', () => {
  it('longer than 64 KiB are a 413 naming the field, not silently cut', async () => {
    const res = await postForm(rich.key, [{ name: 'model', value: 'wan2.7-t2v' }, { name: 'prompt', value: 'x'.repeat(65 * 1024) }]);
    expect(res.status, JSON.stringify(res.body)).toBe(413);
    expect(res.body.error).toMatchObject({ param: 'prompt', message: 'form field prompt is larger than the 65536-byte limit of a text field; send images as the input_reference file' });
  });

  it('more than 64 of them are a 413', async () => {
    const parts = Array.from({ length: 65 }, (_, i) => ({ name: `metadata[x${i}]`, value: '1' }));
    const res = await postForm(rich.key, [{ name: 'prompt', value: 'a cat' }, ...parts]);
    expect(res.status, JSON.stringify(res.body)).toBe(413);
    expect(res.body.error.message).toMatch(/too many fields/);
  });
});

describe('a data: image in a JSON body', () => {
  it('is stored at submit, so the request holds a reference and not the base64', async () => {
    const body = { ...specExamples.r2v, metadata: { input: { media: [{ type: 'reference_image', url: dataUri(PNG) }, { type: 'reference_image', url: dataUri(JPEG, 'image/jpeg') }] } } };
    const res = await ctx.http('POST', '/v1/video/generations', { token: rich.key, body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const id = res.body.id as string;
    expect((await requestOf(id)).media).toEqual([
      { type: 'reference_image', url: `upload://uploads/${id}-0.png` },
      { type: 'reference_image', url: `upload://uploads/${id}-1.jpg` },
    ]);
    const stored = await ctx.storage.get(`uploads/${id}-1.jpg`);
    expect(stored?.contentType).toBe('image/jpeg');
    expect(stored?.bytes).toBe(JPEG.length);
  });

  it('that is not an image is a 400 naming it, and nothing is stored', async () => {
    const res = await ctx.http('POST', '/v1/videos', { token: rich.key, body: { ...specExamples.i2v, input_reference: dataUri(Buffer.from('%PDF-1.7 not an image')) } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatchObject({ param: 'input_reference', message: 'input_reference is a data: URI whose content is not a PNG, JPEG, WEBP or BMP image' });
    expect(await storedUploads()).toEqual([]);
  });

  it('over UPLOAD_LIMIT_BYTES is a 413 naming it', async () => {
    const big = Buffer.concat([PNG, Buffer.alloc(UPLOAD_LIMIT)]);
    const res = await ctx.http('POST', '/v1/video/generations', { token: rich.key, body: { ...specExamples.i2v, input_reference: dataUri(big) } });
    expect(res.status, JSON.stringify(res.body)).toBe(413);
    expect(res.body.message).toBe(`input_reference is an image of ${big.length} bytes; the limit is ${UPLOAD_LIMIT}`);
  });

  it('is not stored when the customer cannot pay', async () => {
    const before = await balanceOf(ctx.http, broke.userId);
    const res = await ctx.http('POST', '/v1/video/generations', { token: broke.key, body: { ...specExamples.i2v, input_reference: dataUri(PNG) } });
    expect(res.status, JSON.stringify(res.body)).toBe(402);
    expect(await storedUploads()).toEqual([]);
    expect(await balanceOf(ctx.http, broke.userId)).toEqual(before);
  });
});
