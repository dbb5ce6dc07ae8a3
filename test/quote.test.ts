// POST /v1/video/quote: the submit's body, checked as a submit checks it and priced by the code that
// charges; what it answers is what the same submit then charges, and a quote writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, createKey, type Customer, specExamples } from './helpers/factories.ts';
import { countRows, keyRow, taskRow } from './helpers/rows.ts';
import { acceptedBodies, rejectedBodies } from './helpers/submit-bodies.ts';

let ctx: TestContext;
let customer: Customer;
let vip: Customer;
let t2vOnlyKey: string;

beforeAll(async () => {
  ctx = await createTestContext();
  // A dated snapshot whose price is not a round number, and a group with a discount.
  await ctx.db.insertInto('modelPrices').values({ model: 'wan2.7-t2v-2026-04-25', pricePerSecond: '0.123457', resolutionRatios: { '720P': 1, '1080P': 1.7 } }).execute();
  await ctx.db.insertInto('groups').values({ name: 'vip', ratio: '0.85' }).execute();
  await ctx.bus.publish({ kind: 'catalog' });
  customer = await createCustomer(ctx.http, 1_000_000_000);
  vip = await createCustomer(ctx.http, 1_000_000_000, { group: 'vip' });
  t2vOnlyKey = (await createKey(ctx.http, customer.userId, { models: ['wan2.7-t2v'] })).key;
});
afterAll(() => ctx.close());

const quote = (body: unknown, key = customer.key) => ctx.http('POST', '/v1/video/quote', { token: key, body });
const submit = (body: unknown, key = customer.key) => ctx.http('POST', '/v1/video/generations', { token: key, body });

/** Everything a submit writes, so a test can see that a quote wrote none of it. */
async function footprint(who: Customer) {
  return {
    balance: await balanceOf(ctx.http, who.userId),
    keyUsed: (await keyRow(ctx.db, who.keyId)).quotaUsed,
    tasks: await countRows(ctx.db, 'tasks'),
    dispatch: await countRows(ctx.db, 'taskDispatch'),
    logs: await countRows(ctx.db, 'logs'),
    idempotencyKeys: await countRows(ctx.db, 'idempotencyKeys'),
  };
}

describe('the price of a submit', () => {
  it('answers the spec t2v example: 720P × 5 s = 250,000 quota = 0.5 USD', async () => {
    const res = await quote(specExamples.t2v);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      object: 'video.quote',
      model: 'wan2.7-t2v',
      resolution: '720P',
      seconds: 5,
      quota: 250_000,
      usd: 0.5,
      price_per_second: '0.1',
      resolution_ratio: '1',
      group: 'default',
      group_ratio: '1',
      quota_per_unit: 500_000,
    });
  });

  const priced: [string, Record<string, unknown>, Customer | (() => Customer)][] = [
    ['t2v', specExamples.t2v, () => customer],
    ['i2v', specExamples.i2v, () => customer],
    ['r2v', specExamples.r2v, () => customer],
    ['videoedit, charged for 15 s at submit', specExamples.videoedit, () => customer],
    ['1080P × 10 s', { ...specExamples.t2v, resolution: '1080P', duration: 10 }, () => customer],
    ["OpenAI's seconds and frame size", { model: 'wan2.7-t2v', prompt: 'a', seconds: '8', size: '1920x1080' }, () => customer],
    ['a discounted group', { ...specExamples.t2v, resolution: '1080P', duration: 7 }, () => vip],
    ['a price that does not divide evenly, rounded half-up', { model: 'wan2.7-t2v-2026-04-25', prompt: 'a', duration: 5 }, () => customer],
    ['that price at 1080P in the discounted group', { model: 'wan2.7-t2v-2026-04-25', prompt: 'a', resolution: '1080P', duration: 13 }, () => vip],
  ];

  it.each(priced)('%s: the quote is what the submit then charges', async (_name, body, who) => {
    const payer = typeof who === 'function' ? who() : who;
    const quoted = await quote(body, payer.key);
    expect(quoted.status, JSON.stringify(quoted.body)).toBe(200);

    const before = await balanceOf(ctx.http, payer.userId);
    const submitted = await submit(body, payer.key);
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
    const after = await balanceOf(ctx.http, payer.userId);
    const task = await taskRow(ctx.db, submitted.body.id);

    expect(before.quota - after.quota).toBe(quoted.body.quota);
    expect(Number(task.quota)).toBe(quoted.body.quota);
    const { object, usd, ...snapshot } = quoted.body;
    expect(object).toBe('video.quote');
    expect(task.priceSnapshot).toEqual(snapshot);
    expect(usd).toBe(quoted.body.quota / 500_000);
  });

  it('prices every edge case a submit takes exactly as the submit charges it', async () => {
    for (const [name, body] of acceptedBodies) {
      const quoted = await quote(body);
      expect(quoted.status, `${name}: ${JSON.stringify(quoted.body)}`).toBe(200);
      const before = await balanceOf(ctx.http, customer.userId);
      const submitted = await submit(body);
      expect(submitted.status, name).toBe(200);
      expect(before.quota - (await balanceOf(ctx.http, customer.userId)).quota, name).toBe(quoted.body.quota);
    }
  });

  it('follows a price change at once, as the submit does', async () => {
    await ctx.db.updateTable('modelPrices').set({ pricePerSecond: '0.2' }).where('model', '=', 'wan2.7-r2v').execute();
    await ctx.bus.publish({ kind: 'catalog' });
    try {
      await expect.poll(async () => (await quote(specExamples.r2v)).body.quota).toBe(500_000);
    } finally {
      await ctx.db.updateTable('modelPrices').set({ pricePerSecond: '0.1' }).where('model', '=', 'wan2.7-r2v').execute();
      await ctx.bus.publish({ kind: 'catalog' });
    }
  });
});

