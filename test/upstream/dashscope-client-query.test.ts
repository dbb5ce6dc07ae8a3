// DashScopeClient.query against a real local HTTP server replaying DashScope's documented task bodies.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DashScopeClient } from '../../src/upstream/dashscope-client.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { UpstreamChannel } from '../../src/upstream/types.ts';
import { fromChinaTime } from '../simulator/harness.ts';
import { type FakeDashScope, startFakeDashScope } from './fake-dashscope.ts';
import {
  errorEnvelopes,
  nginx502,
  taskCanceled,
  taskFailed,
  taskFailedWithoutCode,
  taskPending,
  taskRunning,
  taskSucceededLegacy,
  taskSucceededR2v,
  taskSucceededT2v,
  taskSucceededUsageStrings,
  taskSucceededVideoedit,
  taskSuspended,
  taskUnknown,
} from './recorded-bodies.ts';

const client = new DashScopeClient({ timeoutMs: 2_000, metrics: createMetrics() });
const VIDEO_URL = taskSucceededT2v.output.video_url;

let fake: FakeDashScope;
let channel: UpstreamChannel;

beforeAll(async () => {
  fake = await startFakeDashScope();
  channel = { id: 2, baseUrl: fake.baseUrl, apiKey: 'sk-test-query' };
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('query: the request on the wire', () => {
  it('GETs /api/v1/tasks/{id} with the key and without the async header', async () => {
    fake.reply({ status: 200, json: taskRunning });
    await client.query(channel, '9e2b6ef6-285d-4efa-8651-4dbda7d571fa');

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.method).toBe('GET');
    expect(request!.url).toBe('/api/v1/tasks/9e2b6ef6-285d-4efa-8651-4dbda7d571fa');
    expect(request!.headers.authorization).toBe('Bearer sk-test-query');
    expect(request!.headers['x-dashscope-async']).toBeUndefined();
    expect(request!.headers['content-type']).toBeUndefined();
    expect(request!.body).toBe('');
  });

  it('keeps an odd task id inside its path segment', async () => {
    fake.reply({ status: 200, json: taskUnknown });
    await client.query(channel, '../x?y#z');
    expect(fake.requests[0]!.url).toBe('/api/v1/tasks/..%2Fx%3Fy%23z');
  });
});

describe('query: task states', () => {
  // The upstream's own times, read independently of the client's parser.
  const timeAt = (body: Record<string, unknown>, field: string) => {
    const text = (body.output as Record<string, unknown> | undefined)?.[field];
    return typeof text === 'string' ? new Date(fromChinaTime(text)) : null;
  };
  const snapshot = (body: Record<string, unknown>, fields: Record<string, unknown>) => ({
    ok: true,
    task: {
      videoUrl: null,
      code: null,
      message: null,
      outputSeconds: null,
      scheduledAt: timeAt(body, 'scheduled_time'),
      endedAt: timeAt(body, 'end_time'),
      body,
      ...fields,
    },
  });

  it.each([
    ['PENDING', taskPending],
    ['RUNNING', taskRunning],
    ['CANCELED', taskCanceled],
    ['UNKNOWN', taskUnknown],
  ])('reads %s', async (state, body) => {
    fake.reply({ status: 200, json: body });
    expect(await client.query(channel, 'task')).toStrictEqual(snapshot(body, { state }));
  });

  it('reads SUCCEEDED with its video URL and output seconds (t2v)', async () => {
    fake.reply({ status: 200, json: taskSucceededT2v });
    expect(await client.query(channel, 'task')).toStrictEqual(
      snapshot(taskSucceededT2v, { state: 'SUCCEEDED', videoUrl: VIDEO_URL, outputSeconds: 10 }),
    );
  });

  it('counts only the output seconds of r2v, not the input video it also bills', async () => {
    fake.reply({ status: 200, json: taskSucceededR2v });
    expect(await client.query(channel, 'task')).toStrictEqual(
      snapshot(taskSucceededR2v, { state: 'SUCCEEDED', videoUrl: VIDEO_URL, outputSeconds: 10 }),
    );
  });

  it('keeps fractional seconds (videoedit)', async () => {
    fake.reply({ status: 200, json: taskSucceededVideoedit });
    expect(await client.query(channel, 'task')).toStrictEqual(
      snapshot(taskSucceededVideoedit, { state: 'SUCCEEDED', videoUrl: VIDEO_URL, outputSeconds: 5.02 }),
    );
  });

  it('accepts usage numbers sent as strings', async () => {
    fake.reply({ status: 200, json: taskSucceededUsageStrings });
    expect(await client.query(channel, 'task')).toStrictEqual(
      snapshot(taskSucceededUsageStrings, { state: 'SUCCEEDED', videoUrl: VIDEO_URL, outputSeconds: 5.02 }),
    );
  });

  it('falls back to usage.duration, then usage.video_duration', async () => {
    const onlyDuration = { ...taskSucceededT2v, usage: { duration: '7.5', SR: 720 } };
    fake.reply({ status: 200, json: onlyDuration }, { status: 200, json: taskSucceededLegacy });
    expect(await client.query(channel, 'task')).toStrictEqual(snapshot(onlyDuration, { state: 'SUCCEEDED', videoUrl: VIDEO_URL, outputSeconds: 7.5 }));
    expect(await client.query(channel, 'task')).toStrictEqual(
      snapshot(taskSucceededLegacy, { state: 'SUCCEEDED', videoUrl: VIDEO_URL, outputSeconds: 5 }),
    );
  });

  it('ignores usage values that are not numbers', async () => {
    const odd = { ...taskSucceededT2v, usage: { output_video_duration: 'ten', duration: '', video_duration: -3 } };
    fake.reply({ status: 200, json: odd });
    expect(await client.query(channel, 'task')).toStrictEqual(snapshot(odd, { state: 'SUCCEEDED', videoUrl: VIDEO_URL }));
  });

  it('reads FAILED with the code and message DashScope puts inside output', async () => {
    fake.reply({ status: 200, json: taskFailed });
    expect(await client.query(channel, 'task')).toStrictEqual(
      snapshot(taskFailed, { state: 'FAILED', code: 'InvalidParameter', message: 'The size is not match xxxxxx' }),
    );
  });

  it('reads FAILED with no code or message at all', async () => {
    fake.reply({ status: 200, json: taskFailedWithoutCode });
    expect(await client.query(channel, 'task')).toStrictEqual(snapshot(taskFailedWithoutCode, { state: 'FAILED' }));
  });

  it('reads FAILED whose details sit at the top level, even though a top-level code usually means an error body', async () => {
    const failed = { request_id: 'f-3', code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.', output: { task_id: 'task', task_status: 'FAILED' } };
    fake.reply({ status: 200, json: failed });
    expect(await client.query(channel, 'task')).toStrictEqual(
      snapshot(failed, { state: 'FAILED', code: 'DataInspectionFailed', message: 'Output data may contain inappropriate content.' }),
    );
  });

  it('does not take a top-level "Success" for a failure code', async () => {
    const succeeded = { ...taskSucceededT2v, code: 'Success', message: '' };
    fake.reply({ status: 200, json: succeeded });
    expect(await client.query(channel, 'task')).toStrictEqual(snapshot(succeeded, { state: 'SUCCEEDED', videoUrl: VIDEO_URL, outputSeconds: 10 }));
  });

  it('counts a status it does not know (SUSPENDED) as still running', async () => {
    fake.reply({ status: 200, json: taskSuspended });
    expect(await client.query(channel, 'task')).toStrictEqual(snapshot(taskSuspended, { state: 'RUNNING' }));
  });
});

describe('query: error bodies are failures, never a state', () => {
  it.each([
    ['no output at all', { request_id: 'x-1' }],
    ['output without task_status', { request_id: 'x-2', output: { task_id: 'task' } }],
    ['an empty task_status', { request_id: 'x-3', output: { task_id: 'task', task_status: '' } }],
  ])('fails a 200 with %s as an invalid response, to be retried', async (_name, body) => {
    fake.reply({ status: 200, json: body });
    expect(await client.query(channel, 'task')).toStrictEqual({
      ok: false,
      failure: {
        kind: 'invalid_response',
        httpStatus: 200,
        code: 'InvalidResponse',
        message: 'DashScope answered HTTP 200 without output.task_status',
        body,
        disposition: 'retry',
      },
    });
  });

  it('fails an invalid key as a channel failure instead of reading it as "queued"', async () => {
    const [status, envelope] = errorEnvelopes.InvalidApiKey;
    fake.reply({ status, json: envelope });
    expect(await client.query(channel, 'task')).toStrictEqual({
      ok: false,
      failure: { kind: 'http', httpStatus: 401, code: 'InvalidApiKey', message: 'Invalid API-key provided.', body: envelope, disposition: 'channel' },
    });
  });

  it('fails a 200 carrying a top-level error code', async () => {
    const envelope = { code: 'Throttling', message: 'Requests throttling triggered.', request_id: 'q-1' };
    fake.reply({ status: 200, json: envelope });
    expect(await client.query(channel, 'task')).toStrictEqual({
      ok: false,
      failure: { kind: 'http', httpStatus: 200, code: 'Throttling', message: 'Requests throttling triggered.', body: envelope, disposition: 'retry' },
    });
  });

  it('fails a proxy error page', async () => {
    fake.reply({ status: 502, text: nginx502, contentType: 'text/html' });
    expect(await client.query(channel, 'task')).toStrictEqual({
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
});
