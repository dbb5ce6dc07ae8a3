// Every operator list: newest first, pages that join up, filters, and 400 for a bad filter; the
// one-record reads; key revocation; channel changes; the CSV export against the usage report.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createCustomer, createKey, createUser, specExamples } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';
import { allPages, asAdmin } from './helpers.ts';

let ctx: TestContext;
let admin: ReturnType<typeof asAdmin>;

beforeAll(async () => {
  ctx = await createTestContext();
  admin = asAdmin(ctx);
});
afterAll(() => ctx.close());

async function submit(key: string, body: object = specExamples.t2v): Promise<string> {
  const res = await ctx.http('POST', '/v1/video/generations', { token: key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id;
}

describe('users', () => {
  it('pages newest first across several pages, and searches by part of the name (any case) or by id', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createUser(ctx.http, { name: `Pager-${i}` }));
    const { pages, rows } = await allPages(ctx, '/admin/users?search=pager-', 2);
    expect(pages).toBe(3);
    expect(rows.map((u) => u.id)).toEqual(made.map((u) => u.id).reverse());
    expect((await admin('GET', `/admin/users?search=${made[2]!.id}`)).body.data.map((u: any) => u.id)).toContain(made[2]!.id);
    expect((await admin('GET', '/admin/users?search=%25')).body.data).toEqual([]);
  });

  it('filters by status and group, and refuses a bad filter, limit or cursor with 400', async () => {
    const off = await createUser(ctx.http, { name: 'switched-off' });
    await admin('PATCH', `/admin/users/${off.id}`, { status: 'disabled' });
    const disabled = (await admin('GET', '/admin/users?status=disabled')).body.data;
    expect(disabled.map((u: any) => u.id)).toContain(off.id);
    expect(disabled.every((u: any) => u.status === 'disabled')).toBe(true);
    expect((await admin('GET', '/admin/users?group=default&limit=1')).body.data[0].group).toBe('default');
    for (const query of ['status=gone', 'limit=0', 'limit=1001', 'limit=x', 'cursor=abc']) {
      const res = await admin('GET', `/admin/users?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('invalid_request');
    }
  });

  it('sets and shows the default limits of a user\'s keys', async () => {
    const user = await createUser(ctx.http);
    const res = await admin('PATCH', `/admin/users/${user.id}`, { max_inflight: 3, rpm_limit: 60, allowed_ips: ['10.0.0.0/8'] });
    expect(res.body).toMatchObject({ max_inflight: 3, rpm_limit: 60, allowed_ips: ['10.0.0.0/8'] });
    expect((await admin('PATCH', `/admin/users/${user.id}`, { allowed_ips: ['not-an-ip'] })).status).toBe(400);
  });
});

describe('keys', () => {
  it('lists keys by user and status, never with the key, its hash or its webhook secret', async () => {
    const user = await createUser(ctx.http);
    const keys = [await createKey(ctx.http, user.id), await createKey(ctx.http, user.id), await createKey(ctx.http, user.id)];
    const { pages, rows } = await allPages(ctx, `/admin/keys?user_id=${user.id}`, 2);
    expect(pages).toBe(2);
    expect(rows.map((k) => k.id)).toEqual(keys.map((k) => k.id).reverse());
    for (const row of rows) {
      expect(Object.keys(row)).not.toEqual(expect.arrayContaining(['key']));
      expect(row).not.toHaveProperty('webhook_secret');
      expect(row).not.toHaveProperty('key_hash');
    }
    expect((await admin('GET', '/admin/keys?status=paused')).status).toBe(400);
    expect((await admin('GET', '/admin/keys?user_id=-1')).status).toBe(400);
    const one = await admin('GET', `/admin/keys/${keys[0]!.id}`);
    expect(one.body).toMatchObject({ id: keys[0]!.id, user_id: user.id, status: 'enabled', inflight_tasks: 0 });
    expect((await admin('GET', '/admin/keys/999999')).status).toBe(404);
  });

  it('revokes a key for good: 204, refused at once here and on another instance, no change undoes it', async () => {
    const peer = await ctx.startPeer();
    const customer = await createCustomer(ctx.http);
    // Both instances know the key (and cache it) first.
    for (const http of [ctx.http, peer.http]) expect((await http('GET', '/v1/models', { token: customer.key })).status).toBe(200);
    const res = await admin('DELETE', `/admin/keys/${customer.keyId}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    const started = Date.now();
    await until(async () => ((await peer.http('GET', '/v1/models', { token: customer.key })).status === 401 ? true : undefined), 'the peer refusing the revoked key', {
      timeoutMs: 1_000,
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await ctx.http('GET', '/v1/models', { token: customer.key })).status).toBe(401);
    const undo = await admin('PATCH', `/admin/keys/${customer.keyId}`, { status: 'enabled' });
    expect(undo.status).toBe(409);
    expect((await admin('GET', `/admin/keys?user_id=${customer.userId}&status=revoked`)).body.data.map((k: any) => k.id)).toEqual([customer.keyId]);
    expect((await admin('DELETE', '/admin/keys/999999')).status).toBe(404);
  });
});

describe('channels', () => {
  it('masks the upstream key, filters by status and model, changes and deletes', async () => {
    const a = await admin('POST', '/admin/channels', { name: 'bj', base_url: 'https://dashscope.aliyuncs.com', api_key: 'sk-9d8e7f6a5b4c3f9', models: ['wan2.7-t2v'] });
    const b = await admin('POST', '/admin/channels', { name: 'sg', base_url: 'https://dashscope-intl.aliyuncs.com', api_key: 'sk-0000000000001111' });
    expect(a.body.api_key).toBe('sk-…c3f9');
    const changed = await admin('PATCH', `/admin/channels/${b.body.id}`, { status: 'disabled', max_inflight: 5, submit_qps: 2 });
    expect(changed.body).toMatchObject({ status: 'disabled', status_reason: 'disabled by an operator', max_inflight: 5, submit_qps: 2 });
    const r2v = (await admin('GET', '/admin/channels?model=wan2.7-r2v')).body.data.map((c: any) => c.id);
    expect(r2v).toContain(b.body.id);
    expect(r2v).not.toContain(a.body.id);
    expect((await admin('GET', '/admin/channels?status=disabled')).body.data.map((c: any) => c.id)).toEqual([b.body.id]);
    expect((await admin('GET', '/admin/channels?status=broken')).status).toBe(400);
    expect((await admin('GET', `/admin/channels/${a.body.id}`)).body.api_key).toBe('sk-…c3f9');
    const enabled = await admin('PATCH', `/admin/channels/${b.body.id}`, { status: 'enabled' });
    expect(enabled.body).toMatchObject({ status: 'enabled', status_reason: '' });
    expect((await admin('DELETE', `/admin/channels/${b.body.id}`)).status).toBe(204);
    expect((await admin('GET', `/admin/channels/${b.body.id}`)).status).toBe(404);
  });

  it('refuses to delete a channel with unfinished tasks (409), and tests a channel it cannot reach', async () => {
    const channel = (await admin('POST', '/admin/channels', { name: 'busy', base_url: 'http://127.0.0.1:9', api_key: 'sk-busy-000000000' })).body;
    const customer = await createCustomer(ctx.http);
    const task = await submit(customer.key);
    await ctx.query('UPDATE tasks SET channel_id = $1 WHERE task_id = $2', [channel.id, task]);
    const refused = await admin('DELETE', `/admin/channels/${channel.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/1 unfinished task/);
    const test = await admin('POST', `/admin/channels/${channel.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ ok: false, error: expect.stringMatching(/^NetworkError/) });
  });
});

describe('tasks', () => {
  it('lists every user\'s tasks by user, key, status, model, channel and submit time, with the whole record one at a time', async () => {
    const customer = await createCustomer(ctx.http, 100_000_000);
    const other = await createKey(ctx.http, customer.userId);
    const t1 = await submit(customer.key);
    const t2 = await submit(other.key, specExamples.r2v);
    const t3 = await submit(customer.key);
    const byUser = await allPages(ctx, `/admin/tasks?user_id=${customer.userId}`, 2);
    expect(byUser.pages).toBe(2);
    expect(byUser.rows.map((t) => t.task_id)).toEqual([t3, t2, t1]);
    expect((await admin('GET', `/admin/tasks?key_id=${other.id}`)).body.data.map((t: any) => t.task_id)).toEqual([t2]);
    expect((await admin('GET', `/admin/tasks?user_id=${customer.userId}&model=wan2.7-r2v`)).body.data.map((t: any) => t.task_id)).toEqual([t2]);
    expect((await admin('GET', `/admin/tasks?user_id=${customer.userId}&status=NOT_START`)).body.data).toHaveLength(3);
    expect((await admin('GET', `/admin/tasks?user_id=${customer.userId}&status=SUCCESS`)).body.data).toHaveLength(0);
    const now = Math.floor(Date.now() / 1000);
    expect((await admin('GET', `/admin/tasks?user_id=${customer.userId}&from=${now + 60}`)).body.data).toHaveLength(0);
    expect((await admin('GET', `/admin/tasks?user_id=${customer.userId}&from=${now - 60}&to=${now + 60}`)).body.data).toHaveLength(3);
    expect((await admin('GET', '/admin/tasks?channel_id=999999')).body.data).toHaveLength(0);
    for (const query of ['status=DONE', 'from=yesterday', 'key_id=0']) expect((await admin('GET', `/admin/tasks?${query}`)).status, query).toBe(400);

    const detail = (await admin('GET', `/admin/tasks/${t1}`)).body;
    expect(detail).toMatchObject({ task_id: t1, status: 'NOT_START', quota: 250_000, channel: null, upstream_task_id: null, attempts: 0, upstream_response: {} });
    expect(detail.request).toMatchObject({ prompt: specExamples.t2v.prompt });
    expect(detail.price_snapshot).toMatchObject({ seconds: 5, quota: 250_000 });
    expect(detail.logs).toEqual([expect.objectContaining({ type: 2, quota: 250_000, task_id: t1 })]);
    expect(detail.webhook_deliveries).toEqual([]);
    expect((await admin('GET', '/admin/tasks/task_00000000000000000000000000000000')).status).toBe(404);
  });

  it('fails a task that has not started with a full refund, once', async () => {
    const customer = await createCustomer(ctx.http, 1_000_000);
    const task = await submit(customer.key);
    const failed = await admin('POST', `/admin/tasks/${task}/fail`, { reason: 'stuck' });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ status: 'FAILURE', fail_reason: 'Operator: stuck', quota: 0, refunded: 250_000 });
    expect((await admin('GET', `/admin/users/${customer.userId}`)).body.quota).toBe(1_000_000);
    const again = await admin('POST', `/admin/tasks/${task}/fail`, { reason: 'stuck' });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already ended \(FAILURE\)/);
    expect((await admin('POST', `/admin/tasks/${task}/fail`, {})).status).toBe(400);
    expect((await admin('POST', '/admin/tasks/task_00000000000000000000000000000000/fail', { reason: 'x' })).status).toBe(404);
  });
});

