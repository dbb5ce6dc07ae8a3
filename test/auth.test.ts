// Authentication and authorization of client keys: 401 for a key that is missing, unknown,
// expired or disabled; 403 for a model outside the key's allow-list; 402 when the quota is short.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, createKey, createUser, type Customer, specExamples } from './helpers/factories.ts';
import { countRows, keyRow } from './helpers/rows.ts';

let ctx: TestContext;
let customer: Customer;

beforeAll(async () => {
  ctx = await createTestContext();
  customer = await createCustomer(ctx.http, 10_000_000);
});
afterAll(() => ctx.close());

const submitWith = (headers: Record<string, string>, path = '/v1/video/generations') =>
  ctx.http('POST', path, { body: specExamples.t2v, headers });
const submit = (key: string, body: unknown = specExamples.t2v) => ctx.http('POST', '/v1/video/generations', { token: key, body });

async function waitUntilRejected(key: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 5_000) {
    const res = await ctx.http('GET', '/v1/video/generations/task_probe', { token: key });
    if (res.status === 401) return Date.now() - started;
  }
  throw new Error('key still accepted after 5 s');
}

describe('401', () => {
  it('rejects a request without a key', async () => {
    const res = await submitWith({});
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'invalid_api_key', message: 'missing API key: send the header "Authorization: Bearer sk-..."', data: null });
  });

  it('rejects a malformed Authorization header', async () => {
    expect((await submitWith({ authorization: customer.key })).status).toBe(401);
    expect((await submitWith({ authorization: 'Basic abc' })).status).toBe(401);
  });

  it('rejects an unknown key, in OpenAI shape on /v1/videos', async () => {
    const res = await submitWith({ authorization: 'Bearer sk-thisKeyDoesNotExist' }, '/v1/videos');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { message: 'invalid API key', type: 'authentication_error', param: null, code: 'invalid_api_key' } });
  });

  it('rejects an expired key', async () => {
    const key = await createKey(ctx.http, customer.userId, { expires_at: Math.floor(Date.now() / 1000) - 60 });
    const res = await submit(key.key);
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/^this API key expired at /);
  });

  it('accepts a key until its expiry, given as an ISO date-time', async () => {
    const key = await createKey(ctx.http, customer.userId, { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await submit(key.key)).status).toBe(200);
  });

  it('rejects a key of a disabled user', async () => {
    const other = await createCustomer(ctx.http, 1_000_000);
    expect((await submit(other.key)).status).toBe(200);
    await ctx.http('PATCH', `/admin/users/${other.userId}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } });
    const res = await submit(other.key);
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('the account that owns this API key is disabled');
  });

  it('stops accepting a revoked key at once, here and on every other instance', async () => {
    const key = await createKey(ctx.http, customer.userId);
    const peer = await ctx.startPeer();
    // Warm both instances' caches.
    expect((await submit(key.key)).status).toBe(200);
    expect((await peer.http('GET', '/v1/video/generations/task_probe', { token: key.key })).status).toBe(404);

    const revoked = await ctx.http('PATCH', `/admin/keys/${key.id}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('disabled');

    const here = await submit(key.key);
    expect(here.status).toBe(401);
    expect(here.body.message).toBe('this API key has been disabled');
    const started = Date.now();
    while ((await peer.http('GET', '/v1/video/generations/task_probe', { token: key.key })).status !== 401) {
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  it('lets a key work again once re-enabled', async () => {
    const key = await createKey(ctx.http, customer.userId);
    await ctx.http('PATCH', `/admin/keys/${key.id}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } });
    expect(await waitUntilRejected(key.key)).toBeLessThan(1_000);
    await ctx.http('PATCH', `/admin/keys/${key.id}`, { token: ADMIN_TOKEN, body: { status: 'enabled' } });
    expect((await submit(key.key)).status).toBe(200);
  });

  it('accepts a key created on another instance right away, even after that key was tried there', async () => {
    const peer = await ctx.startPeer();
    const user = await createUser(ctx.http, { quota: 1_000_000 });
    const created = await createKey(peer.http, user.id);
    expect((await submit(created.key)).status).toBe(200);
  });
});

describe('403', () => {
  it('rejects a model outside the key allow-list, before validating the body', async () => {
    const key = await createKey(ctx.http, customer.userId, { models: ['wan2.7-i2v'] });
    const res = await submit(key.key, { model: 'wan2.7-t2v' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('model_not_allowed');
    expect(res.body.message).toBe('this API key may not use wan2.7-t2v; it is limited to wan2.7-i2v');
    const openai = await ctx.http('POST', '/v1/videos', { token: key.key, body: { model: 'wan2.7-t2v', prompt: 'a' } });
    expect(openai.status).toBe(403);
    expect(openai.body.error.type).toBe('permission_error');
    expect((await submit(key.key, specExamples.i2v)).status).toBe(200);
  });

  it("does not apply the allow-list to queries of the owner's tasks", async () => {
    const created = await submit(customer.key);
    const limited = await createKey(ctx.http, customer.userId, { models: ['wan2.7-i2v'] });
    expect((await ctx.http('GET', `/v1/video/generations/${created.body.id}`, { token: limited.key })).status).toBe(200);
  });
});

describe('402', () => {
  it('rejects a submit the user cannot pay for, and charges nothing', async () => {
    const poor = await createCustomer(ctx.http, 249_999);
    const res = await submit(poor.key);
    expect(res.status).toBe(402);
    expect(res.body).toEqual({ code: 'insufficient_user_quota', message: 'insufficient user quota', data: null });
    expect(await balanceOf(ctx.http, poor.userId)).toMatchObject({ quota: 249_999, used_quota: 0 });
    expect(await countRows(ctx.db, 'tasks', { userId: poor.userId })).toBe(0);
  });

  it('uses the OpenAI shape on /v1/videos', async () => {
    const poor = await createCustomer(ctx.http, 0);
    const res = await ctx.http('POST', '/v1/videos', { token: poor.key, body: specExamples.t2v });
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ message: 'insufficient user quota', type: 'insufficient_quota' });
  });

  it("enforces the key's own quota limit, which refunds and charges keep accurate", async () => {
    const user = await createUser(ctx.http, { quota: 10_000_000 });
    const key = await createKey(ctx.http, user.id, { quota: 600_000 });
    expect((await submit(key.key)).status).toBe(200);
    expect((await submit(key.key)).status).toBe(200);
    const third = await submit(key.key);
    expect(third.status).toBe(402);
    expect(third.body.message).toBe('insufficient user quota');
    expect(await balanceOf(ctx.http, user.id)).toMatchObject({ quota: 9_500_000, used_quota: 500_000 });
    const row = await keyRow(ctx.db, key.id);
    expect(row.quotaUsed).toBe(500_000n);
    // A cheaper task still fits under the key's limit.
    expect((await submit(key.key, { ...specExamples.t2v, duration: 2 })).status).toBe(200);
  });
});
