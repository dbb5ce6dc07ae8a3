// GET /admin/tasks/{id}/events: an operator follows any user's task over the clients' event
// stream, each message the task's detail as GET /admin/tasks/{id} answers it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit } from '../helpers/gateway.ts';

let ctx: GatewayContext;
let customer: Customer;
let readToken: string;

beforeAll(async () => {
  ctx = await createGatewayContext();
  customer = await createCustomer(ctx.http, 1_000_000_000);
  const made = await ctx.http('POST', '/admin/tokens', { token: ADMIN_TOKEN, body: { name: 'watcher', scope: 'read' } });
  expect(made.status).toBe(201);
  readToken = made.body.token;
});
afterAll(async () => {
  await ctx?.close();
});

const slow = (ms: number) => ({ ...specExamples.t2v, prompt: `[sim:ms=${ms}] a cat` });

interface Event {
  event: string;
  id: string | null;
  data: any;
}

/** The whole stream, read with fetch until the server closes it, split into its events. */
async function readEvents(path: string, token: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; events: Event[] }> {
  const res = await fetch(`${ctx.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
      return { event: field('event') ?? 'message', id: field('id'), data: JSON.parse(field('data') ?? 'null') };
    });
  return { status: res.status, type: res.headers.get('content-type'), events };
}

const distinct = (values: string[]) => values.filter((v, i) => v !== values[i - 1]);

describe('GET /admin/tasks/{id}/events', () => {
  it('follows a task from submit to SUCCESS with the task detail, then ends', async () => {
    const taskId = await submit(ctx, customer.key, slow(1_200));
    const { status, type, events } = await readEvents(`/admin/tasks/${taskId}/events`, ADMIN_TOKEN);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    const messages = events.filter((e) => e.event === 'message');
    const statuses = distinct(messages.map((m) => m.data.status));
    expect(statuses.slice(-2)).toEqual(['IN_PROGRESS', 'SUCCESS']);
    expect(statuses.slice(0, -2).every((s) => s === 'NOT_START' || s === 'QUEUED')).toBe(true);
    // The end comes last, after the final state, and nothing after it.
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { status: 'SUCCESS' } });
    expect(events.filter((e) => e.event === 'end')).toHaveLength(1);

    // Each message is what GET /admin/tasks/{id} answers: the last one, the final detail.
    const last = messages.at(-1)!.data;
    expect(last).toMatchObject({ task_id: taskId, user_id: customer.userId, status: 'SUCCESS', progress: 100, result_url: expect.stringMatching(/^http/) });
    expect(last.logs.length).toBeGreaterThan(0);
    const get = await ctx.http('GET', `/admin/tasks/${taskId}`, { token: ADMIN_TOKEN });
    // Signed links and what happened after the end (the webhook's attempts) aside.
    const stable = (detail: any) => ({ ...detail, result_url: null, webhooks: [], webhook_deliveries: [] });
    expect(stable(last)).toEqual(stable(get.body));

    // Having seen the end, a reconnecting client is told there is nothing more.
    const again = await fetch(`${ctx.baseUrl}/admin/tasks/${taskId}/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'last-event-id': messages.at(-1)!.id! } });
    expect(again.status).toBe(204);
  });

  it('shows a queued task its place in the queue while it waits to be sent upstream', async () => {
    await ctx.stopWorkers();
    try {
      const ids = [];
      for (let i = 0; i < 2; i++) ids.push(await submit(ctx, customer.key, slow(100)));
      const res = await fetch(`${ctx.baseUrl}/admin/tasks/${ids[1]}/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      const first = JSON.parse(/^data: (.+)$/m.exec(text)![1]!);
      expect(first).toMatchObject({ task_id: ids[1], status: 'NOT_START', queue_position: 1, logs: expect.any(Array) });
    } finally {
      await ctx.startWorker();
    }
  });

  it('lets a read-only admin token follow a task', async () => {
    const taskId = await submit(ctx, customer.key, slow(200));
    const { status, events } = await readEvents(`/admin/tasks/${taskId}/events`, readToken);
    expect(status).toBe(200);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { status: 'SUCCESS' } });
  });

  it('answers 401 without an admin token, or with a client key, and opens no stream', async () => {
    const taskId = await submit(ctx, customer.key, slow(100));
    const none = await ctx.http('GET', `/admin/tasks/${taskId}/events`);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('admin_unauthorized');
    const client = await ctx.http('GET', `/admin/tasks/${taskId}/events`, { token: customer.key });
    expect(client.status).toBe(401);
    expect(client.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('answers 404 for an unknown task and 400 for an id that cannot be one', async () => {
    const unknown = await ctx.http('GET', '/admin/tasks/task_00000000000000000000000000000000/events', { token: ADMIN_TOKEN });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'not_found', message: 'task task_00000000000000000000000000000000 not found' });
    const bad = await ctx.http('GET', `/admin/tasks/task_${'x'.repeat(64)}/events`, { token: ADMIN_TOKEN });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_request');
  });
});
