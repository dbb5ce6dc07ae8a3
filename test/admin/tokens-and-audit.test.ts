// Admin identities (bootstrap token, read and write tokens), the audit row every change writes,
// and Idempotency-Key on changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/lib/ids.ts';
import { ADMIN_TOKEN, createTestContext, type TestContext } from '../helpers/context.ts';
import { createCustomer, createKey, createUser, specExamples } from '../helpers/factories.ts';
import { asAdmin, auditCount } from './helpers.ts';

let ctx: TestContext;
let admin: ReturnType<typeof asAdmin>;

beforeAll(async () => {
  ctx = await createTestContext({ TRUSTED_PROXIES: '127.0.0.1', ADMIN_AUTH_FAILURES_PER_MINUTE: '3' });
  admin = asAdmin(ctx);
});
afterAll(() => ctx.close());

async function newToken(scope: 'read' | 'write', name = `${scope} token`): Promise<{ id: number; token: string }> {
  const res = await admin('POST', '/admin/tokens', { name, scope });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('admin tokens', () => {
  it('names the bootstrap token in /admin/me', async () => {
    expect((await admin('GET', '/admin/me')).body).toEqual({ token_id: null, name: 'bootstrap (ADMIN_TOKEN)', scope: 'write' });
  });

  it('shows a new token once, keeps only its hash, and lists it without the token', async () => {
    const created = await newToken('write', 'alice (ops)');
    expect(created.token).toMatch(/^vgwa_[A-Za-z0-9]{40}$/);
    const { rows } = await ctx.query('SELECT * FROM admin_tokens WHERE id = $1', [created.id]);
    expect(rows[0].token_hash).toBe(sha256Hex(created.token));
    expect(JSON.stringify(rows[0])).not.toContain(created.token);
    const listed = (await admin('GET', '/admin/tokens')).body.data.find((t: any) => t.id === created.id);
    expect(listed).toMatchObject({ name: 'alice (ops)', scope: 'write', token_prefix: created.token.slice(0, 10) });
    expect(listed).not.toHaveProperty('token');
    expect((await asAdmin(ctx, created.token)('GET', '/admin/me')).body).toEqual({ token_id: created.id, name: 'alice (ops)', scope: 'write' });
  });

  it('refuses a read token every change with 403, and lets it read', async () => {
    const reader = asAdmin(ctx, (await newToken('read')).token);
    const customer = await createCustomer(ctx.http);
    expect((await reader('GET', `/admin/users/${customer.userId}`)).status).toBe(200);
    expect((await reader('GET', '/admin/audit')).status).toBe(200);
    const before = await auditCount(ctx);
    const changes: [string, string, unknown][] = [
      ['POST', '/admin/users', { name: 'x' }],
      ['PATCH', `/admin/users/${customer.userId}`, { name: 'x' }],
      ['POST', `/admin/users/${customer.userId}/quota`, { delta: 1 }],
      ['POST', '/admin/keys', { user_id: customer.userId }],
      ['PATCH', `/admin/keys/${customer.keyId}`, { name: 'x' }],
      ['DELETE', `/admin/keys/${customer.keyId}`, undefined],
      ['POST', '/admin/channels', { name: 'x', base_url: 'https://example.com', api_key: 'sk-x' }],
      ['PATCH', '/admin/channels/1', { status: 'disabled' }],
      ['DELETE', '/admin/channels/1', undefined],
      ['POST', '/admin/channels/1/test', undefined],
      ['POST', '/admin/tasks/task_x/fail', { reason: 'x' }],
      ['PATCH', '/admin/models/wan2.7-t2v', { price: 1 }],
      ['POST', '/admin/groups', { name: 'gold', ratio: 2 }],
      ['PATCH', '/admin/groups/default', { ratio: 2 }],
      ['POST', '/admin/tokens', { name: 'x', scope: 'write' }],
      ['DELETE', '/admin/tokens/1', undefined],
    ];
    for (const [method, path, body] of changes) {
      const res = await reader(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.code).toBe('admin_read_only');
    }
    expect(await auditCount(ctx)).toBe(before);
    expect((await admin('GET', `/admin/keys/${customer.keyId}`)).body.status).toBe('enabled');
  });

  it('stops a deleted token at once', async () => {
    const { id, token } = await newToken('write');
    expect((await admin('DELETE', `/admin/tokens/${id}`)).status).toBe(204);
    expect((await asAdmin(ctx, token)('GET', '/admin/me')).status).toBe(401);
    expect((await admin('DELETE', `/admin/tokens/${id}`)).status).toBe(404);
  });

  it('slows down repeated failed authentication from one address with 429, whatever the token, and only that address', async () => {
    const from = (ip: string, token: string) => ctx.http('GET', '/admin/me', { token, headers: { 'x-forwarded-for': ip } });
    for (let i = 0; i < 3; i++) expect((await from('198.51.100.7', 'guess')).status).toBe(401);
    const refused = await from('198.51.100.7', ADMIN_TOKEN);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await from('198.51.100.8', ADMIN_TOKEN)).status).toBe(200);
  });
});

