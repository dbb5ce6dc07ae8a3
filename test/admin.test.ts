// The minimal operator API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/lib/ids.ts';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { createKey, createUser, specExamples } from './helpers/factories.ts';
import { keyRow } from './helpers/rows.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const admin = (method: string, path: string, body?: unknown) => ctx.http(method, path, { token: ADMIN_TOKEN, body });

describe('admin authentication', () => {
  it('rejects a missing or wrong token with 401', async () => {
    expect((await ctx.http('GET', '/admin/users/1')).status).toBe(401);
    const wrong = await ctx.http('GET', '/admin/users/1', { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('admin_unauthorized');
  });

  it('does not accept a client API key', async () => {
    const user = await createUser(ctx.http);
    const key = await createKey(ctx.http, user.id);
    expect((await ctx.http('GET', `/admin/users/${user.id}`, { token: key.key })).status).toBe(401);
  });

  it('refuses to serve at all when ADMIN_TOKEN is empty', async () => {
    const closed = await createTestContext({ ADMIN_TOKEN: '' });
    try {
      for (const token of [undefined, '', 'anything']) {
        const res = await closed.http('POST', '/admin/users', { token, body: { name: 'x' } });
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ code: 'admin_disabled', message: 'the admin API is disabled: set ADMIN_TOKEN to enable it', data: null });
      }
    } finally {
      await closed.close();
    }
  });
});

describe('users', () => {
  it('creates a user with defaults', async () => {
    const res = await admin('POST', '/admin/users', { name: 'alice' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'alice', group: 'default', quota: 0, used_quota: 0, status: 'enabled' });
    expect(Number.isInteger(res.body.id)).toBe(true);
    const got = await admin('GET', `/admin/users/${res.body.id}`);
    expect(got.body).toEqual(res.body);
  });

  it('books an initial quota as a top-up', async () => {
    const res = await admin('POST', '/admin/users', { name: 'bob', quota: 1_000_000 });
    const logs = await admin('GET', `/admin/logs?user_id=${res.body.id}`);
    expect(logs.body.data).toEqual([expect.objectContaining({ type: 1, quota: 1_000_000, user_id: res.body.id })]);
  });

  it('rejects an unknown group and bad input with 400', async () => {
    expect((await admin('POST', '/admin/users', { name: 'x', group: 'nope' })).body.message).toBe('unknown group: nope');
    expect((await admin('POST', '/admin/users', { name: '' })).status).toBe(400);
    expect((await admin('POST', '/admin/users', { name: 'x', quota: -5 })).status).toBe(400);
    expect((await admin('POST', '/admin/users', { name: 'x', quota: 1.5 })).status).toBe(400);
  });

  it('answers 404 for a user that does not exist and 400 for an id that is not one', async () => {
    expect((await admin('GET', '/admin/users/999999')).status).toBe(404);
    expect((await admin('GET', '/admin/users/abc')).status).toBe(400);
  });
});

describe('quota changes', () => {
  it('tops up (log type 1) and deducts (log type 3)', async () => {
    const user = await createUser(ctx.http);
    const up = await admin('POST', `/admin/users/${user.id}/quota`, { delta: 500_000, note: 'invoice 42' });
    expect(up.status).toBe(200);
    expect(up.body.quota).toBe(500_000);
    const down = await admin('POST', `/admin/users/${user.id}/quota`, { delta: -200_000 });
    expect(down.body.quota).toBe(300_000);
    const logs = await admin('GET', `/admin/logs?user_id=${user.id}`);
    expect(logs.body.data.map((l: { type: number; quota: number; content: string }) => [l.type, l.quota, l.content])).toEqual([
      [3, 200_000, 'deduction by operator'],
      [1, 500_000, 'invoice 42'],
    ]);
  });

  it('never takes a balance below zero', async () => {
    const user = await createUser(ctx.http, { quota: 100 });
    const res = await admin('POST', `/admin/users/${user.id}/quota`, { delta: -101 });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(`cannot deduct 101: user ${user.id} has only 100 quota left`);
    expect((await admin('GET', `/admin/users/${user.id}`)).body.quota).toBe(100);
    expect((await admin('POST', `/admin/users/${user.id}/quota`, { delta: -100 })).body.quota).toBe(0);
  });

  it('rejects a zero or non-integer delta and an unknown user', async () => {
    const user = await createUser(ctx.http);
    expect((await admin('POST', `/admin/users/${user.id}/quota`, { delta: 0 })).status).toBe(400);
    expect((await admin('POST', `/admin/users/${user.id}/quota`, { delta: '5' })).status).toBe(400);
    expect((await admin('POST', '/admin/users/999999/quota', { delta: 5 })).status).toBe(404);
  });
});

