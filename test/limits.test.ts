// Per-key limits on every instance: rpm_limit counted in Redis and shared by all API processes
// (let through while Redis is unreachable), max_inflight counted by the charge itself,
// allowed_ips against the client's address (X-Forwarded-For only behind TRUSTED_PROXIES), and
// users' defaults for keys without their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, createKey, specExamples } from './helpers/factories.ts';
import { type PrivateRedis, startPrivateRedis } from './helpers/redis-server.ts';
import { until } from './helpers/until.ts';

let ctx: TestContext;
let peer: Awaited<ReturnType<TestContext['startPeer']>>;

beforeAll(async () => {
  ctx = await createTestContext({ TRUSTED_PROXIES: '127.0.0.1/32' });
  peer = await ctx.startPeer();
});
afterAll(() => ctx.close());

const admin = (method: string, path: string, body?: unknown) => ctx.http(method, path, { token: ADMIN_TOKEN, body });

describe('rpm_limit', () => {
  it('is shared by every instance, answers 429 with Retry-After, in each route family\'s error shape', async () => {
    const customer = await createCustomer(ctx.http);
    await admin('PATCH', `/admin/keys/${customer.keyId}`, { rpm_limit: 4 });
    const statuses = [];
    for (const http of [ctx.http, peer.http, ctx.http, peer.http]) statuses.push((await http('GET', '/v1/videos', { token: customer.key })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const openai = await peer.http('GET', '/v1/videos', { token: customer.key });
    expect(openai.status).toBe(429);
    expect(openai.body.error).toMatchObject({ code: 'rate_limited', type: 'rate_limit_error' });
    expect(Number(openai.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(openai.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const easyRouter = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples.t2v });
    expect(easyRouter.status).toBe(429);
    expect(easyRouter.body).toMatchObject({ code: 'rate_limited', data: null });
    // Nothing was charged for the refused submit.
    expect((await balanceOf(ctx.http, customer.userId)).used_quota).toBe(0);
  });

  it('takes the user\'s default when the key has none, and the key\'s own over it', async () => {
    const customer = await createCustomer(ctx.http);
    await admin('PATCH', `/admin/users/${customer.userId}`, { rpm_limit: 2 });
    const own = await createKey(ctx.http, customer.userId, { rpm_limit: 50 });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await ctx.http('GET', '/v1/videos', { token: customer.key })).status);
    expect(codes).toEqual([200, 200, 429]);
    for (let i = 0; i < 3; i++) expect((await peer.http('GET', '/v1/videos', { token: own.key })).status).toBe(200);
  });

  it('lets requests through while Redis cannot be reached, and counts again once it is back', async () => {
    let redis: PrivateRedis | undefined;
    let isolated: TestContext | undefined;
    try {
      redis = await startPrivateRedis();
      isolated = await createTestContext({ REDIS_URL: redis.url });
      const customer = await createCustomer(isolated.http);
      await isolated.http('PATCH', `/admin/keys/${customer.keyId}`, { token: ADMIN_TOKEN, body: { rpm_limit: 1 } });
      expect((await isolated.http('GET', '/v1/videos', { token: customer.key })).status).toBe(200);
      expect((await isolated.http('GET', '/v1/videos', { token: customer.key })).status).toBe(429);
      await redis.stop();
      for (let i = 0; i < 3; i++) expect((await isolated.http('GET', '/v1/videos', { token: customer.key })).status).toBe(200);
      const metrics = await fetch(`${isolated.baseUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/^vgw_rpm_limit_unenforced_total 3$/m);
      await redis.start();
      await until(async () => ((await isolated!.http('GET', '/v1/videos', { token: customer.key })).status === 429 ? true : undefined), 'the limit counted again');
    } finally {
      await isolated?.close().catch(() => {});
      await redis?.close();
    }
  }, 30_000);
});

describe('max_inflight', () => {
  it('refuses a submit past the key\'s limit with 429 and charges nothing, and takes the user\'s default', async () => {
    const customer = await createCustomer(ctx.http, 10_000_000);
    await admin('PATCH', `/admin/keys/${customer.keyId}`, { max_inflight: 1 });
    expect((await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples.t2v })).status).toBe(200);
    const refused = await peer.http('POST', '/v1/videos', { token: customer.key, body: specExamples.t2v });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('too_many_inflight_tasks');
    expect((await balanceOf(ctx.http, customer.userId)).used_quota).toBe(250_000);
    expect((await admin('GET', `/admin/keys/${customer.keyId}`)).body).toMatchObject({ max_inflight: 1, inflight_tasks: 1 });

    const other = await createCustomer(ctx.http, 10_000_000);
    await admin('PATCH', `/admin/users/${other.userId}`, { max_inflight: 1 });
    expect((await ctx.http('POST', '/v1/video/generations', { token: other.key, body: specExamples.t2v })).status).toBe(200);
    expect((await ctx.http('POST', '/v1/video/generations', { token: other.key, body: specExamples.t2v })).status).toBe(429);
  });
});

describe('allowed_ips', () => {
  it('behind a trusted proxy, takes the client address from X-Forwarded-For', async () => {
    const customer = await createCustomer(ctx.http);
    await admin('PATCH', `/admin/keys/${customer.keyId}`, { allowed_ips: ['10.0.0.0/8', '2001:db8::/32'] });
    const from = (xff?: string) => ctx.http('GET', '/v1/videos', { token: customer.key, headers: xff ? { 'x-forwarded-for': xff } : {} });
    expect((await from('10.1.2.3')).status).toBe(200);
    expect((await from('2001:db8::7')).status).toBe(200);
    const outside = await from('198.51.100.1');
    expect(outside.status).toBe(403);
    expect(outside.body.error).toMatchObject({ code: 'ip_not_allowed', type: 'permission_error' });
    expect(outside.body.error.message).toContain('198.51.100.1');
    // The proxy itself is not the client, and an address the client added in front is not trusted.
    expect((await from()).status).toBe(403);
    expect((await from('10.1.2.3, 198.51.100.1')).status).toBe(403);
  });

  it('takes the user\'s list for keys without their own', async () => {
    const customer = await createCustomer(ctx.http);
    await admin('PATCH', `/admin/users/${customer.userId}`, { allowed_ips: ['192.0.2.0/24'] });
    const res = await ctx.http('GET', '/v1/video/generations/task_00000000000000000000000000000000', { token: customer.key, headers: { 'x-forwarded-for': '203.0.113.5' } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'ip_not_allowed', data: null });
    expect((await ctx.http('GET', '/v1/videos', { token: customer.key, headers: { 'x-forwarded-for': '192.0.2.10' } })).status).toBe(200);
  });

  it('without TRUSTED_PROXIES, ignores X-Forwarded-For', async () => {
    const direct = await createTestContext();
    try {
      const customer = await createCustomer(direct.http);
      await direct.http('PATCH', `/admin/keys/${customer.keyId}`, { token: ADMIN_TOKEN, body: { allowed_ips: ['10.0.0.0/8'] } });
      expect((await direct.http('GET', '/v1/videos', { token: customer.key, headers: { 'x-forwarded-for': '10.1.2.3' } })).status).toBe(403);
      await direct.http('PATCH', `/admin/keys/${customer.keyId}`, { token: ADMIN_TOKEN, body: { allowed_ips: ['127.0.0.1'] } });
      expect((await direct.http('GET', '/v1/videos', { token: customer.key, headers: { 'x-forwarded-for': '10.1.2.3' } })).status).toBe(200);
    } finally {
      await direct.close();
    }
  });
});
