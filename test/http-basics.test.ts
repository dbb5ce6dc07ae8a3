// Health, OpenAPI, request ids and unknown routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('health', () => {
  it('/healthz answers while the process is up', async () => {
    const res = await ctx.http('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/readyz checks PostgreSQL and Redis', async () => {
    const res = await ctx.http('GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok', workers: { alive: 0, queues: {} } });
  });

  it('/readyz answers 503 when PostgreSQL is unreachable', async () => {
    // The app as it is once PostgreSQL has gone away under it.
    const gone = openDatabase({ url: 'postgresql://postgres@127.0.0.1:1/none', poolSize: 1, statementTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    const app = await buildApp({ ...ctx, config: ctx.config, db: gone.db });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not_ready', postgres: 'down', redis: 'ok', workers: null });
    } finally {
      await app.close();
      await gone.close();
    }
  });

  it('answers 503 with Retry-After, in each API family\'s shape, while PostgreSQL is unreachable', async () => {
    const gone = openDatabase({ url: 'postgresql://postgres@127.0.0.1:1/none', poolSize: 1, statementTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    const app = await buildApp({ ...ctx, config: ctx.config, db: gone.db });
    const headers = { authorization: 'Bearer sk-anything', 'content-type': 'application/json' };
    try {
      const submit = await app.inject({ method: 'POST', url: '/v1/video/generations', headers, payload: { model: 'wan2.7-t2v', prompt: 'a cat' } });
      expect(submit.statusCode).toBe(503);
      expect(submit.headers['retry-after']).toBe('2');
      expect(submit.json()).toMatchObject({ code: 'unavailable', data: null });
      const video = await app.inject({ method: 'GET', url: '/v1/videos/task_x', headers });
      expect(video.statusCode).toBe(503);
      expect(video.json()).toMatchObject({ error: { code: 'unavailable', type: 'server_error' } });
      const admin = await app.inject({ method: 'GET', url: '/admin/users/1', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(admin.statusCode).toBe(503);
    } finally {
      await app.close();
      await gone.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every route at /openapi.json', async () => {
    const res = await ctx.http('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    for (const path of ['/v1/videos', '/v1/video/generations']) {
      expect(Object.keys(res.body.paths[path].post.requestBody.content)).toEqual(['application/json', 'multipart/form-data']);
    }
    const operations = Object.entries(res.body.paths as Record<string, Record<string, { operationId?: string }>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'POST /v1/video/generations',
        'GET /v1/video/generations/{task_id}',
        'POST /v1/videos',
        'GET /v1/videos/{video_id}',
        'GET /v1/videos',
        'DELETE /v1/videos/{video_id}',
        'GET /v1/videos/{video_id}/content',
        'POST /v1/videos/{video_id}/remix',
        'GET /admin/webhooks',
        'POST /admin/users',
        'GET /admin/users/{id}',
        'PATCH /admin/users/{id}',
        'POST /admin/users/{id}/quota',
        'POST /admin/keys',
        'PATCH /admin/keys/{id}',
        'GET /admin/logs',
        'POST /admin/channels',
        'GET /healthz',
        'GET /readyz',
      ]),
    );
    const submit = res.body.paths['/v1/video/generations'].post;
    expect(Object.keys(submit.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['model', 'prompt', 'resolution', 'size', 'duration', 'input_reference', 'images', 'metadata']),
    );
    expect(submit.responses['200']).toBeDefined();
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${ctx.baseUrl}/docs/`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/swagger/i);
  });
});

describe('requests', () => {
  it('returns a request id, keeping a sane one the caller sent', async () => {
    const generated = await ctx.http('GET', '/healthz');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await ctx.http('GET', '/healthz', { headers: { 'x-request-id': 'caller-123' } });
    expect(kept.headers.get('x-request-id')).toBe('caller-123');
    const replaced = await ctx.http('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).not.toBe('bad id with spaces');
  });

  it('puts the request id and the security headers on refusals too', async () => {
    const refusals = [
      await ctx.http('GET', '/v1/nothing', { headers: { 'x-request-id': 'caller-404' } }),
      await ctx.http('POST', '/v1/video/generations', { headers: { 'x-request-id': 'caller-401' }, body: {} }),
      await ctx.http('POST', '/v1/console/session', { headers: { 'x-request-id': 'caller-400', 'content-type': 'application/json' }, body: '{' }),
    ];
    expect(refusals.map((r) => r.status)).toEqual([404, 401, 400]);
    expect(refusals.map((r) => r.headers.get('x-request-id'))).toEqual(['caller-404', 'caller-401', 'caller-400']);
    for (const res of refusals) expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers unknown routes with 404 in the shape of their family', async () => {
    const er = await ctx.http('GET', '/v1/nothing');
    expect(er.status).toBe(404);
    expect(er.body).toEqual({ code: 'not_found', message: 'no route for GET /v1/nothing', data: null });
    const oa = await ctx.http('POST', '/v1/videos/x/unknown');
    expect(oa.status).toBe(404);
    expect(oa.body.error.type).toBe('not_found_error');
  });
});