describe('logs and usage', () => {
  it('filters logs by model and time, and the CSV of every row adds up to /admin/usage', async () => {
    const customer = await createCustomer(ctx.http, 100_000_000);
    const tasks = [await submit(customer.key), await submit(customer.key, specExamples.r2v), await submit(customer.key)];
    expect((await admin('POST', `/admin/tasks/${tasks[1]}/fail`, { reason: 'refund me' })).status).toBe(200);
    await admin('POST', `/admin/users/${customer.userId}/quota`, { delta: 5 });

    const byModel = (await admin('GET', `/admin/logs?user_id=${customer.userId}&model=wan2.7-r2v`)).body.data;
    expect(byModel.map((l: any) => l.type)).toEqual([6, 2]);
    const now = Math.floor(Date.now() / 1000);
    expect((await admin('GET', `/admin/logs?user_id=${customer.userId}&from=${now + 5}`)).body.data).toEqual([]);
    expect((await admin('GET', `/admin/logs?user_id=${customer.userId}&to=${now - 3600}`)).body.data).toEqual([]);
    expect((await admin('GET', '/admin/logs?format=xml')).status).toBe(400);

    const csv = await admin('GET', `/admin/logs?user_id=${customer.userId}&format=csv&limit=1`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows: Record<string, string>[] = parse(csv.body as string, { columns: true });
    // Every row, not one page; the initial quota and the top-up are there too.
    expect(rows).toHaveLength(6);
    const total = (type: number) => rows.filter((r) => Number(r.type) === type).reduce((sum, r) => sum + Number(r.quota), 0);
    const usage = (await admin('GET', `/admin/usage?user_id=${customer.userId}&group_by=model`)).body.data;
    const sum = (field: string) => usage.reduce((s: number, r: any) => s + r[field], 0);
    expect(sum('tasks')).toBe(rows.filter((r) => r.type === '2').length);
    expect(sum('quota_charged')).toBe(total(2));
    expect(sum('quota_refunded')).toBe(total(6));
    expect(sum('quota_net')).toBe(total(2) - total(6));
    expect(sum('failed')).toBe(1);
    expect(usage.map((r: any) => r.bucket)).toEqual(['wan2.7-r2v', 'wan2.7-t2v']);
    expect(usage.find((r: any) => r.bucket === 'wan2.7-t2v')).toMatchObject({ tasks: 2, quota_charged: 500_000, quota_refunded: 0 });
  });

  it('groups usage by day, user and key, over whole UTC days, and refuses bad ranges', async () => {
    const customer = await createCustomer(ctx.http, 100_000_000);
    await submit(customer.key);
    const today = new Date().toISOString().slice(0, 10);
    const byDay = (await admin('GET', `/admin/usage?user_id=${customer.userId}&group_by=day`)).body;
    expect(byDay.data).toEqual([{ bucket: today, tasks: 1, succeeded: 0, failed: 0, seconds: 0, quota_charged: 250_000, quota_refunded: 0, quota_net: 250_000 }]);
    expect(byDay.to).toBe(today);
    expect((await admin('GET', `/admin/usage?user_id=${customer.userId}&group_by=key`)).body.data.map((r: any) => r.bucket)).toEqual([String(customer.keyId)]);
    expect((await admin('GET', '/admin/usage?group_by=user')).body.data.map((r: any) => r.bucket)).toContain(String(customer.userId));
    expect((await admin('GET', `/admin/usage?user_id=${customer.userId}&from=2020-01-01&to=2020-01-31`)).body.data).toEqual([]);
    expect((await admin('GET', '/admin/usage?from=2026-12-02&to=2026-12-01')).status).toBe(400);
    expect((await admin('GET', '/admin/usage?group_by=week')).status).toBe(400);
  });
});

describe('the system at a glance', () => {
  it('shows queue depths, channels with their last error, and open tasks by status', async () => {
    const res = await admin('GET', '/admin/system');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.queues).sort()).toEqual(['results', 'tasks', 'webhooks']);
    expect(res.body.queues.tasks).toEqual({ waiting: expect.any(Number), active: expect.any(Number), delayed: expect.any(Number), failed: expect.any(Number) });
    expect(res.body.queues_error).toBeNull();
    expect(res.body.open_tasks.NOT_START).toBeGreaterThan(0);
    expect(res.body.workers).toEqual([]);
    expect(Array.isArray(res.body.channels)).toBe(true);
  });

  it('lists the workers whose heartbeat is recent, not those that stopped beating', async () => {
    const beat = (id: string, secondsAgo: number) =>
      ctx.query(
        `INSERT INTO worker_heartbeats (worker_id, host, pid, queues, version, started_at, last_seen)
         VALUES ($1, 'host-a', 42, '{tasks,results}', '0.1.0', now() - interval '1 hour', now() - make_interval(secs => $2))`,
        [id, secondsAgo],
      );
    await beat('alive-1', 1);
    await beat('gone-1', 120);
    try {
      const { workers } = (await admin('GET', '/admin/system')).body;
      expect(workers).toEqual([{ id: 'alive-1', host: 'host-a', pid: 42, queues: ['tasks', 'results'], version: '0.1.0', started_at: expect.any(Number), last_seen: expect.any(Number) }]);
    } finally {
      await ctx.query(`DELETE FROM worker_heartbeats WHERE worker_id IN ('alive-1', 'gone-1')`);
    }
  });
});

