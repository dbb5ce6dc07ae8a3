// Who may call, which headers a submit needs, and the envelope every JSON answer comes in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBMIT_PATH } from '../../src/simulator/submit.route.ts';
import { type Harness, startSimulator, t2v, UUID } from './harness.ts';

let sim: Harness;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

const expectEnvelope = (reply: { status: number; headers: Headers; body: any }, status: number, code: string, message: string) => {
  expect(reply.status).toBe(status);
  expect(reply.body).toEqual({ code, message, request_id: expect.stringMatching(UUID) });
  expect(reply.headers.get('x-request-id')).toBe(reply.body.request_id);
};

describe('authentication', () => {
  it('answers 401 "No API-key provided." without an Authorization header', async () => {
    expectEnvelope(await sim.submit(t2v('a cat'), { key: null }), 401, 'InvalidApiKey', 'No API-key provided.');
    expectEnvelope(await sim.call('GET', '/api/v1/tasks/abc', { key: null }), 401, 'InvalidApiKey', 'No API-key provided.');
    expectEnvelope(await sim.call('POST', '/api/v1/tasks/abc/cancel', { key: null }), 401, 'InvalidApiKey', 'No API-key provided.');
  });

  it('answers 401 "Invalid API-key provided." for a wrong key', async () => {
    expectEnvelope(await sim.submit(t2v('a cat'), { key: 'sk-wrong' }), 401, 'InvalidApiKey', 'Invalid API-key provided.');
    expectEnvelope(await sim.call('GET', '/api/v1/tasks/abc', { key: 'sk-wrong' }), 401, 'InvalidApiKey', 'Invalid API-key provided.');
  });

  it('checks the key before it reads the body', async () => {
    const reply = await sim.call('POST', SUBMIT_PATH, { key: 'sk-wrong', async: true, raw: '{not json', headers: { 'content-type': 'application/json' } });
    expectEnvelope(reply, 401, 'InvalidApiKey', 'Invalid API-key provided.');
  });
});

describe('the async header', () => {
  it('is required on submit: 403 AccessDenied without it', async () => {
    const reply = await sim.submit(t2v('a cat'), { async: false });
    expectEnvelope(reply, 403, 'AccessDenied', 'current user api does not support synchronous calls');
  });

  it('must say enable', async () => {
    const reply = await sim.submit(t2v('a cat'), { async: false, headers: { 'x-dashscope-async': 'disable' } });
    expectEnvelope(reply, 403, 'AccessDenied', 'current user api does not support synchronous calls');
  });

  it('is not needed on task queries', async () => {
    const reply = await sim.call('GET', '/api/v1/tasks/abc');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-request-id')).toBe(reply.body.request_id);
  });
});

describe('bodies that are not JSON objects', () => {
  const cases: [string, { raw: string; headers: Record<string, string> }][] = [
    ['malformed JSON', { raw: '{"model":', headers: { 'content-type': 'application/json' } }],
    ['an empty JSON body', { raw: '', headers: { 'content-type': 'application/json' } }],
    ['a JSON array', { raw: '[]', headers: { 'content-type': 'application/json' } }],
    ['a JSON string', { raw: '"wan2.7-t2v"', headers: { 'content-type': 'application/json' } }],
    ['JSON null', { raw: 'null', headers: { 'content-type': 'application/json' } }],
    ['text/plain', { raw: '{"model":"wan2.7-t2v"}', headers: { 'content-type': 'text/plain' } }],
  ];
  it.each(cases)('%s → 400 InvalidParameter', async (_name, options) => {
    const reply = await sim.call('POST', SUBMIT_PATH, { async: true, ...options });
    expectEnvelope(reply, 400, 'InvalidParameter', 'The request body must be a JSON object.');
  });
});

describe('the success envelope', () => {
  it('is {"output":{"task_status":"PENDING","task_id"},"request_id"} with X-Request-ID', async () => {
    const reply = await sim.submit(t2v('a cat'));
    expect(reply.status).toBe(200);
    expect(reply.text).toMatch(/^\{"output":\{"task_status":"PENDING","task_id":"[^"]+"\},"request_id":"[^"]+"\}$/);
    expect(reply.body.output.task_id).toMatch(UUID);
    expect(reply.body.request_id).toMatch(UUID);
    expect(reply.headers.get('x-request-id')).toBe(reply.body.request_id);
  });

  it('gives every response its own request id', async () => {
    const [a, b] = await Promise.all([sim.submit(t2v('a cat')), sim.submit(t2v('a cat'))]);
    expect(a.body.request_id).not.toBe(b.body.request_id);
    expect(a.body.output.task_id).not.toBe(b.body.output.task_id);
  });
});

describe('unknown paths', () => {
  it('answer 404 in the same envelope', async () => {
    expectEnvelope(await sim.call('GET', '/api/v1/nothing?x=1'), 404, 'NotFound', 'No such API: GET /api/v1/nothing.');
  });
});
