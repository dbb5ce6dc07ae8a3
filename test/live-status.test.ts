// Live task status for clients: answers held until the task ends (Prefer: wait), server-sent
// events, cancel, and the query cache behind them, all fed by one status stream.
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, createCustomer, type Customer, specExamples } from './helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from './helpers/gateway.ts';
import { until } from './helpers/until.ts';

let ctx: GatewayContext;
let customer: Customer;
const START = 1_000_000_000;

beforeAll(async () => {
  // Upstream PENDING lasts 600 ms, so a task can be cancelled there.
  ctx = await createGatewayContext({ simulator: { pendingMs: 600 } });
  customer = await createCustomer(ctx.http, START);
});
afterAll(async () => {
  await ctx?.close();
});

const slow = (ms: number) => ({ ...specExamples.t2v, prompt: `[sim:ms=${ms}] a cat` });

interface Message {
  id: string;
  data: any;
}

/** Reads a task's event stream with a standard EventSource client until its `end` event. */
function readStream(path: string, options: { lastEventId?: string } = {}): Promise<{ messages: Message[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const messages: Message[] = [];
    const source = new EventSource(`${ctx.baseUrl}${path}`, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...init?.headers, authorization: `Bearer ${customer.key}`, ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}) },
        }),
    });
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`no end event on ${path}; got ${JSON.stringify(messages.map((m) => m.data.status ?? m.data.data?.status))}`));
    }, 20_000);
    source.onmessage = (event) => messages.push({ id: event.lastEventId, data: JSON.parse(event.data) });
    source.addEventListener('end', () => {
      clearTimeout(timer);
      source.close();
      resolve({ messages, ended: true });
    });
  });
}

const distinct = (values: string[]) => values.filter((v, i) => v !== values[i - 1]);

