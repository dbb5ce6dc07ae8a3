// GET /v1/models and /v1/models/{model}: OpenAI's model list, limited to what the key may use, each
// model with what a second costs that key; read by HTTP and by the official `openai` SDK.
import OpenAI from 'openai';
import OpenAI6 from 'openai6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, createKey, type Customer } from './helpers/factories.ts';

let ctx: TestContext;
let customer: Customer;
let vip: Customer;
let t2vOnlyKey: string;

const WAN = ['wan2.7-i2v', 'wan2.7-r2v', 'wan2.7-t2v', 'wan2.7-t2v-2026-04-25', 'wan2.7-videoedit'];

beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.db
    .insertInto('modelPrices')
    .values([
      // A dated snapshot at an uneven price, offered at 720P only.
      { model: 'wan2.7-t2v-2026-04-25', pricePerSecond: '0.123457', resolutionRatios: { '720P': 1 } },
      // Priced, but not a model the gateway can run: never offered.
      { model: 'sora-2', pricePerSecond: '0.5', resolutionRatios: { '720P': 1 } },
      // Priced only at a resolution no request can ask for: never offered.
      { model: 'wan2.7-i2v-480', pricePerSecond: '0.05', resolutionRatios: { '480P': 1 } },
    ])
    .execute();
  await ctx.db.insertInto('groups').values({ name: 'vip', ratio: '0.8' }).execute();
  await ctx.bus.publish({ kind: 'catalog' });
  customer = await createCustomer(ctx.http, 1_000_000_000);
  vip = await createCustomer(ctx.http, 1_000_000_000, { group: 'vip' });
  t2vOnlyKey = (await createKey(ctx.http, customer.userId, { models: ['wan2.7-t2v', 'sora-2'] })).key;
});
afterAll(() => ctx.close());

const get = (path: string, key = customer.key) => ctx.http('GET', path, { token: key });

describe('GET /v1/models', () => {
  it("lists the Wan models with a price, in OpenAI's list shape", async () => {
    const res = await get('/v1/models');
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('list');
    expect(res.body.data.map((m: { id: string }) => m.id)).toEqual(WAN);
    for (const model of res.body.data) {
      expect(model).toMatchObject({ object: 'model', owned_by: 'alibaba', created: expect.any(Number) });
    }
  });

  it('says what a second costs at each resolution the model is offered at', async () => {
    const t2v = (await get('/v1/models')).body.data.find((m: { id: string }) => m.id === 'wan2.7-t2v');
    expect(t2v.pricing).toEqual({
      currency: 'USD',
      unit: 'second',
      price_per_second: '0.1',
      group: 'default',
      group_ratio: '1',
      quota_per_unit: 500_000,
      resolutions: {
        '720P': { resolution_ratio: '1', usd_per_second: '0.1', quota_per_second: 50_000 },
        '1080P': { resolution_ratio: '1.5', usd_per_second: '0.15', quota_per_second: 75_000 },
      },
    });
  });

  it("gives `created` as the time the model was first priced", async () => {
    const row = await ctx.db.selectFrom('modelPrices').select('createdAt').where('model', '=', 'wan2.7-t2v-2026-04-25').executeTakeFirstOrThrow();
    expect((await get('/v1/models/wan2.7-t2v-2026-04-25')).body.created).toBe(Math.floor(row.createdAt.getTime() / 1000));
  });

  it("applies the key's group ratio", async () => {
    const t2v = (await get('/v1/models', vip.key)).body.data.find((m: { id: string }) => m.id === 'wan2.7-t2v');
    expect(t2v.pricing).toMatchObject({ group: 'vip', group_ratio: '0.8' });
    expect(t2v.pricing.resolutions['1080P']).toEqual({ resolution_ratio: '1.5', usd_per_second: '0.12', quota_per_second: 60_000 });
  });

  it('shows the unrounded rate: a task costs rate × seconds rounded half-up, which is what a submit charges', async () => {
    const model = (await get('/v1/models/wan2.7-t2v-2026-04-25')).body;
    expect(model.pricing.resolutions).toEqual({ '720P': { resolution_ratio: '1', usd_per_second: '0.123457', quota_per_second: 61_728.5 } });
    const before = await balanceOf(ctx.http, customer.userId);
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: { model: 'wan2.7-t2v-2026-04-25', prompt: 'a', duration: 5 } });
    expect(res.status).toBe(200);
    const charged = before.quota - (await balanceOf(ctx.http, customer.userId)).quota;
    expect(charged).toBe(308_643); // 61,728.5 × 5 = 308,642.5, rounded half-up
  });

  it("lists only what the key's allow-list lets through, and only if it has a price", async () => {
    const res = await get('/v1/models', t2vOnlyKey);
    expect(res.body.data.map((m: { id: string }) => m.id)).toEqual(['wan2.7-t2v']);
  });

  it('follows the catalog: a model whose price is removed disappears', async () => {
    await ctx.db.deleteFrom('modelPrices').where('model', '=', 'wan2.7-t2v-2026-04-25').execute();
    await ctx.bus.publish({ kind: 'catalog' });
    await expect.poll(async () => (await get('/v1/models')).body.data.length).toBe(WAN.length - 1);
    expect((await get('/v1/models/wan2.7-t2v-2026-04-25')).status).toBe(404);
  });
});

