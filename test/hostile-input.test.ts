// Input PostgreSQL cannot store (NUL characters, unpaired UTF-16 surrogates), ids and URLs that
// cannot be decoded, and every other answer the framework itself produces: each is a 4xx that
// names what to fix, in the shape of the API the request was for, and none of them charges.
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from './helpers/factories.ts';
import { countRows } from './helpers/rows.ts';

let ctx: TestContext;
let customer: Customer;
let taskId: string;
let before: { quota: number; used_quota: number };

beforeAll(async () => {
  ctx = await createTestContext();
  customer = await createCustomer(ctx.http, 10_000_000);
  const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples.t2v });
  expect(res.status).toBe(200);
  taskId = res.body.id;
  before = await balanceOf(ctx.http, customer.userId);
});
afterAll(async () => {
  // Nothing below was charged, and no task was created.
  expect(await balanceOf(ctx.http, customer.userId)).toEqual(before);
  expect(await countRows(ctx.db, 'tasks', { userId: customer.userId })).toBe(1);
  await ctx.close();
});

type Family = 'openai' | 'gateway';

/** Checks the status and the envelope of the family, and that the message matches. */
function expectError(res: { status: number; body: any }, status: number, family: Family, message: RegExp, param?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  if (family === 'openai') {
    expect(res.body, JSON.stringify(res.body)).toEqual({ error: { message: expect.stringMatching(message), type: expect.any(String), param: res.body.error?.param, code: expect.any(String) } });
    if (param !== undefined) expect(res.body.error.param).toBe(param);
  } else {
    expect(res.body, JSON.stringify(res.body)).toEqual({ code: expect.any(String), message: expect.stringMatching(message), data: null });
  }
}

const postRaw = (path: string, text: string, token = customer.key) => ctx.http('POST', path, { token, raw: text, headers: { 'content-type': 'application/json' } });

describe('strings PostgreSQL cannot store', () => {
  const NUL = '\\u0000';
  const LONE = '\\ud800';

  it.each([
    ['/v1/video/generations', 'gateway'],
    ['/v1/videos', 'openai'],
  ] as const)('in a %s prompt are a 400 naming the field', async (path, family) => {
    for (const bad of [NUL, LONE, `a${LONE}b`, `\\udc00`]) {
      const res = await postRaw(path, `{"model":"wan2.7-t2v","prompt":"cat ${bad}"}`);
      expectError(res, 400, family, /^prompt contains (a NUL character|an unpaired UTF-16 surrogate)/, 'prompt');
    }
  });

  it('anywhere in metadata, keys included, are a 400 naming the path', async () => {
    const t2v = JSON.stringify(specExamples.t2v).slice(0, -1);
    expectError(await postRaw('/v1/videos', `${t2v},"metadata":{"negative_prompt":"x${NUL}"}}`), 400, 'openai', /^metadata\.negative_prompt contains a NUL character/, 'metadata.negative_prompt');
    expectError(await postRaw('/v1/videos', `${t2v},"metadata":{"style":{"deep":["ok","${LONE}"]}}}`), 400, 'openai', /^metadata\.style\.deep\[1\] contains an unpaired UTF-16 surrogate/);
    expectError(await postRaw('/v1/video/generations', `${t2v},"metadata":{"a${NUL}b":1}}`), 400, 'gateway', /^metadata contains a key with a NUL character/);
  });

  it('in an admin body are a 400 naming the field', async () => {
    const res = await postRaw('/admin/users', `{"name":"acme${NUL}"}`, ADMIN_TOKEN);
    expectError(res, 400, 'gateway', /^name contains a NUL character/);
    const key = await postRaw('/admin/keys', `{"user_id":${customer.userId},"name":"${LONE}"}`, ADMIN_TOKEN);
    expectError(key, 400, 'gateway', /^name contains an unpaired UTF-16 surrogate/);
  });

  it('in a form field are a 400 naming the field', async () => {
    const boundary = 'hostileboundary';
    const form = `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\ncat \u0000 dog\r\n--${boundary}--\r\n`;
    const res = await ctx.http('POST', '/v1/videos', { token: customer.key, raw: form, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expectError(res, 400, 'openai', /^prompt contains a NUL character/, 'prompt');
  });

  it('in a remix prompt are a 400', async () => {
    expectError(await postRaw(`/v1/videos/${taskId}/remix`, `{"prompt":"x${NUL}"}`), 400, 'openai', /^prompt contains a NUL character/, 'prompt');
  });

  it('in a query string are a 400 naming the parameter', async () => {
    expectError(await ctx.http('GET', '/v1/videos?after=task_x%00', { token: customer.key }), 400, 'openai', /^after contains a NUL character/, 'after');
    expectError(await ctx.http('GET', '/admin/logs?task_id=%00', { token: ADMIN_TOKEN }), 400, 'gateway', /^task_id contains a NUL character/);
  });

  it('nested absurdly deep are a 400, not a stack overflow', async () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const res = await postRaw('/v1/videos', `{"model":"wan2.7-t2v","prompt":"cat","metadata":{"x":${deep}}}`);
    expectError(res, 400, 'openai', /^metadata\.x(\[0\])* is nested too deeply/);
  });
});

describe('task ids in the path', () => {
  const routes: [string, string, Family][] = [
    ['GET', '/v1/video/generations/ID', 'gateway'],
    ['GET', '/v1/videos/ID', 'openai'],
    ['DELETE', '/v1/videos/ID', 'openai'],
    ['GET', '/v1/videos/ID/content', 'openai'],
    ['POST', '/v1/videos/ID/remix', 'openai'],
  ];

  it.each(routes)('%s %s with a NUL is a 400 naming the id', async (method, path, family) => {
    const res = await ctx.http(method, path.replace('ID', `${taskId}%00`), { token: customer.key, body: method === 'POST' ? { prompt: 'x' } : undefined });
    expectError(res, 400, family, /^(video_id|task_id) contains a NUL character/);
  });

  it.each(routes)('%s %s with a broken percent-escape is a 400 in its own shape', async (method, path, family) => {
    for (const id of ['task_abc%zz', 'task_%ED%A0%80', 'task_%']) {
      const res = await ctx.http(method, path.replace('ID', id), { token: customer.key, body: method === 'POST' ? { prompt: 'x' } : undefined });
      expectError(res, 400, family, /is not a valid URL: a percent-escape/);
    }
  });

  it.each(routes)('%s %s with an id far too long is a 400 in its own shape', async (method, path, family) => {
    const res = await ctx.http(method, path.replace('ID', `task_${'a'.repeat(200)}`), { token: customer.key, body: method === 'POST' ? { prompt: 'x' } : undefined });
    expectError(res, 400, family, /too long/);
  });

  it('an admin id that is out of range is a 400, not a database error', async () => {
    expectError(await ctx.http('GET', '/admin/users/99999999999', { token: ADMIN_TOKEN }), 400, 'gateway', /^params id: Too big/);
    expectError(await ctx.http('GET', '/admin/users/%zz', { token: ADMIN_TOKEN }), 400, 'gateway', /not a valid URL/);
    expectError(await ctx.http('POST', '/admin/keys', { token: ADMIN_TOKEN, body: { user_id: 99999999999 } }), 400, 'gateway', /^user_id: /);
    expectError(await ctx.http('GET', '/admin/logs?user_id=99999999999', { token: ADMIN_TOKEN }), 400, 'gateway', /user_id/);
  });
});

/** Sends bytes as they are, for requests fetch refuses to make. */
function rawHttp(request: string | Buffer): Promise<{ status: number; body: any }> {
  const { port } = new URL(ctx.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // not JSON
      }
      resolve({ status, body: parsed });
    });
    socket.end(request);
  });
}