describe('the audit log', () => {
  it('writes one row per change, with actor, action, target, redacted before and after, request id and address', async () => {
    const writer = await newToken('write', 'bob (support)');
    const bob = asAdmin(ctx, writer.token);
    const before = await auditCount(ctx);
    const user = await bob('POST', '/admin/users', { name: 'audited', quota: 1000 }, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    const key = await bob('POST', '/admin/keys', { user_id: user.body.id });
    const topup = await bob('POST', `/admin/users/${user.body.id}/quota`, { delta: 500 });
    const revoke = await bob('DELETE', `/admin/keys/${key.body.id}`);
    expect([user.status, key.status, topup.status, revoke.status]).toEqual([201, 201, 200, 204]);
    // A refused change leaves no row.
    expect((await bob('PATCH', '/admin/users/999999', { name: 'x' })).status).toBe(404);
    expect(await auditCount(ctx)).toBe(before + 4);

    const page = (await admin('GET', `/admin/audit?actor=${writer.id}&limit=10`)).body;
    expect(page.data.map((e: any) => e.action)).toEqual(['key.revoke', 'user.topup', 'key.create', 'user.create']);
    const [revoked, toppedUp, keyCreated, userCreated] = page.data;
    expect(userCreated).toMatchObject({ actor: { token_id: writer.id, name: 'bob (support)' }, target_type: 'user', target_id: String(user.body.id), ip: '203.0.113.9', before: null });
    expect(userCreated.request_id).toBe(user.headers.get('x-request-id'));
    expect(keyCreated.after.webhook_secret).toBe('[redacted]');
    expect(keyCreated.after).not.toHaveProperty('key');
    expect(JSON.stringify(page)).not.toContain(key.body.key);
    expect(JSON.stringify(page)).not.toContain(key.body.webhook_secret);
    expect(toppedUp.before.quota).toBe(1000);
    expect(toppedUp.after.quota).toBe(1500);
    expect(revoked).toMatchObject({ target_type: 'key', target_id: String(key.body.id), before: { status: 'enabled' }, after: { status: 'revoked' } });
  });

  it('filters by actor name, action, target type and target id, and pages', async () => {
    const user = await createUser(ctx.http);
    for (let i = 0; i < 3; i++) await admin('PATCH', `/admin/users/${user.id}`, { name: `renamed ${i}` });
    const byTarget = (await admin('GET', `/admin/audit?target_type=user&target_id=${user.id}&action=user.update&limit=2`)).body;
    expect(byTarget.data).toHaveLength(2);
    expect(byTarget.data[0].after.name).toBe('renamed 2');
    const rest = (await admin('GET', `/admin/audit?target_type=user&target_id=${user.id}&action=user.update&limit=2&cursor=${byTarget.next_cursor}`)).body;
    expect(rest.data.map((e: any) => e.after.name)).toEqual(['renamed 0']);
    expect(rest.next_cursor).toBeNull();
    const byName = (await admin('GET', `/admin/audit?actor=${encodeURIComponent('bootstrap (ADMIN_TOKEN)')}&limit=1`)).body;
    expect(byName.data[0].actor.token_id).toBeNull();
    expect((await admin('GET', '/admin/audit?limit=0')).status).toBe(400);
    // Digits no token id can have are a name, not a database error (found by the fuzz test: a 500).
    const huge = await admin('GET', '/admin/audit?actor=99999999999&limit=1');
    expect(huge.status).toBe(200);
    expect(huge.body.data).toEqual([]);
  });
});

describe('Idempotency-Key on changes', () => {
  it('credits a retried top-up once and answers the retry with the first response', async () => {
    const user = await createUser(ctx.http);
    const headers = { 'idempotency-key': `topup-${user.id}` };
    const before = await auditCount(ctx);
    const first = await admin('POST', `/admin/users/${user.id}/quota`, { delta: 700, note: 'invoice 9' }, { headers });
    const retry = await admin('POST', `/admin/users/${user.id}/quota`, { delta: 700, note: 'invoice 9' }, { headers });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.body).toEqual(first.body);
    expect((await admin('GET', `/admin/users/${user.id}`)).body.quota).toBe(700);
    expect(await auditCount(ctx)).toBe(before + 1);
    const reused = await admin('POST', `/admin/users/${user.id}/quota`, { delta: 701 }, { headers });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it("keeps each operator's keys apart: two tokens may use the same key for different changes", async () => {
    const user = await createUser(ctx.http);
    const alice = asAdmin(ctx, (await newToken('write', 'alice')).token);
    const headers = { 'idempotency-key': `shared-${user.id}` };
    const byBootstrap = await admin('POST', `/admin/users/${user.id}/quota`, { delta: 100 }, { headers });
    const byAlice = await alice('POST', `/admin/users/${user.id}/quota`, { delta: 20 }, { headers });
    expect([byBootstrap.status, byAlice.status]).toEqual([200, 200]);
    expect(byAlice.headers.get('idempotent-replayed')).toBeNull();
    // Each one's retry answers its own first response and changes nothing.
    const aliceAgain = await alice('POST', `/admin/users/${user.id}/quota`, { delta: 20 }, { headers });
    expect(aliceAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(aliceAgain.body).toEqual(byAlice.body);
    expect((await admin('POST', `/admin/users/${user.id}/quota`, { delta: 20 }, { headers })).body.code).toBe('idempotency_key_reused');
    expect((await admin('GET', `/admin/users/${user.id}`)).body.quota).toBe(120);
  });

  it('credits once when the same top-up races itself', async () => {
    const user = await createUser(ctx.http);
    const headers = { 'idempotency-key': `race-${user.id}` };
    const answers = await Promise.all(Array.from({ length: 8 }, () => admin('POST', `/admin/users/${user.id}/quota`, { delta: 100 }, { headers })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    expect((await admin('GET', `/admin/users/${user.id}`)).body.quota).toBe(100);
    const { rows } = await ctx.query('SELECT count(*)::int AS n FROM logs WHERE user_id = $1', [user.id]);
    expect(rows[0].n).toBe(1);
  });

  it('leaves the key unused when the change fails, and never stores a key shown once', async () => {
    const headers = { 'idempotency-key': 'fails-first' };
    expect((await admin('POST', '/admin/users/999999/quota', { delta: 5 }, { headers })).status).toBe(404);
    const user = await createUser(ctx.http);
    const keyHeaders = { 'idempotency-key': `key-${user.id}` };
    const created = await admin('POST', '/admin/keys', { user_id: user.id }, { headers: keyHeaders });
    const replay = await admin('POST', '/admin/keys', { user_id: user.id }, { headers: keyHeaders });
    expect(replay.body.id).toBe(created.body.id);
    expect(replay.body.key).toBe('[redacted]');
    const { rows } = await ctx.query('SELECT response::text AS r FROM admin_idempotency_keys');
    expect(rows.map((r) => r.r).join()).not.toContain(created.body.key);
    expect((await admin('POST', '/admin/users', { name: 'x' }, { headers: { 'idempotency-key': 'bad key with spaces' } })).status).toBe(400);
  });

  it('does not let a change slip past the audit: a submit is not an admin change', async () => {
    const customer = await createCustomer(ctx.http);
    const before = await auditCount(ctx);
    expect((await ctx.http('POST', '/v1/video/generations', { token: customer.key, body: specExamples.t2v })).status).toBe(200);
    expect(await auditCount(ctx)).toBe(before);
    await createKey(ctx.http, customer.userId);
    expect(await auditCount(ctx)).toBe(before + 1);
  });
});