describe('keys', () => {
  it('shows the plaintext key once and stores only its SHA-256', async () => {
    const user = await createUser(ctx.http);
    const res = await admin('POST', '/admin/keys', { user_id: user.id, name: 'ci', models: ['wan2.7-t2v'], quota: 1000 });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^sk-[A-Za-z0-9]{48}$/);
    expect(res.body).toMatchObject({ user_id: user.id, name: 'ci', models: ['wan2.7-t2v'], quota: 1000, quota_used: 0, status: 'enabled', expires_at: null });
    expect(res.body.key.startsWith(res.body.key_prefix)).toBe(true);
    const row = await keyRow(ctx.db, res.body.id);
    expect(row.keyHash).toBe(sha256Hex(res.body.key));
    expect(Object.values(row).map(String)).not.toContain(res.body.key);
    const patched = await admin('PATCH', `/admin/keys/${res.body.id}`, { name: 'renamed' });
    expect(patched.body).not.toHaveProperty('key');
  });

  it('rejects a key for a user that does not exist', async () => {
    const res = await admin('POST', '/admin/keys', { user_id: 999999 });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('user 999999 does not exist');
  });

  it('rejects a malformed expiry', async () => {
    const user = await createUser(ctx.http);
    expect((await admin('POST', '/admin/keys', { user_id: user.id, expires_at: 'tomorrow' })).status).toBe(400);
  });

  it('gives every key its own webhook secret, shown when the key is created and never in later views', async () => {
    const user = await createUser(ctx.http);
    const a = await admin('POST', '/admin/keys', { user_id: user.id });
    const b = await admin('POST', '/admin/keys', { user_id: user.id });
    expect(a.body).toMatchObject({ callback_url: null, webhook_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/) });
    expect(b.body.webhook_secret).not.toBe(a.body.webhook_secret);
    const row = await keyRow(ctx.db, a.body.id);
    expect(row.webhookSecret).toBe(a.body.webhook_secret);
    const patched = await admin('PATCH', `/admin/keys/${a.body.id}`, { name: 'renamed' });
    expect(patched.body).toMatchObject({ name: 'renamed', callback_url: null });
    expect(patched.body).not.toHaveProperty('webhook_secret');
    expect((await admin('GET', `/admin/keys/${a.body.id}`)).body).not.toHaveProperty('webhook_secret');
  });

  it('rotates the webhook secret on request, and only then', async () => {
    const user = await createUser(ctx.http);
    const created = await admin('POST', '/admin/keys', { user_id: user.id });
    const kept = await admin('PATCH', `/admin/keys/${created.body.id}`, { rotate_webhook_secret: false });
    expect(kept.status).toBe(200);
    expect(kept.body).not.toHaveProperty('webhook_secret');
    expect((await keyRow(ctx.db, created.body.id)).webhookSecret).toBe(created.body.webhook_secret);
    const rotated = await admin('PATCH', `/admin/keys/${created.body.id}`, { rotate_webhook_secret: true });
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhook_secret).toMatch(/^whsec_/);
    expect(rotated.body.webhook_secret).not.toBe(created.body.webhook_secret);
    const row = await keyRow(ctx.db, created.body.id);
    expect(row.webhookSecret).toBe(rotated.body.webhook_secret);
  });

  it('sets, changes and clears a default callback_url', async () => {
    const user = await createUser(ctx.http);
    const created = await admin('POST', '/admin/keys', { user_id: user.id, callback_url: 'https://93.184.215.14/hooks/video' });
    expect(created.status).toBe(201);
    expect(created.body.callback_url).toBe('https://93.184.215.14/hooks/video');
    const changed = await admin('PATCH', `/admin/keys/${created.body.id}`, { callback_url: 'http://[2606:4700::1111]:8080/v' });
    expect(changed.body.callback_url).toBe('http://[2606:4700::1111]:8080/v');
    const cleared = await admin('PATCH', `/admin/keys/${created.body.id}`, { callback_url: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.callback_url).toBeNull();
    expect((await keyRow(ctx.db, created.body.id)).callbackUrl).toBeNull();
  });

  it('refuses a callback_url on a private network, or that is not a plain http(s) URL', async () => {
    const user = await createUser(ctx.http);
    const refused = await admin('POST', '/admin/keys', { user_id: user.id, callback_url: 'http://10.0.0.5/hook' });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ code: 'invalid_request', message: 'callback_url points at a private address (10.0.0.5); webhooks are only sent to public hosts', data: null });
    for (const callback_url of ['http://169.254.169.254/latest/meta-data/', 'http://localhost:3000/', 'ftp://93.184.215.14/', 'https://u:p@93.184.215.14/', 'nope', '', 'x'.repeat(2049)]) {
      expect((await admin('POST', '/admin/keys', { user_id: user.id, callback_url })).status, callback_url).toBe(400);
    }
    const key = await admin('POST', '/admin/keys', { user_id: user.id, callback_url: 'https://93.184.215.14/ok' });
    const patch = await admin('PATCH', `/admin/keys/${key.body.id}`, { callback_url: 'http://127.0.0.1:9000/' });
    expect(patch.status).toBe(400);
    expect(patch.body.message).toBe('callback_url points at a loopback address (127.0.0.1); webhooks are only sent to public hosts');
    expect((await keyRow(ctx.db, key.body.id)).callbackUrl).toBe('https://93.184.215.14/ok');
  });

  it('tells every instance when a key changes', async () => {
    const user = await createUser(ctx.http);
    const created = await admin('POST', '/admin/keys', { user_id: user.id });
    const heard: unknown[] = [];
    ctx.bus.onInvalidate((message) => heard.push(message));
    const invalidation = { kind: 'key', keyHash: sha256Hex(created.body.key) };
    for (const change of [{ callback_url: 'https://93.184.215.14/hooks' }, { callback_url: null }, { rotate_webhook_secret: true }]) {
      heard.length = 0;
      expect((await admin('PATCH', `/admin/keys/${created.body.id}`, change)).status).toBe(200);
      expect(heard, JSON.stringify(change)).toContainEqual(invalidation);
    }
  });
});

