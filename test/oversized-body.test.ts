// A body the gateway refuses (too large, or refused before it was read) must reach clients that
// send the whole body before they read the answer as that answer, not as a broken pipe: Node's
// fetch and Python's http.client (whose connection errors the OpenAI SDKs retry). The gateway
// reads and throws away the rest of such a body, up to BODY_DISCARD_LIMIT_BYTES, then cuts the
// connection.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, type Customer } from './helpers/factories.ts';

const BODY_LIMIT = 64 * 1024;
const UPLOAD_LIMIT = 128 * 1024;
const DISCARD_LIMIT = 24 * 1024 * 1024;
// Larger than what the loopback's socket buffers absorb, so the server must really read it.
const OVERSIZED = 12 * 1024 * 1024;

let ctx: TestContext;
let customer: Customer;

beforeAll(async () => {
  ctx = await createTestContext({
    BODY_LIMIT_BYTES: String(BODY_LIMIT),
    UPLOAD_LIMIT_BYTES: String(UPLOAD_LIMIT),
    BODY_DISCARD_LIMIT_BYTES: String(DISCARD_LIMIT),
  });
  customer = await createCustomer(ctx.http, 10_000_000);
});
afterAll(() => ctx.close());

/** A JSON submit padded to `bytes` with a long prompt. */
const bigJson = (bytes: number) => JSON.stringify({ model: 'wan2.7-t2v', prompt: 'x'.repeat(bytes) });

const BOUNDARY = 'oversizeboundary';
const bigForm = (fileBytes: number) =>
  Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n`),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="input_reference"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
    Buffer.alloc(fileBytes, 1),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);

// Python's standard library sends the whole body, then reads the answer.
const PYTHON = `
import http.client, json, sys
host, port, path, token, content_type, body_file = sys.argv[1:7]
body = open(body_file, 'rb').read()
conn = http.client.HTTPConnection(host, int(port), timeout=30)
try:
    conn.request('POST', path, body=body, headers={'Authorization': 'Bearer ' + token, 'Content-Type': content_type})
    response = conn.getresponse()
    print(json.dumps({'status': response.status, 'body': response.read().decode()}))
except Exception as error:
    print(json.dumps({'error': repr(error)}))
`;

async function python(path: string, body: Buffer | string, contentType = 'application/json', token = customer.key): Promise<{ status?: number; body?: any; error?: string }> {
  const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/vgw-py-`);
  try {
    await writeFile(`${dir}/body`, body);
    const { port } = new URL(ctx.baseUrl);
    const { stdout } = await promisify(execFile)('python3', ['-c', PYTHON, '127.0.0.1', port, path, token, contentType, `${dir}/body`]);
    const result = JSON.parse(stdout);
    if (result.body) result.body = JSON.parse(result.body);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function nodeFetch(path: string, body: Buffer | string, contentType = 'application/json', token = customer.key) {
  try {
    const res = await fetch(`${ctx.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
    return { status: res.status, body: (await res.json()) as any };
  } catch (err) {
    return { error: String((err as Error).cause ?? err) };
  }
}

describe('a body over BODY_LIMIT_BYTES', () => {
  it.each([
    ['python http.client', python],
    ['node fetch', nodeFetch],
  ])('reaches %s as a 413 in the shape of the route', async (_client, send) => {
    const before = await balanceOf(ctx.http, customer.userId);
    const body = bigJson(OVERSIZED);
    const openai = await send('/v1/videos', body);
    expect(openai, JSON.stringify(openai)).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large', message: `request body is larger than the ${BODY_LIMIT}-byte limit` } } });
    const gateway = await send('/v1/video/generations', body);
    expect(gateway, JSON.stringify(gateway)).toMatchObject({ status: 413, body: { code: 'payload_too_large', data: null } });
    expect(await balanceOf(ctx.http, customer.userId)).toEqual(before);
  });

  it.each([
    ['python http.client', python],
    ['node fetch', nodeFetch],
  ])('with an upload over UPLOAD_LIMIT_BYTES reaches %s as a 413', async (_client, send) => {
    const res = await send('/v1/videos', bigForm(OVERSIZED), `multipart/form-data; boundary=${BOUNDARY}`);
    expect(res, JSON.stringify(res)).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large', param: 'input_reference' } } });
  });

  it('refused before it is read (a bad key) still reaches python as the 401', async () => {
    const res = await python('/v1/videos', bigJson(OVERSIZED), 'application/json', 'sk-wrong');
    expect(res, JSON.stringify(res)).toMatchObject({ status: 401, body: { error: { code: 'invalid_api_key' } } });
  });

  it('is read and thrown away only up to BODY_DISCARD_LIMIT_BYTES; past that the connection is cut', async () => {
    const res = await python('/v1/videos', bigJson(DISCARD_LIMIT * 2));
    expect(res.error, JSON.stringify(res)).toMatch(/BrokenPipe|ConnectionReset/);
    // The gateway is fine afterwards.
    expect((await ctx.http('GET', '/healthz')).status).toBe(200);
  });
});
