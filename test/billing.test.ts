// The balance endpoints client tools built for new-api and one-api read: the limit
// (GET /v1/dashboard/billing/subscription) and the usage (GET /v1/dashboard/billing/usage, in US
// cents), whose difference is what the key may still spend; also at new-api's unversioned paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { createCustomer, createKey, createUser, specExamples } from './helpers/factories.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const SUBSCRIPTION = '/v1/dashboard/billing/subscription';
const USAGE = '/v1/dashboard/billing/usage';

async function billing(key: string, prefix = '/v1') {
  const [subscription, usage] = await Promise.all([
    ctx.http('GET', `${prefix}/dashboard/billing/subscription`, { token: key }),
    ctx.http('GET', `${prefix}/dashboard/billing/usage?start_date=2026-01-01&end_date=2026-02-01`, { token: key }),
  ]);
  expect(subscription.status, JSON.stringify(subscription.body)).toBe(200);
  expect(usage.status, JSON.stringify(usage.body)).toBe(200);
  return { limit: subscription.body.hard_limit_usd as number, used: usage.body.total_usage as number, subscription: subscription.body, usage: usage.body };
}

/** What a client tool shows as the balance, in USD. */
const balanceShown = ({ limit, used }: { limit: number; used: number }) => Math.round((limit - used / 100) * 1e6) / 1e6;

