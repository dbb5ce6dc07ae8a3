// POST /v1/videos with multipart/form-data bodies the SDK would never send: each is a 4xx that
// says what to fix, never a 5xx, and none of them charges anything or creates a task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, type Customer } from './helpers/factories.ts';
import { countRows, taskRow } from './helpers/rows.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const UPLOAD_LIMIT = 4_096;

let ctx: TestContext;
let customer: Customer;

beforeAll(async () => {
  ctx = await createTestContext({ UPLOAD_LIMIT_BYTES: String(UPLOAD_LIMIT) });
  customer = await createCustomer(ctx.http, 10_000_000);
});
afterAll(() => ctx.close());

type Part = { name: string; value: string } | { name: string; file: Buffer; filename?: string; type?: string };

/** A multipart body written by hand, so it can be wrong in ways FormData cannot. */
function formBody(parts: Part[], boundary = 'gatewaytestboundary'): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('file' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename ?? 'upload.bin'}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`));
      chunks.push(part.file, Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const post = (raw: Buffer | string, contentType = 'multipart/form-data; boundary=gatewaytestboundary', path = '/v1/videos') =>
  ctx.http('POST', path, { token: customer.key, raw: typeof raw === 'string' ? raw : new Uint8Array(raw), headers: { 'content-type': contentType } });

async function expectRejected(res: Awaited<ReturnType<typeof post>>, status: number, message: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.message).toMatch(message);
}

describe('a multipart create', () => {
  it('works when well formed, with bracketed fields and metadata as JSON', async () => {
    const res = await post(formBody([
      { name: 'prompt', value: 'a cat' },
      { name: 'seconds', value: '4' },
      { name: 'size', value: '720x1280' },
      { name: 'metadata', value: '{"seed": 7}' },
      { name: 'input_reference', file: PNG, filename: 'frame.png', type: 'image/png' },
    ]));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ model: 'wan2.7-i2v', seconds: '4', size: '720x1280' });
    const task = await taskRow(ctx.db, res.body.id);
    expect(task.request).toMatchObject({ seed: 7, resolution: '720P' });
  });

  it('is taken by /v1/video/generations too, answered in its own shape', async () => {
    const res = await post(formBody([{ name: 'model', value: 'wan2.7-t2v' }, { name: 'prompt', value: 'a cat' }, { name: 'duration', value: '5' }]), undefined, '/v1/video/generations');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ object: 'video', model: 'wan2.7-t2v', status: 'queued', progress: 0 });
  });
});

describe('a broken multipart create', () => {
  let before: { quota: number };
  beforeAll(async () => {
    before = await balanceOf(ctx.http, customer.userId);
  });
  afterAll(async () => {
    expect(await balanceOf(ctx.http, customer.userId)).toEqual(before);
  });

  it('that breaks off midway is a 400', async () => {
    const whole = formBody([{ name: 'prompt', value: 'a cat' }, { name: 'seconds', value: '4' }]);
    await expectRejected(await post(whole.subarray(0, whole.length - 30)), 400, /multipart\/form-data body could not be read/);
  });

  it('without a boundary is a 400', async () => {
    await expectRejected(await post(formBody([{ name: 'prompt', value: 'a cat' }]), 'multipart/form-data'), 400, /multipart/);
  });

  it('with a file over UPLOAD_LIMIT_BYTES is a 413', async () => {
    const big = Buffer.concat([PNG, Buffer.alloc(UPLOAD_LIMIT + 1)]);
    await expectRejected(await post(formBody([{ name: 'prompt', value: 'a cat' }, { name: 'input_reference', file: big }])), 413, /input_reference is larger than the 4096-byte limit/);
  });

  it('with two files, or a file in another field, is a 400', async () => {
    const two = formBody([{ name: 'input_reference', file: PNG }, { name: 'input_reference', file: PNG }]);
    await expectRejected(await post(two), 400, /at most one file/);
    await expectRejected(await post(formBody([{ name: 'prompt', file: PNG }])), 400, /only input_reference takes a file/);
  });

  it('with a file that is no image is a 400', async () => {
    await expectRejected(await post(formBody([{ name: 'prompt', value: 'a cat' }, { name: 'input_reference', file: Buffer.from('%PDF-1.7 ...') }])), 400, /must be a PNG, JPEG, WEBP or BMP image/);
  });

  it('with metadata that is not a JSON object, or a field named __proto__, is a 400', async () => {
    await expectRejected(await post(formBody([{ name: 'prompt', value: 'a cat' }, { name: 'metadata', value: '{seed' }])), 400, /metadata must be a JSON object/);
    await expectRejected(await post(formBody([{ name: 'prompt', value: 'a cat' }, { name: '__proto__[x]', value: '1' }])), 400, /not allowed/);
  });

  it('with a body type that is neither JSON nor a form is a 415', async () => {
    await expectRejected(await post('prompt=a+cat', 'application/x-www-form-urlencoded'), 415, /send the body as application\/json or multipart\/form-data/);
  });

  it('leaves no task behind', async () => {
    expect(await countRows(ctx.db, 'tasks', { userId: customer.userId })).toBe(2);
  });
});
