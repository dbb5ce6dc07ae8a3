// Every rule a submit must pass before it is charged: the answer is a 400 (or 413/415) whose
// message says what to fix, and the customer's balance and task list stay exactly as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, type Customer, specExamples } from './helpers/factories.ts';
import { countRows } from './helpers/rows.ts';
import { acceptedBodies, longText, rejectedBodies } from './helpers/submit-bodies.ts';

let ctx: TestContext;
let customer: Customer;
const START = 50_000_000;

beforeAll(async () => {
  ctx = await createTestContext();
  customer = await createCustomer(ctx.http, START);
});
afterAll(() => ctx.close());

const t2v = specExamples.t2v;

describe('rejected before any charge', () => {
  it.each(rejectedBodies)('%s → 400', async (_name, body, message) => {
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.data).toBeNull();
    if (typeof message === 'string') expect(res.body.message).toBe(message);
    else expect(res.body.message).toMatch(message);
  });

  it('uses the OpenAI error shape on /v1/videos', async () => {
    const res = await ctx.http('POST', '/v1/videos', { token: customer.key, body: { model: 'nope', prompt: 'a' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { message: 'unknown model: nope', type: 'invalid_request_error', param: 'model', code: 'invalid_request' } });
  });

  it('answers malformed JSON with 400', async () => {
    const res = await ctx.http('POST', '/v1/video/generations', {
      token: customer.key,
      raw: '{"model": "wan2.7-t2v", "prompt": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid_request', message: 'request body is not valid JSON; send a JSON object', data: null });
  });

  it('answers an empty JSON body with 400', async () => {
    const res = await ctx.http('POST', '/v1/videos', { token: customer.key, raw: '', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/empty|expected object/);
  });

  it('answers a body over the limit with 413', async () => {
    const huge = JSON.stringify({ ...t2v, prompt: longText(11 * 1024 * 1024) });
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, raw: huge, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 'payload_too_large', message: 'request body is larger than the 10485760-byte limit', data: null });
  });

  it('answers a body that is not JSON with 415', async () => {
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, raw: 'model=wan2.7-t2v', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    expect(res.body.message).toMatch(/application\/json/);
  });

  it('left the balance and the task list untouched', async () => {
    const balance = await balanceOf(ctx.http, customer.userId);
    expect(balance).toMatchObject({ quota: START, used_quota: 0 });
    expect(await countRows(ctx.db, 'tasks')).toBe(0);
    expect(await countRows(ctx.db, 'logs', { type: 2 })).toBe(0);
  });
});

describe('accepted edge values', () => {
  it.each(acceptedBodies)('%s', async (_name, body) => {
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});
