// DashScopeClient.submit against a real local HTTP server replaying DashScope's documented answers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DashScopeClient } from '../../src/upstream/dashscope-client.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { DashScopeSubmitBody } from '../../src/upstream/dashscope-submit-body.ts';
import type { FailureDisposition, UpstreamChannel } from '../../src/upstream/types.ts';
import { type FakeDashScope, startFakeDashScope } from './fake-dashscope.ts';
import { errorEnvelopes, nginx502, submitAccepted } from './recorded-bodies.ts';

const SUBMIT_PATH = '/api/v1/services/aigc/video-generation/video-synthesis';
const client = new DashScopeClient({ timeoutMs: 2_000, metrics: createMetrics() });
const body: DashScopeSubmitBody = {
  model: 'wan2.7-t2v',
  input: { prompt: 'A small cat running under moonlight' },
  parameters: { resolution: '720P', duration: 5, ratio: '16:9', seed: 42 },
};

let fake: FakeDashScope;
let channel: UpstreamChannel;

beforeAll(async () => {
  fake = await startFakeDashScope();
  channel = { id: 1, baseUrl: fake.baseUrl, apiKey: 'sk-test-submit' };
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('submit: the request on the wire', () => {
  it('POSTs the JSON body to video-synthesis with the key and the async header', async () => {
    fake.reply({ status: 200, json: submitAccepted });
    await client.submit(channel, body);

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(SUBMIT_PATH);
    expect(request!.headers.authorization).toBe('Bearer sk-test-submit');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-dashscope-async']).toBe('enable');
    expect(request!.headers['x-dashscope-ossresourceresolve']).toBeUndefined();
    expect(JSON.parse(request!.body)).toStrictEqual(body);
  });

  it('asks DashScope to resolve oss:// URLs when the body carries one', async () => {
    fake.reply({ status: 200, json: submitAccepted });
    const withOss: DashScopeSubmitBody = {
      model: 'wan2.7-i2v',
      input: { media: [{ type: 'first_frame', url: 'oss://dashscope-instant/abc/first.png' }] },
      parameters: { resolution: '720P', duration: 5 },
    };
    await client.submit(channel, withOss);
    expect(fake.requests[0]!.headers['x-dashscope-ossresourceresolve']).toBe('enable');
  });

  it.each([
    ['a trailing slash', (base: string) => `${base}/`],
    ['a base already ending in /api/v1', (base: string) => `${base}/api/v1`],
    ['a base ending in /api/v1/', (base: string) => `${base}/api/v1/`],
  ])('reaches the same path with %s', async (_name, variant) => {
    fake.reply({ status: 200, json: submitAccepted });
    const outcome = await client.submit({ ...channel, baseUrl: variant(fake.baseUrl) }, body);
    expect(outcome.ok).toBe(true);
    expect(fake.requests[0]!.url).toBe(SUBMIT_PATH);
  });
});

describe('submit: answers', () => {
  it('returns the upstream task id and the whole body on success', async () => {
    fake.reply({ status: 200, json: submitAccepted });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: true,
      upstreamTaskId: '0385dc79-5ff8-4d82-bcb6-xxxxxx',
      body: submitAccepted,
    });
  });

  const expected: Record<keyof typeof errorEnvelopes, FailureDisposition> = {
    InvalidApiKey: 'channel',
    InvalidParameter: 'request',
    'InvalidParameter.DataInspection': 'request',
    DataInspectionFailed: 'request',
    IPInfringementSuspect: 'request',
    InvalidURL: 'request',
    'BadRequest.EmptyInput': 'request',
    Arrearage: 'channel',
    AccessDenied: 'channel',
    'Workspace.AccessDenied': 'channel',
    'Endpoint.AccessDenied': 'channel',
    'AllocationQuota.FreeTierOnly': 'channel',
    ModelNotFound: 'request',
    Throttling: 'retry',
    'Throttling.RateQuota': 'retry',
    'Throttling.AllocationQuota': 'retry',
    InternalError: 'retry',
  };

  it.each(Object.entries(errorEnvelopes))('turns HTTP %s into an http failure', async (code, [status, envelope]) => {
    fake.reply({ status, json: envelope });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: {
        kind: 'http',
        httpStatus: status,
        code,
        message: envelope.message,
        body: envelope,
        disposition: expected[code as keyof typeof errorEnvelopes],
      },
    });
  });

  it('reads an OpenAI-style { error: { code, message } } envelope', async () => {
    const envelope = { error: { code: 'InvalidParameter', message: 'duration must be 2..15', type: 'invalid_request_error' }, request_id: 'o-1' };
    fake.reply({ status: 400, json: envelope });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: { kind: 'http', httpStatus: 400, code: 'InvalidParameter', message: 'duration must be 2..15', body: envelope, disposition: 'request' },
    });
  });

  it('treats a 200 carrying a top-level error code as the error it is', async () => {
    const envelope = { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded, please try again later.', request_id: 't-1' };
    fake.reply({ status: 200, json: envelope });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: { kind: 'http', httpStatus: 200, code: 'Throttling.RateQuota', message: envelope.message, body: envelope, disposition: 'retry' },
    });
  });

  it('does not count a top-level code of "Success" as an error', async () => {
    const accepted = { ...submitAccepted, code: 'Success' };
    fake.reply({ status: 200, json: accepted });
    expect(await client.submit(channel, body)).toStrictEqual({ ok: true, upstreamTaskId: '0385dc79-5ff8-4d82-bcb6-xxxxxx', body: accepted });
  });

  it('fails a 200 without output.task_id as an invalid response, to be retried', async () => {
    const noTask = { output: { task_status: 'PENDING' }, request_id: 'n-1' };
    fake.reply({ status: 200, json: noTask });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: {
        kind: 'invalid_response',
        httpStatus: 200,
        code: 'InvalidResponse',
        message: 'DashScope answered HTTP 200 without output.task_id',
        body: noTask,
        disposition: 'retry',
      },
    });
  });

  it('fails an error status without a JSON body, keeping its text and saying what it was', async () => {
    fake.reply({ status: 502, text: nginx502, contentType: 'text/html' });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: {
        kind: 'http',
        httpStatus: 502,
        code: 'HTTP_502',
        message: 'DashScope answered HTTP 502 with a body that is not a JSON object (text/html): 502 Bad Gateway 502 Bad Gateway nginx',
        body: { text: nginx502 },
        disposition: 'retry',
      },
    });
  });

  it('fails an error status with a JSON body but no code, using the status as the code', async () => {
    fake.reply({ status: 503, json: { message: 'upstream overloaded' } });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: { kind: 'http', httpStatus: 503, code: 'HTTP_503', message: 'upstream overloaded', body: { message: 'upstream overloaded' }, disposition: 'retry' },
    });
  });

  it.each([
    [400, { code: 'InvalidParameter', request_id: 'm-1' }, 'InvalidParameter', 'DashScope answered HTTP 400 with code InvalidParameter and no message', 'request'],
    [500, { request_id: 'm-2' }, 'HTTP_500', 'DashScope answered HTTP 500 with no error message', 'retry'],
  ] as const)('says so when HTTP %i comes without a message', async (status, envelope, code, message, disposition) => {
    fake.reply({ status, json: envelope });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: { kind: 'http', httpStatus: status, code, message, body: envelope, disposition },
    });
  });

  it('fails an empty 200 as an invalid response', async () => {
    fake.reply({ status: 200, text: '' });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: {
        kind: 'invalid_response',
        httpStatus: 200,
        code: 'InvalidResponse',
        message: 'DashScope answered HTTP 200 with an empty body',
        body: null,
        disposition: 'retry',
      },
    });
  });

  it('fails a 200 whose JSON is not an object', async () => {
    fake.reply({ status: 200, json: ['0385dc79'] });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: {
        kind: 'invalid_response',
        httpStatus: 200,
        code: 'InvalidResponse',
        message: 'DashScope answered HTTP 200 with a body that is not a JSON object (application/json): ["0385dc79"]',
        body: { text: '["0385dc79"]' },
        disposition: 'retry',
      },
    });
  });

  it('fails a 401 from a proxy with no body as a channel failure', async () => {
    fake.reply({ status: 401, text: '' });
    expect(await client.submit(channel, body)).toStrictEqual({
      ok: false,
      failure: { kind: 'http', httpStatus: 401, code: 'HTTP_401', message: 'DashScope answered HTTP 401 with an empty body', body: null, disposition: 'channel' },
    });
  });
});
