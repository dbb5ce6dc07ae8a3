// DashScopeClient.cancel against a real local HTTP server.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DashScopeClient } from '../../src/upstream/dashscope-client.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { UpstreamChannel } from '../../src/upstream/types.ts';
import { type FakeDashScope, startFakeDashScope } from './fake-dashscope.ts';
import { cancelAccepted, cancelRejected } from './recorded-bodies.ts';

const client = new DashScopeClient({ timeoutMs: 2_000, metrics: createMetrics() });

let fake: FakeDashScope;
let channel: UpstreamChannel;

beforeAll(async () => {
  fake = await startFakeDashScope();
  channel = { id: 3, baseUrl: `${fake.baseUrl}/`, apiKey: 'sk-test-cancel' };
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('cancel', () => {
  it('POSTs an empty body to /api/v1/tasks/{id}/cancel with the key and without the async header', async () => {
    fake.reply({ status: 200, json: cancelAccepted });
    await client.cancel(channel, '86ecf553-d340-4e21-af6e-a0c6a421c010');

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/api/v1/tasks/86ecf553-d340-4e21-af6e-a0c6a421c010/cancel');
    expect(request!.headers.authorization).toBe('Bearer sk-test-cancel');
    expect(request!.headers['x-dashscope-async']).toBeUndefined();
    expect(request!.headers['content-length']).toBe('0');
    expect(request!.body).toBe('');
  });

  it('returns the body of an accepted cancel', async () => {
    fake.reply({ status: 200, json: cancelAccepted });
    expect(await client.cancel(channel, 'task')).toStrictEqual({ ok: true, body: cancelAccepted });
  });

  it('fails a cancel of a task no longer PENDING as the request’s fault', async () => {
    fake.reply({ status: 400, json: cancelRejected });
    expect(await client.cancel(channel, 'task')).toStrictEqual({
      ok: false,
      failure: {
        kind: 'http',
        httpStatus: 400,
        code: 'UnsupportedOperation',
        message: 'Failed to cancel the task, please confirm if the task is in PENDING status.',
        body: cancelRejected,
        disposition: 'request',
      },
    });
  });

  it('fails an empty 200 instead of taking it for an accepted cancel', async () => {
    fake.reply({ status: 200, text: '' });
    expect(await client.cancel(channel, 'task')).toStrictEqual({
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
});
