// Timeouts and network errors: every call comes back as a retryable failure within its budget and
// never throws.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DashScopeClient } from '../../src/upstream/dashscope-client.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { DashScopeSubmitBody } from '../../src/upstream/dashscope-submit-body.ts';
import type { UpstreamChannel } from '../../src/upstream/types.ts';
import { closedPort, type FakeDashScope, startFakeDashScope } from './fake-dashscope.ts';
import { submitAccepted, taskRunning } from './recorded-bodies.ts';

const TIMEOUT_MS = 300;
const client = new DashScopeClient({ timeoutMs: TIMEOUT_MS, metrics: createMetrics() });
const body: DashScopeSubmitBody = { model: 'wan2.7-t2v', input: { prompt: 'a cat' }, parameters: { resolution: '720P', duration: 5 } };

let fake: FakeDashScope;
let channel: UpstreamChannel;

beforeAll(async () => {
  fake = await startFakeDashScope();
  channel = { id: 4, baseUrl: fake.baseUrl, apiKey: 'sk-test-transport' };
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const calls: Record<'submit' | 'query' | 'cancel', () => Promise<unknown>> = {
  submit: () => client.submit(channel, body),
  query: () => client.query(channel, 'task-1'),
  cancel: () => client.cancel(channel, 'task-1'),
};
const described = {
  submit: 'POST /api/v1/services/aigc/video-generation/video-synthesis',
  query: 'GET /api/v1/tasks/task-1',
  cancel: 'POST /api/v1/tasks/task-1/cancel',
};

async function timed(fn: () => Promise<unknown>): Promise<{ result: unknown; ms: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - start };
}

describe('timeouts', () => {
  it.each(Object.keys(calls) as (keyof typeof calls)[])('%s gives up after timeoutMs when no answer comes', async (name) => {
    fake.reply({ status: 200, json: submitAccepted, delayMs: 3_000 });
    const { result, ms } = await timed(calls[name]);
    const [method, path] = described[name].split(' ');
    expect(result).toStrictEqual({
      ok: false,
      failure: {
        kind: 'timeout',
        httpStatus: null,
        code: 'Timeout',
        message: `DashScope did not answer ${method} ${fake.baseUrl}${path} within ${TIMEOUT_MS} ms`,
        body: null,
        disposition: 'retry',
      },
    });
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(ms).toBeLessThan(2_000);
  });

  it('also covers a body that starts and then stalls, keeping the status that arrived', async () => {
    fake.reply({ status: 200, json: taskRunning, stallBody: true });
    const { result, ms } = await timed(calls.query);
    expect(result).toStrictEqual({
      ok: false,
      failure: {
        kind: 'timeout',
        httpStatus: 200,
        code: 'Timeout',
        message: `DashScope did not answer GET ${fake.baseUrl}/api/v1/tasks/task-1 within ${TIMEOUT_MS} ms`,
        body: null,
        disposition: 'retry',
      },
    });
    expect(ms).toBeLessThan(2_000);
  });

  it('still answers a reply that is slow but within the budget', async () => {
    fake.reply({ status: 200, json: taskRunning, delayMs: 50 });
    expect(await calls.query()).toMatchObject({ ok: true, task: { state: 'RUNNING' } });
  });
});

describe('network errors', () => {
  it.each(Object.keys(calls) as (keyof typeof calls)[])('%s to a closed port is a retryable network failure', async (name) => {
    const port = await closedPort();
    const closed = { ...channel, baseUrl: `http://127.0.0.1:${port}` };
    const call = { submit: () => client.submit(closed, body), query: () => client.query(closed, 'task-1'), cancel: () => client.cancel(closed, 'task-1') }[name];
    const [method, path] = described[name].split(' ');
    expect(await call()).toStrictEqual({
      ok: false,
      failure: {
        kind: 'network',
        httpStatus: null,
        code: 'NetworkError',
        message: `could not reach DashScope (${method} http://127.0.0.1:${port}${path}): fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
        body: null,
        disposition: 'retry',
      },
    });
  });

  it('reports an unknown host', async () => {
    // A budget of its own, so a slow resolver cannot turn the DNS answer into a timeout.
    const patient = new DashScopeClient({ timeoutMs: 10_000, metrics: createMetrics() });
    const outcome = await patient.query({ ...channel, baseUrl: 'http://dashscope.invalid' }, 'task-1');
    expect(outcome).toMatchObject({
      ok: false,
      failure: { kind: 'network', httpStatus: null, code: 'NetworkError', body: null, disposition: 'retry' },
    });
    expect(!outcome.ok && outcome.failure.message).toMatch(/^could not reach DashScope \(GET http:\/\/dashscope\.invalid\/api\/v1\/tasks\/task-1\): fetch failed: .*dashscope\.invalid/);
  });

  it('reports a connection dropped in the middle of the body, keeping the status that arrived', async () => {
    fake.reply({ status: 200, json: taskRunning, resetMidBody: true });
    expect(await calls.query()).toStrictEqual({
      ok: false,
      failure: {
        kind: 'network',
        httpStatus: 200,
        code: 'NetworkError',
        message: `could not reach DashScope (GET ${fake.baseUrl}/api/v1/tasks/task-1): terminated: other side closed`,
        body: null,
        disposition: 'retry',
      },
    });
  });
});