describe('answers the framework makes', () => {
  it('a malformed header line is a 400 in the shape of the path it was for', async () => {
    const broken = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n`;
    expectError(await rawHttp(broken('/v1/videos/task_1')), 400, 'openai', /malformed/);
    expectError(await rawHttp(broken('/v1/video/generations/task_1')), 400, 'gateway', /malformed/);
    expectError(await rawHttp(broken('/admin/users/1')), 400, 'gateway', /malformed/);
  });

  it('headers over the size limit are a 431 in the shape of the path', async () => {
    const big = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    expectError(await rawHttp(big('/v1/videos')), 431, 'openai', /headers are larger than/);
    expectError(await rawHttp(big('/admin/logs')), 431, 'gateway', /headers are larger than/);
    // A request line over the limit on its own arrives cut, and still gets its family's shape.
    expectError(await rawHttp(`GET /v1/videos?after=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 431, 'openai', /headers are larger than/);
  });

  it('a body type that is neither JSON nor a form is a 415 in each family', async () => {
    for (const [path, family, token] of [['/v1/videos', 'openai', customer.key], ['/v1/video/generations', 'gateway', customer.key], ['/admin/users', 'gateway', ADMIN_TOKEN]] as const) {
      const res = await ctx.http('POST', path, { token, raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectError(res, 415, family, /application\/json/);
    }
  });

  it('a compressed body is a 415 that says to send it uncompressed, in each family, and is not read as plain', async () => {
    const body = JSON.stringify(specExamples.t2v);
    for (const [path, family] of [['/v1/videos', 'openai'], ['/v1/video/generations', 'gateway']] as const) {
      // Really gzip, and plain JSON that only says it is: neither is guessed at, neither is charged.
      for (const raw of [gzipSync(body), body]) {
        const res = await ctx.http('POST', path, { token: customer.key, raw, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
        expectError(res, 415, family, /Content-Encoding gzip is not supported; send the body uncompressed/);
      }
    }
    const admin = await ctx.http('POST', '/admin/users', { token: ADMIN_TOKEN, raw: '{"name":"x"}', headers: { 'content-type': 'application/json', 'content-encoding': 'br' } });
    expectError(admin, 415, 'gateway', /Content-Encoding br/);
    // identity is no encoding at all.
    const plain = await ctx.http('POST', '/v1/video/quote', { token: customer.key, raw: body, headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } });
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
  });

  it('a method a route does not have is a 404 in each family', async () => {
    expectError(await ctx.http('PUT', '/v1/videos', { token: customer.key }), 404, 'openai', /no route for PUT \/v1\/videos/);
    expectError(await ctx.http('PUT', '/admin/users/1', { token: ADMIN_TOKEN }), 404, 'gateway', /no route for PUT/);
  });

  it('a query string of the wrong shape is a 400 in each family', async () => {
    expectError(await ctx.http('GET', '/v1/videos?limit=abc', { token: customer.key }), 400, 'openai', /limit/, 'limit');
    expectError(await ctx.http('GET', '/v1/videos?limit=1&limit=2', { token: customer.key }), 400, 'openai', /limit/, 'limit');
    expectError(await ctx.http('GET', '/admin/logs?type=9', { token: ADMIN_TOKEN }), 400, 'gateway', /type/);
  });
});