describe('nothing charged, nothing written', () => {
  it('leaves the balance, the key, the tasks, the queue, the logs and the Idempotency-Keys as they were', async () => {
    const before = await footprint(customer);
    for (const body of [specExamples.t2v, specExamples.i2v, specExamples.r2v, specExamples.videoedit]) {
      const res = await ctx.http('POST', '/v1/video/quote', { token: customer.key, body, headers: { 'idempotency-key': `quote-${body.model}` } });
      expect(res.status).toBe(200);
    }
    expect(await footprint(customer)).toEqual(before);
  });

  it('prices a submit the balance could not pay for (the balance is not checked)', async () => {
    const broke = await createCustomer(ctx.http, 0);
    expect((await quote(specExamples.t2v, broke.key)).body.quota).toBe(250_000);
    expect((await submit(specExamples.t2v, broke.key)).status).toBe(402);
  });
});

describe('checked as a submit is checked', () => {
  it.each(rejectedBodies)('%s: the same 400 as the submit', async (_name, body, message) => {
    const [quoted, submitted] = [await quote(body), await submit(body)];
    expect(quoted.status, JSON.stringify(quoted.body)).toBe(400);
    expect(quoted.body).toEqual(submitted.body);
    expect(quoted.body).toEqual({ code: 'invalid_request', message: expect.anything(), data: null });
    if (typeof message === 'string') expect(quoted.body.message).toBe(message);
    else expect(quoted.body.message).toMatch(message);
  });

  it('refuses a callback_url the gateway would not call, as the submit does', async () => {
    const body = { ...specExamples.t2v, callback_url: 'http://127.0.0.1:9/hook' };
    const [quoted, submitted] = [await quote(body), await submit(body)];
    expect(quoted.status).toBe(400);
    expect(quoted.body).toEqual(submitted.body);
  });

  it("answers 403 for a model outside the key's allow-list, as the submit does", async () => {
    const [quoted, submitted] = [await quote(specExamples.r2v, t2vOnlyKey), await submit(specExamples.r2v, t2vOnlyKey)];
    expect(quoted.status).toBe(403);
    expect(quoted.body).toEqual(submitted.body);
    expect(quoted.body).toEqual({ code: 'model_not_allowed', message: 'this API key may not use wan2.7-r2v; it is limited to wan2.7-t2v', data: null });
    expect((await quote(specExamples.t2v, t2vOnlyKey)).status).toBe(200);
  });

  it("answers without a key, a wrong key or a disabled key with 401 in EasyRouter's shape", async () => {
    const missing = await ctx.http('POST', '/v1/video/quote', { body: specExamples.t2v });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ code: 'invalid_api_key', message: 'missing API key: send the header "Authorization: Bearer sk-..."', data: null });
    expect((await quote(specExamples.t2v, 'sk-nobody')).body).toEqual({ code: 'invalid_api_key', message: 'invalid API key', data: null });
    const disabled = await createCustomer(ctx.http);
    await ctx.http('PATCH', `/admin/keys/${disabled.keyId}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } });
    expect((await quote(specExamples.t2v, disabled.key)).status).toBe(401);
  });

  it('takes JSON only: a form is 415 or 400, never priced', async () => {
    const form = await ctx.http('POST', '/v1/video/quote', { token: customer.key, raw: 'model=wan2.7-t2v&prompt=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect(form.body.code).toBe('unsupported_media_type');
    const multipart = new FormData();
    multipart.set('model', 'wan2.7-t2v');
    multipart.set('prompt', 'a cat');
    const res = await fetch(`${ctx.baseUrl}/v1/video/quote`, { method: 'POST', headers: { authorization: `Bearer ${customer.key}` }, body: multipart });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'invalid_request', message: expect.stringMatching(/^request body: .*expected object/), data: null });
  });
});
