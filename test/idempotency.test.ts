// Idempotency-Key on both submit endpoints: the same key and body within 24 hours return the
// first task and charge once, however the requests overlap; a different body is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from './helpers/factories.ts';
import { countRows } from './helpers/rows.ts';

let ctx: TestContext;
let customer: Customer;

beforeAll(async () => {
  ctx = await createTestContext();
  customer = await createCustomer(ctx.http, 1_000_000_000);
});
afterAll(() => ctx.close());

const submit = (key: string, body: unknown = specExamples.t2v, path = '/v1/video/generations', apiKey = customer.key) =>
  ctx.http('POST', path, { token: apiKey, body, headers: { 'idempotency-key': key } });

const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

describe('Idempotency-Key', () => {
  it('returns the first task for a repeated request, charged once', async () => {
    const key = unique('repeat');
    const before = await balanceOf(ctx.http, customer.userId);
    const first = await submit(key);
    const second = await submit(key);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(before.quota - (await balanceOf(ctx.http, customer.userId)).quota).toBe(250_000);
  });

  it('charges once when twenty identical requests race', async () => {
    const key = unique('race');
    const before = await balanceOf(ctx.http, customer.userId);
    const responses = await Promise.all(Array.from({ length: 20 }, () => submit(key)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(before.quota - (await balanceOf(ctx.http, customer.userId)).quota).toBe(250_000);
    const logs = await ctx.http('GET', `/admin/logs?task_id=${responses[0]!.body.id}`, { token: ADMIN_TOKEN });
    expect(logs.body.data).toHaveLength(1);
    expect(await countRows(ctx.db, 'tasks', { taskId: responses[0]!.body.id })).toBe(1);
  });

  it('works across the two endpoints, and /v1/videos answers in its own shape', async () => {
    const key = unique('cross');
    const first = await submit(key);
    const again = await submit(key, specExamples.t2v, '/v1/videos');
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body).toHaveProperty('size');
  });

  it('refuses the same key with a different body (422, which the SDKs do not retry)', async () => {
    const key = unique('mismatch');
    const first = await submit(key);
    const other = await submit(key, { ...specExamples.t2v, duration: 6 });
    expect(other.status).toBe(422);
    expect(other.body).toEqual({
      code: 'idempotency_key_reused',
      message: `Idempotency-Key ${key} was already used for a different request (task ${first.body.id}) in the last 24 hours; send a new key for a new request`,
      data: null,
    });
    const openai = await submit(key, { ...specExamples.t2v, duration: 6 }, '/v1/videos');
    expect(openai.status).toBe(422);
    expect(openai.body.error).toMatchObject({ type: 'invalid_request_error', code: 'idempotency_key_reused', param: 'Idempotency-Key' });
  });

  it('keeps keys apart per user', async () => {
    const key = unique('per-user');
    const other = await createCustomer(ctx.http, 1_000_000);
    const mine = await submit(key);
    const theirs = await submit(key, specExamples.t2v, '/v1/video/generations', other.key);
    expect(theirs.status).toBe(200);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('forgets a key after 24 hours', async () => {
    const key = unique('stale');
    const first = await submit(key);
    await ctx.db.updateTable('idempotencyKeys').set({ createdAt: new Date(Date.now() - 25 * 3600_000) }).where('key', '=', key).execute();
    const later = await submit(key, { ...specExamples.t2v, duration: 3 });
    expect(later.status).toBe(200);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('leaves no claim behind when the charge fails, so the retry after a top-up works', async () => {
    const poor = await createCustomer(ctx.http, 100_000);
    const key = unique('poor');
    expect((await submit(key, specExamples.t2v, '/v1/video/generations', poor.key)).status).toBe(402);
    expect(await countRows(ctx.db, 'idempotencyKeys', { key })).toBe(0);
    await ctx.http('POST', `/admin/users/${poor.userId}/quota`, { token: ADMIN_TOKEN, body: { delta: 1_000_000 } });
    expect((await submit(key, specExamples.t2v, '/v1/video/generations', poor.key)).status).toBe(200);
  });

  it('validates the key', async () => {
    expect((await submit('x'.repeat(256))).status).toBe(400);
    expect((await submit('has space')).status).toBe(400);
  });
});