describe('prices and groups', () => {
  it('changes a price for new submits on every instance within a second; a charged task keeps its price', async () => {
    const peer = await ctx.startPeer();
    const customer = await createCustomer(ctx.http, 100_000_000);
    const quote = async () => (await peer.http('POST', '/v1/video/quote', { token: customer.key, body: specExamples.t2v })).body;
    const before = await quote();
    const charged = await submit(customer.key);
    expect((await admin('PATCH', '/admin/models/wan2.7-t2v', { price: 0.2 })).body).toMatchObject({ model: 'wan2.7-t2v', price: 0.2, enabled: true });
    await until(async () => ((await quote()).quota === before.quota * 2 ? true : undefined), 'the peer quoting the new price', { timeoutMs: 1_000 });
    expect((await admin('GET', `/admin/tasks/${charged}`)).body).toMatchObject({ quota: 250_000, price_snapshot: { price_per_second: '0.1' } });
    await admin('PATCH', '/admin/models/wan2.7-t2v', { price: 0.1 });
  });

  it('turns a model off and on, and creates and changes groups', async () => {
    const customer = await createCustomer(ctx.http, 100_000_000);
    expect((await admin('PATCH', '/admin/models/wan2.7-r2v', { enabled: false })).body.enabled).toBe(false);
    expect((await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples.r2v })).status).toBe(400);
    expect((await admin('GET', '/admin/models')).body.data.find((m: any) => m.model === 'wan2.7-r2v').enabled).toBe(false);
    await admin('PATCH', '/admin/models/wan2.7-r2v', { enabled: true });
    expect((await admin('PATCH', '/admin/models/wan9', { price: 1 })).status).toBe(404);
    expect((await admin('PATCH', '/admin/models/wan2.7-t2v', {})).status).toBe(400);

    const vip = await admin('POST', '/admin/groups', { name: 'vip', ratio: 0.5 });
    expect(vip.status).toBe(201);
    expect((await admin('POST', '/admin/groups', { name: 'vip', ratio: 0.5 })).status).toBe(409);
    await admin('PATCH', `/admin/users/${customer.userId}`, { group: 'vip' });
    expect((await ctx.http('POST', '/v1/video/quote', { token: customer.key, body: specExamples.t2v })).body.quota).toBe(125_000);
    expect((await admin('PATCH', '/admin/groups/vip', { ratio: 2 })).body.ratio).toBe(2);
    await until(async () => ((await ctx.http('POST', '/v1/video/quote', { token: customer.key, body: specExamples.t2v })).body.quota === 500_000 ? true : undefined), 'the new ratio');
    expect((await admin('GET', '/admin/groups')).body.data.map((g: any) => g.name)).toEqual(['default', 'vip']);
    expect((await admin('PATCH', '/admin/groups/gold', { ratio: 2 })).status).toBe(404);
    expect((await admin('POST', '/admin/groups', { name: 'bad name', ratio: 1 })).status).toBe(400);
  });
});