describe('GET /v1/models/{model}', () => {
  it('answers one model, as the list shows it', async () => {
    const res = await get('/v1/models/wan2.7-r2v');
    expect(res.status).toBe(200);
    const listed = (await get('/v1/models')).body.data.find((m: { id: string }) => m.id === 'wan2.7-r2v');
    expect(res.body).toEqual(listed);
  });

  it("answers 404 in OpenAI's shape for an unknown model, one without a price, and one the key may not use", async () => {
    for (const [model, key] of [
      ['wan2.7-nothing', customer.key],
      ['sora-2', customer.key],
      ['sora-2', t2vOnlyKey],
      ['wan2.7-i2v-480', customer.key],
      ['wan2.7-r2v', t2vOnlyKey],
    ] as const) {
      const res = await get(`/v1/models/${model}`, key);
      expect(res.status, model).toBe(404);
      expect(res.body).toEqual({
        error: {
          message: `model ${model} does not exist, or this API key may not use it; GET /v1/models lists the models it may use`,
          type: 'not_found_error',
          param: 'model',
          code: 'not_found',
        },
      });
    }
  });
});

describe("errors in OpenAI's shape", () => {
  it('answers a missing, wrong or disabled key with 401', async () => {
    const disabled = await createCustomer(ctx.http);
    await ctx.http('PATCH', `/admin/keys/${disabled.keyId}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } });
    for (const path of ['/v1/models', '/v1/models/wan2.7-t2v']) {
      const missing = await ctx.http('GET', path);
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({
        error: { message: 'missing API key: send the header "Authorization: Bearer sk-..."', type: 'authentication_error', param: null, code: 'invalid_api_key' },
      });
      expect((await get(path, 'sk-nobody')).body).toEqual({ error: { message: 'invalid API key', type: 'authentication_error', param: null, code: 'invalid_api_key' } });
      expect((await get(path, disabled.key)).body.error).toMatchObject({ message: 'this API key has been disabled', code: 'invalid_api_key' });
    }
  });

  it('answers a path under /v1/models that is no route with 404', async () => {
    const res = await get('/v1/models/wan2.7-t2v/versions');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { message: 'no route for GET /v1/models/wan2.7-t2v/versions', type: 'not_found_error', param: null, code: 'not_found' } });
  });
});

describe('the official openai SDK', () => {
  it('lists the models with client.models.list() (openai 7 and 6)', async () => {
    for (const client of [new OpenAI({ apiKey: customer.key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 }), new OpenAI6({ apiKey: customer.key, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 })]) {
      const ids: string[] = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids).toEqual(expect.arrayContaining(['wan2.7-t2v', 'wan2.7-i2v', 'wan2.7-r2v', 'wan2.7-videoedit']));
      expect(ids).not.toContain('sora-2');
    }
  });

  it('retrieves one with client.models.retrieve(id), its price included', async () => {
    const client = new OpenAI({ apiKey: t2vOnlyKey, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    const model = await client.models.retrieve('wan2.7-t2v');
    expect(model).toMatchObject({ id: 'wan2.7-t2v', object: 'model', owned_by: 'alibaba' });
    expect((model as unknown as { pricing: { resolutions: Record<string, unknown> } }).pricing.resolutions['720P']).toMatchObject({ usd_per_second: '0.1' });
  });

  it("throws the SDK's NotFoundError and AuthenticationError, with the gateway's code", async () => {
    const client = new OpenAI({ apiKey: t2vOnlyKey, baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    const notFound = await client.models.retrieve('wan2.7-r2v').catch((err: unknown) => err);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound).toMatchObject({ status: 404, code: 'not_found', param: 'model', type: 'not_found_error' });
    const stranger = new OpenAI({ apiKey: 'sk-nobody', baseURL: `${ctx.baseUrl}/v1`, maxRetries: 0 });
    const refused = await stranger.models.list().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(refused).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });
});