describe('logs', () => {
  it('filters by task and type, newest first, with a cursor for more', async () => {
    const user = await createUser(ctx.http, { quota: 100_000_000 });
    const key = await createKey(ctx.http, user.id);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await ctx.http('POST', '/v1/video/generations', { token: key.key, body: specExamples.t2v });
      ids.push(res.body.id);
    }
    const byTask = await admin('GET', `/admin/logs?task_id=${ids[2]}`);
    expect(byTask.body.data).toEqual([expect.objectContaining({ type: 2, task_id: ids[2], quota: 250_000 })]);

    const first = await admin('GET', `/admin/logs?user_id=${user.id}&type=2&limit=2`);
    expect(first.body.data.map((l: { task_id: string }) => l.task_id)).toEqual([ids[4], ids[3]]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await admin('GET', `/admin/logs?user_id=${user.id}&type=2&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((l: { task_id: string }) => l.task_id)).toEqual([ids[2], ids[1]]);
    const third = await admin('GET', `/admin/logs?user_id=${user.id}&type=2&limit=2&cursor=${second.body.next_cursor}`);
    expect(third.body.data.map((l: { task_id: string }) => l.task_id)).toEqual([ids[0]]);
    expect(third.body.next_cursor).toBeNull();
  });

  it('limits pages to 1000 and defaults to 100', async () => {
    expect((await admin('GET', '/admin/logs?limit=1001')).status).toBe(400);
    expect((await admin('GET', '/admin/logs?limit=0')).status).toBe(400);
    expect((await admin('GET', '/admin/logs?type=9')).status).toBe(400);
    const user = await createUser(ctx.http);
    for (let i = 0; i < 105; i++) await ctx.db.insertInto('logs').values({ type: 4, userId: user.id, content: `note ${i}` }).execute();
    const page = await admin('GET', `/admin/logs?user_id=${user.id}`);
    expect(page.body.data).toHaveLength(100);
    expect(page.body.next_cursor).not.toBeNull();
  });
});

describe('channels', () => {
  it('creates a channel and never shows its key', async () => {
    const res = await admin('POST', '/admin/channels', {
      name: 'dashscope-bj',
      base_url: 'https://dashscope.aliyuncs.com/',
      api_key: 'sk-0123456789abcdef',
      models: ['wan2.7-t2v'],
      priority: 10,
      weight: 3,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'dashscope-bj',
      type: 17,
      base_url: 'https://dashscope.aliyuncs.com',
      api_key: 'sk-…cdef',
      models: ['wan2.7-t2v'],
      model_mapping: {},
      priority: 10,
      weight: 3,
      status: 'enabled',
    });
  });

  it('rejects a base URL that is not http(s)', async () => {
    const res = await admin('POST', '/admin/channels', { name: 'x', base_url: 'file:///etc/passwd', api_key: 'k' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/base_url must be an http\(s\) URL/);
  });
});