async function submit(key: string, body: object = specExamples.t2v): Promise<string> {
  const res = await ctx.http('POST', '/v1/video/generations', { token: key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id;
}

/** The user's consumption as the logs tell it: consumes less refunds, in quota. */
async function loggedSpending(userId: number, keyId?: number): Promise<number> {
  let query = ctx.db.selectFrom('logs').select(['type', 'quota']).where('userId', '=', userId).where('type', 'in', [2, 6]);
  if (keyId !== undefined) query = query.where('keyId', '=', keyId);
  return (await query.execute()).reduce((sum, log) => sum + (log.type === 2 ? 1 : -1) * Number(log.quota), 0);
}

describe("a key without its own limit: its user's account", () => {
  it("answers OpenAI's old billing shapes, as new-api does", async () => {
    const customer = await createCustomer(ctx.http, 10_000_000);
    const { subscription, usage } = await billing(customer.key);
    expect(subscription).toEqual({
      object: 'billing_subscription',
      has_payment_method: true,
      soft_limit_usd: 20,
      hard_limit_usd: 20,
      system_hard_limit_usd: 20,
      access_until: 0,
    });
    expect(usage).toEqual({ object: 'list', total_usage: 0 });
  });

  it('counts a charge as usage and a refund back out, as the logs do; the limit minus the usage is the balance', async () => {
    const customer = await createCustomer(ctx.http, 10_000_000);
    const first = await submit(customer.key);
    await submit(customer.key, { ...specExamples.t2v, resolution: '1080P', duration: 3 }); // 225,000

    let shown = await billing(customer.key);
    expect(shown.used).toBe(95); // 475,000 quota = 0.95 USD
    expect(shown.limit).toBe(20);
    expect(balanceShown(shown)).toBe(19.05);
    expect(shown.used * 5_000).toBe(await loggedSpending(customer.userId));

    const cancel = await ctx.http('POST', `/v1/video/generations/${first}/cancel`, { token: customer.key });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    shown = await billing(customer.key);
    expect(shown.used).toBe(45);
    expect(balanceShown(shown)).toBe(19.55);
    expect(shown.used * 5_000).toBe(await loggedSpending(customer.userId));
  });

  it("shows the whole account: what the user's other keys spend counts too, and a top-up raises the limit", async () => {
    const customer = await createCustomer(ctx.http, 1_000_000);
    const other = await createKey(ctx.http, customer.userId);
    await submit(other.key);
    let shown = await billing(customer.key);
    expect(shown).toMatchObject({ limit: 2, used: 50 });
    await ctx.http('POST', `/admin/users/${customer.userId}/quota`, { token: ADMIN_TOKEN, body: { delta: 500_000 } });
    shown = await billing(customer.key);
    expect(shown).toMatchObject({ limit: 3, used: 50 });
    expect(balanceShown(shown)).toBe(2.5);
  });
});

describe('a key with its own spending limit: that limit', () => {
  it('answers for the key alone, its limit and what it spent', async () => {
    const user = await createUser(ctx.http, { quota: 100_000_000 });
    const limited = await createKey(ctx.http, user.id, { quota: 2_000_000 });
    const other = await createKey(ctx.http, user.id);
    await submit(other.key);
    expect(await billing(limited.key)).toMatchObject({ limit: 4, used: 0 });

    await submit(limited.key);
    const shown = await billing(limited.key);
    expect(shown).toMatchObject({ limit: 4, used: 50 });
    expect(balanceShown(shown)).toBe(3.5);
    expect(shown.used * 5_000).toBe(await loggedSpending(user.id, limited.id));
  });

  it("never promises more than the user's balance can pay", async () => {
    const user = await createUser(ctx.http, { quota: 500_000 });
    const limited = await createKey(ctx.http, user.id, { quota: 5_000_000 });
    expect(await billing(limited.key)).toMatchObject({ limit: 1, used: 0 });
    await submit(limited.key);
    const shown = await billing(limited.key);
    expect(shown).toMatchObject({ limit: 1, used: 50 });
    expect(balanceShown(shown)).toBe(0.5);
  });

  it('shows nothing left once the limit is lowered below what the key spent', async () => {
    const user = await createUser(ctx.http, { quota: 100_000_000 });
    const limited = await createKey(ctx.http, user.id, { quota: 1_000_000 });
    await submit(limited.key);
    const lowered = await ctx.http('PATCH', `/admin/keys/${limited.id}`, { token: ADMIN_TOKEN, body: { quota: 100_000 } });
    expect(lowered.status).toBe(200);
    const shown = await billing(limited.key);
    expect(shown).toMatchObject({ limit: 0.5, used: 50 });
    expect(balanceShown(shown)).toBe(0);
  });
});

describe('the rest of the subscription', () => {
  it("gives the key's expiry as access_until", async () => {
    const customer = await createCustomer(ctx.http);
    const expiry = Math.floor(Date.now() / 1000) + 86_400;
    await ctx.http('PATCH', `/admin/keys/${customer.keyId}`, { token: ADMIN_TOKEN, body: { expires_at: expiry } });
    expect((await billing(customer.key)).subscription.access_until).toBe(expiry);
  });

  it("answers the same at new-api's unversioned paths", async () => {
    const customer = await createCustomer(ctx.http, 3_000_000);
    await submit(customer.key);
    expect(await billing(customer.key, '')).toEqual(await billing(customer.key));
    expect((await billing(customer.key, '')).used).toBe(50);
  });

  it('gives fractions of a cent exactly', async () => {
    const customer = await createCustomer(ctx.http, 1_000_001);
    await ctx.http('POST', `/admin/users/${customer.userId}/quota`, { token: ADMIN_TOKEN, body: { delta: 1 } });
    expect((await billing(customer.key)).limit).toBe(2.000004);
    await submit(customer.key, { ...specExamples.t2v, duration: 2 }); // 100,000
    expect((await billing(customer.key)).used).toBe(20);
  });
});

describe("errors in OpenAI's shape", () => {
  it('answers a missing, unknown or expired key with 401, on every billing path', async () => {
    const customer = await createCustomer(ctx.http);
    await ctx.http('PATCH', `/admin/keys/${customer.keyId}`, { token: ADMIN_TOKEN, body: { expires_at: Math.floor(Date.now() / 1000) - 60 } });
    for (const path of [SUBSCRIPTION, USAGE, '/dashboard/billing/subscription', '/dashboard/billing/usage']) {
      const missing = await ctx.http('GET', path);
      expect(missing.status, path).toBe(401);
      expect(missing.body).toEqual({
        error: { message: 'missing API key: send the header "Authorization: Bearer sk-..."', type: 'authentication_error', param: null, code: 'invalid_api_key' },
      });
      expect((await ctx.http('GET', path, { token: 'sk-nobody' })).body.error).toMatchObject({ message: 'invalid API key', code: 'invalid_api_key' });
      const expired = await ctx.http('GET', path, { token: customer.key });
      expect(expired.status).toBe(401);
      expect(expired.body.error.message).toMatch(/^this API key expired at /);
    }
  });

  it('answers a path under /v1/dashboard or /dashboard that is no route with 404', async () => {
    for (const path of ['/v1/dashboard/billing/credit_grants', '/dashboard/nothing']) {
      const res = await ctx.http('GET', path);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { message: `no route for GET ${path}`, type: 'not_found_error', param: null, code: 'not_found' } });
    }
  });
});