describe('Prefer: wait', () => {
  it('holds a submit until the task is final and answers its record, without polling', async () => {
    const res = await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: slow(400), headers: { prefer: 'wait=20' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=20');
    expect(res.body).toMatchObject({ code: 'success', data: { status: 'SUCCESS', progress: '100%' } });
    expect(res.body.data.result_url).toMatch(/^http/);
  });

  it('holds a create on /v1/videos and answers the completed Video object', async () => {
    const res = await ctx.http('POST', '/v1/videos', { token: customer.key, body: slow(300), headers: { prefer: 'respond-async, wait=15' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=15');
    expect(res.body).toMatchObject({ object: 'video', status: 'completed', progress: 100, metadata: { url: expect.stringMatching(/^http/) } });
  });

  it('answers a query after N seconds when the task is not final yet, and caps N at WAIT_MAX_S', async () => {
    const taskId = await submit(ctx, customer.key, slow(30_000));
    const started = Date.now();
    const res = await ctx.http('GET', `/v1/videos/${taskId}`, { token: customer.key, headers: { prefer: 'wait=1' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(res.headers.get('preference-applied')).toBe('wait=1');
    expect(['queued', 'in_progress']).toContain(res.body.status);
    const capped = await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: customer.key, headers: { prefer: 'wait=0' } });
    expect(capped.headers.get('preference-applied')).toBe('wait=0');
    // A final task answers at once, whatever the wait; a wait over the maximum says what was applied.
    const done = await submit(ctx, customer.key, slow(100));
    await waitForFinal(ctx, customer.key, done);
    const long = await ctx.http('GET', `/v1/videos/${done}`, { token: customer.key, headers: { prefer: 'wait=100000' } });
    expect(long.headers.get('preference-applied')).toBe('wait=60');
    expect(long.body.status).toBe('completed');
  });

  it('answers a query the moment the task ends, on another API process too', async () => {
    const peer = await ctx.startPeer();
    const taskId = await submit(ctx, customer.key, slow(800));
    const held = await peer.http('GET', `/v1/video/generations/${taskId}`, { token: customer.key, headers: { prefer: 'wait=30' } });
    expect(held.body.data.status).toBe('SUCCESS');
    await peer.close();
  });
});

describe('server-sent events', () => {
  it('/v1/videos/{id}/events: queued, in_progress, completed, then end, with a standard EventSource', async () => {
    const taskId = await submit(ctx, customer.key, slow(1_200));
    const { messages } = await readStream(`/v1/videos/${taskId}/events`);
    const statuses = distinct(messages.map((m) => m.data.status));
    expect(statuses).toEqual(['queued', 'in_progress', 'completed']);
    // Polls that found the task where it was are not events: no message repeats the one before.
    const bodies = messages.map((m) => JSON.stringify(m.data));
    expect(bodies.filter((b, i) => b === bodies[i - 1])).toEqual([]);
    expect(messages.at(-1)?.data).toMatchObject({ id: taskId, status: 'completed', progress: 100, metadata: { url: expect.stringMatching(/^http/) } });
    // Each message is the object GET /v1/videos/{id} returns.
    const get = await ctx.http('GET', `/v1/videos/${taskId}`, { token: customer.key });
    expect({ ...messages.at(-1)?.data, expires_at: 0, metadata: {} }).toEqual({ ...get.body, expires_at: 0, metadata: {} });
  });

  it('/v1/video/generations/{id}/events: NOT_START or QUEUED, IN_PROGRESS, SUCCESS', async () => {
    const taskId = await submit(ctx, customer.key, slow(1_200));
    const { messages } = await readStream(`/v1/video/generations/${taskId}/events`);
    const statuses = distinct(messages.map((m) => m.data.data.status));
    expect(statuses.slice(-2)).toEqual(['IN_PROGRESS', 'SUCCESS']);
    expect(statuses.slice(0, -2).every((s) => s === 'NOT_START' || s === 'QUEUED')).toBe(true);
    expect(messages.at(-1)?.data).toMatchObject({ code: 'success', message: '', data: { task_id: taskId, status: 'SUCCESS' } });
  });

  it('carries the security headers of every other answer', async () => {
    const taskId = await submit(ctx, customer.key, slow(100));
    const res = await fetch(`${ctx.baseUrl}/v1/video/generations/${taskId}/events`, { headers: { authorization: `Bearer ${customer.key}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // Data, like the JSON answers: nothing may load from it or frame it.
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    await res.body?.cancel();
  });

  it('resumes with Last-Event-ID, and answers 204 once the client has seen the end', async () => {
    const taskId = await submit(ctx, customer.key, slow(300));
    const first = await readStream(`/v1/videos/${taskId}/events`);
    const finalId = first.messages.at(-1)!.id;
    const gone = await fetch(`${ctx.baseUrl}/v1/videos/${taskId}/events`, { headers: { authorization: `Bearer ${customer.key}`, 'last-event-id': finalId } });
    expect(gone.status).toBe(204);
    // A client that saw only the first message gets the rest, not the first again.
    const resumed = await readStream(`/v1/videos/${taskId}/events`, { lastEventId: first.messages[0]!.id });
    expect(resumed.messages.map((m) => m.id)).not.toContain(first.messages[0]!.id);
    expect(resumed.messages.at(-1)?.data.status).toBe('completed');
  });

  it('tells a task waiting to be sent upstream its place in the queue, and moves it up', async () => {
    await ctx.stopWorkers();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(ctx, customer.key, slow(200)));
    const stream = readStream(`/v1/videos/${ids[2]}/events`);
    await new Promise((r) => setTimeout(r, 300));
    await ctx.startWorker();
    const { messages } = await stream;
    const positions = messages.map((m) => m.data.queue_position).filter((p) => p !== undefined);
    expect(positions[0]).toBe(2);
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    expect(messages.at(-1)?.data.queue_position).toBeUndefined();
  });

  it('404s a task of another customer, in the shape of the route family', async () => {
    const taskId = await submit(ctx, customer.key, slow(100));
    const other = await createCustomer(ctx.http, 1_000_000);
    const res = await ctx.http('GET', `/v1/videos/${taskId}/events`, { token: other.key });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('cancel', () => {
  it('ends a task still PENDING upstream: FAILURE "Canceled: canceled by the client" and a full refund', async () => {
    const who = await createCustomer(ctx.http, 10_000_000);
    const taskId = await submit(ctx, who.key, slow(5_000));
    const res = await ctx.http('POST', `/v1/videos/${taskId}/cancel`, { token: who.key });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: taskId, status: 'failed', error: { code: 'Canceled', message: 'canceled by the client' } });
    expect(await balanceOf(ctx.http, who.userId)).toEqual({ quota: 10_000_000, used_quota: 0 });
    const again = await ctx.http('POST', `/v1/video/generations/${taskId}/cancel`, { token: who.key });
    expect(again.status).toBe(409);
    expect(again.headers.get('x-should-retry')).toBe('false');
    expect(again.body).toMatchObject({ code: 'conflict', data: null });
  });

  it('refuses a running task with 409 and x-should-retry: false, and leaves it to finish', async () => {
    const who = await createCustomer(ctx.http, 10_000_000);
    const taskId = await submit(ctx, who.key, slow(3_000));
    await until(async () => ((await ctx.http('GET', `/v1/videos/${taskId}`, { token: who.key })).body.status === 'in_progress' ? true : undefined), 'in progress');
    const res = await ctx.http('POST', `/v1/videos/${taskId}/cancel`, { token: who.key });
    expect(res.status).toBe(409);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(res.body.error).toMatchObject({ code: 'conflict', type: 'invalid_request_error' });
    expect(res.body.error.message).toMatch(/already running upstream/);
    expect((await waitForFinal(ctx, who.key, taskId)).status).toBe('SUCCESS');
  });

  it('races the worker 100 times: each task ends once, and the books are exact', { timeout: 120_000 }, async () => {
    const who = await createCustomer(ctx.http, 100_000_000);
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => submit(ctx, who.key, slow(100 + (i % 5) * 100))));
    const cancels = await Promise.all(
      ids.map(async (id) => {
        await new Promise((r) => setTimeout(r, Math.random() * 1_500));
        // A cancel DashScope could not be asked just then (its 20 requests a second are shared by
        // a hundred cancels and the worker's polls) is a 503 with Retry-After, and the client asks
        // again, as a client should.
        for (;;) {
          const res = await ctx.http('POST', `/v1/videos/${id}/cancel`, { token: who.key });
          if (res.status !== 503) return res.status;
          expect(res.headers.get('retry-after')).toBeTruthy();
          await new Promise((r) => setTimeout(r, 200));
        }
      }),
    );
    expect(cancels.filter((s) => s !== 200 && s !== 409)).toEqual([]);
    const finals = await Promise.all(ids.map((id) => waitForFinal(ctx, who.key, id, 60_000)));
    const succeeded = finals.filter((t) => t.status === 'SUCCESS').length;
    // A worker that polls the upstream between the cancel there and the settlement here ends the
    // task itself ('Canceled: the task was canceled upstream'); that cancel still answers 200.
    const canceled = finals.filter((t) => t.status === 'FAILURE' && t.fail_reason.startsWith('Canceled: ')).length;
    expect(succeeded + canceled).toBe(100);
    expect(cancels.filter((s) => s === 200)).toHaveLength(canceled);
    expect(await balanceOf(ctx.http, who.userId)).toEqual({ quota: 100_000_000 - succeeded * 250_000, used_quota: succeeded * 250_000 });
    const refunds = await ctx.db.selectFrom('logs').select('taskId').where('type', '=', 6).where('userId', '=', who.userId).execute();
    expect(new Set(refunds.map((r) => r.taskId)).size).toBe(refunds.length);
    expect(refunds).toHaveLength(canceled);
  });
});

describe('the query cache', () => {
  it('never goes back to an earlier state, and shows the end on both of two API processes at once', { timeout: 60_000 }, async () => {
    const peer = await ctx.startPeer();
    try {
      const order = ['NOT_START', 'QUEUED', 'IN_PROGRESS', 'SUCCESS'];
      const apis = [ctx, peer];
      const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(ctx, customer.key, slow(200 + i * 50))));
      for (const id of ids) {
        const highest = [0, 0];
        let finalInDatabaseAt: number | undefined;
        for (;;) {
          const seen = await Promise.all(apis.map(async (api) => order.indexOf((await api.http('GET', `/v1/video/generations/${id}`, { token: customer.key })).body.data.status)));
          const truth = order.indexOf((await ctx.query('SELECT status FROM tasks WHERE task_id = $1', [id])).rows[0].status);
          seen.forEach((s, i) => {
            // Each process only moves forward, and never ahead of the database.
            expect(s).toBeGreaterThanOrEqual(highest[i]!);
            expect(s).toBeLessThanOrEqual(truth);
            highest[i] = s;
          });
          if (truth === 3) finalInDatabaseAt ??= Date.now();
          if (seen.every((s) => s === 3)) break;
          // The end, once committed, reaches both caches within moments.
          if (finalInDatabaseAt !== undefined) expect(Date.now() - finalInDatabaseAt).toBeLessThan(1_000);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    } finally {
      await peer.close();
    }
  });
});
