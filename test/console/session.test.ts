// The web console's customer session: an API key exchanged for a cookie, accepted by the client
// routes, with the CSRF rules for changes made with it; and the customer's own account routes.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';

let ctx: GatewayContext;
let alice: Customer;
let bob: Customer;

beforeAll(async () => {
  ctx = await createGatewayContext();
  alice = await createCustomer(ctx.http, 10_000_000);
  bob = await createCustomer(ctx.http, 5_000_000);
});
afterAll(async () => ctx?.close());

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
  body: any;
}

async function signIn(key: string, headers: Record<string, string> = {}): Promise<Session> {
  const res = await ctx.http('POST', '/v1/console/session', { body: { key }, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0]!, csrf: res.body.csrf_token, setCookie, body: res.body };
}

const withCookie = (session: Session, extra: Record<string, string> = {}) => ({ headers: { cookie: session.cookie, ...extra } });

describe('signing in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie for the configured time, and stores only its hash', async () => {
    const session = await signIn(alice.key);
    expect(session.setCookie).toMatch(/^vgw_session=[\w-]{43}; Max-Age=3600; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(session.body).toMatchObject({ object: 'console.session', user_id: alice.userId, key_id: alice.keyId });
    expect(session.body.expires_at - Date.now() / 1000).toBeGreaterThan(3590);
    const token = session.cookie.split('=')[1]!;
    const rows = await ctx.query('SELECT token_hash FROM console_sessions WHERE key_id = $1', [alice.keyId]);
    expect(rows.rows.map((r) => r.token_hash)).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows.rows)).not.toContain(token);
    // The CSRF token is not the stored hash either.
    expect(rows.rows.map((r) => r.token_hash)).not.toContain(session.csrf);
  });

  it('refuses a wrong or disabled key, and a sign-in posted by a page of another origin', async () => {
    const wrong = await ctx.http('POST', '/v1/console/session', { body: { key: 'sk-nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const foreign = await ctx.http('POST', '/v1/console/session', { body: { key: alice.key }, headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('csrf_failed');
    const sameOrigin = await ctx.http('POST', '/v1/console/session', { body: { key: alice.key }, headers: { origin: ctx.baseUrl } });
    expect(sameOrigin.status).toBe(201);
  });
});

describe('the session cookie on client routes', () => {
  it('reads with the cookie alone, as the key it was opened with', async () => {
    const session = await signIn(alice.key);
    const me = await ctx.http('GET', '/v1/me', withCookie(session));
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(alice.userId);
    expect((await ctx.http('GET', '/v1/videos', withCookie(session))).status).toBe(200);
    const again = await ctx.http('GET', '/v1/console/session', withCookie(session));
    expect(again.body.csrf_token).toBe(session.csrf);
  });

  it('refuses a change made with the cookie but without the CSRF token, or with a wrong one, or from another origin', async () => {
    const session = await signIn(alice.key);
    const before = await ctx.query('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [alice.userId]);
    const bare = await ctx.http('POST', '/v1/videos', { body: specExamples.t2v, ...withCookie(session) });
    expect(bare.status).toBe(403);
    expect(bare.body.error.code).toBe('csrf_failed');
    const wrong = await ctx.http('POST', '/v1/video/generations', { body: specExamples.t2v, ...withCookie(session, { 'x-csrf-token': `${session.csrf}x` }) });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('csrf_failed');
    const foreign = await ctx.http('POST', '/v1/videos', { body: specExamples.t2v, ...withCookie(session, { 'x-csrf-token': session.csrf, origin: 'http://127.0.0.1:1' }) });
    expect(foreign.status).toBe(403);
    // What a cross-origin form can send: multipart, the cookie, no header of its own.
    const form = new FormData();
    form.set('model', 'wan2.7-t2v');
    form.set('prompt', 'a cat');
    const multipart = await fetch(`${ctx.baseUrl}/v1/videos`, { method: 'POST', body: form, headers: { cookie: session.cookie, origin: 'http://localhost:1' } });
    expect(multipart.status).toBe(403);
    const after = await ctx.query('SELECT count(*)::int AS n FROM tasks WHERE user_id = $1', [alice.userId]);
    expect(after.rows[0].n).toBe(before.rows[0].n);

    const quote = await ctx.http('POST', '/v1/video/quote', { body: specExamples.t2v, ...withCookie(session, { 'x-csrf-token': session.csrf, origin: ctx.baseUrl }) });
    expect(quote.status).toBe(200);
    expect(quote.body.quota).toBe(250_000);
  });

  it('submits with the cookie and the token, charged to the key, and lets the customer see only their own tasks', async () => {
    const session = await signIn(alice.key);
    const created = await ctx.http('POST', '/v1/videos', { body: specExamples.t2v, ...withCookie(session, { 'x-csrf-token': session.csrf }) });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const task = await waitForFinal(ctx, alice.key, created.body.id);
    expect(task.status).toBe('SUCCESS');
    const content = await fetch(`${ctx.baseUrl}/v1/videos/${created.body.id}/content`, { headers: { cookie: session.cookie } });
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('video/mp4');

    const bobs = await signIn(bob.key);
    const other = await ctx.http('GET', `/v1/videos/${created.body.id}`, withCookie(bobs));
    expect(other.status).toBe(404);
    const otherContent = await ctx.http('GET', `/v1/videos/${created.body.id}/content`, withCookie(bobs));
    expect(otherContent.status).toBe(404);
  });

  it('ends at sign-out, at expiry, and when the key is revoked', async () => {
    const session = await signIn(alice.key);
    expect((await ctx.http('DELETE', '/v1/console/session', withCookie(session))).status).toBe(403);
    const out = await ctx.http('DELETE', '/v1/console/session', withCookie(session, { 'x-csrf-token': session.csrf }));
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^vgw_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/);
    expect((await ctx.http('GET', '/v1/me', withCookie(session))).status).toBe(401);

    const old = await signIn(alice.key);
    await ctx.query(`UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
      createHash('sha256').update(old.cookie.split('=')[1]!).digest('hex'),
    ]);
    const expired = await ctx.http('GET', '/v1/me', withCookie(old));
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/expired or was signed out/);

    const customer = await createCustomer(ctx.http, 1_000_000);
    const revoked = await signIn(customer.key);
    expect((await ctx.http('GET', '/v1/me', withCookie(revoked))).status).toBe(200);
    expect((await ctx.http('PATCH', `/admin/keys/${customer.keyId}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } })).status).toBe(200);
    const refused = await ctx.http('GET', '/v1/me', withCookie(revoked));
    expect(refused.status).toBe(401);
    expect(refused.body.message).toBe('this API key has been disabled');
  });

  it('lets a Bearer key through without a CSRF token, whatever cookie comes with it', async () => {
    const res = await ctx.http('POST', '/v1/video/quote', { token: alice.key, body: specExamples.t2v, headers: { cookie: 'vgw_session=garbage' } });
    expect(res.status).toBe(200);
  });
});

describe('the customer account routes', () => {
  it('answer the balance, usage and logs of the caller only', async () => {
    const carol = await createCustomer(ctx.http, 3_000_000);
    const task = await submit(ctx, carol.key, specExamples.t2v);
    expect((await waitForFinal(ctx, carol.key, task)).status).toBe('SUCCESS');
    // A failure, refunded in full.
    const failed = await submit(ctx, carol.key, { ...specExamples.t2v, prompt: 'a cat [sim:fail=DataInspectionFailed]' });
    expect((await waitForFinal(ctx, carol.key, failed)).status).toBe('FAILURE');

    const me = await ctx.http('GET', '/v1/me', { token: carol.key });
    expect(me.body).toMatchObject({
      object: 'account',
      user: { id: carol.userId, status: 'enabled', group: 'default' },
      key: { id: carol.keyId, status: 'enabled', quota_limit: null },
      balance: { quota: 2_750_000, used_quota: 250_000, remaining: 2_750_000, spent: 250_000 },
    });

    const byModel = await ctx.http('GET', '/v1/me/usage?group_by=model', { token: carol.key });
    expect(byModel.body.data).toEqual([{ group: 'wan2.7-t2v', tasks: 2, charged_quota: 500_000, refunded_quota: 250_000, net_quota: 250_000 }]);
    const byDay = await ctx.http('GET', '/v1/me/usage?group_by=day&days=7', { token: carol.key });
    expect(byDay.body.data).toHaveLength(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(byDay.body.data.at(-1)).toEqual({ group: today, tasks: 2, charged_quota: 500_000, refunded_quota: 250_000, net_quota: 250_000 });
    expect(byDay.body.data.slice(0, 6).every((d: any) => d.tasks === 0)).toBe(true);

    const logs = await ctx.http('GET', '/v1/me/logs?limit=2', { token: carol.key });
    expect(logs.body.data.map((l: any) => l.type)).toEqual([6, 2]);
    expect(logs.body.next_cursor).not.toBeNull();
    const older = await ctx.http('GET', `/v1/me/logs?limit=10&cursor=${logs.body.next_cursor}`, { token: carol.key });
    expect(older.body.data.map((l: any) => l.type)).toEqual([2, 1]);
    expect(older.body.next_cursor).toBeNull();
    const all = [...logs.body.data, ...older.body.data];
    expect(all.every((l: any) => l.user_id === carol.userId)).toBe(true);
  });
});

describe("the customer's usage", () => {
  it("is the operator's usage report for their user: read from the rollup, so it agrees with it and costs no scan of the logs", async () => {
    const dave = await createCustomer(ctx.http, 3_000_000);
    const task = await submit(ctx, dave.key, specExamples.t2v);
    expect((await waitForFinal(ctx, dave.key, task)).status).toBe('SUCCESS');
    // Three days ago, in the rollup only: the history a long-lived customer has, whose logs the
    // report no longer reads one by one.
    const past = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    await ctx.query(
      `INSERT INTO usage_daily (day, user_id, key_id, model, tasks, succeeded, quota_charged, quota_refunded) VALUES ($1, $2, $3, 'wan2.7-i2v', 4, 3, 1000000, 250000)`,
      [past, dave.userId, dave.keyId],
    );
    const byDay = (await ctx.http('GET', '/v1/me/usage?group_by=day&days=7', { token: dave.key })).body.data;
    expect(byDay.find((d: any) => d.group === past)).toEqual({ group: past, tasks: 4, charged_quota: 1_000_000, refunded_quota: 250_000, net_quota: 750_000 });
    const byModel = (await ctx.http('GET', '/v1/me/usage?group_by=model&days=7', { token: dave.key })).body.data;
    const operator = (await ctx.http('GET', `/admin/usage?group_by=model&user_id=${dave.userId}&from=${past}`, { token: ADMIN_TOKEN })).body.data;
    expect(byModel).toEqual(
      operator.map((r: any) => ({ group: r.bucket, tasks: r.tasks, charged_quota: r.quota_charged, refunded_quota: r.quota_refunded, net_quota: r.quota_net })),
    );
    expect(byModel.map((r: any) => r.group)).toEqual(['wan2.7-i2v', 'wan2.7-t2v']);
  });
});

describe('an operator acting for a key', () => {
  let support: { id: number; token: string; name: string };
  let reader: string;

  beforeAll(async () => {
    const made = await ctx.http('POST', '/admin/tokens', { token: ADMIN_TOKEN, body: { name: 'support-alice', scope: 'write' } });
    support = { id: made.body.id, token: made.body.token, name: 'support-alice' };
    reader = (await ctx.http('POST', '/admin/tokens', { token: ADMIN_TOKEN, body: { name: 'support-reader', scope: 'read' } })).body.token;
  });

  const issue = (keyId: number, token = support.token, headers: Record<string, string> = {}) =>
    ctx.http('POST', `/admin/keys/${keyId}/console-session`, { token, headers });
  const exchange = (code: string, headers: Record<string, string> = {}) => ctx.http('POST', '/v1/console/session', { body: { code }, headers });
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');

  it('issues a one-time code, stored hashed and audited, that opens a session as the key which remembers the operator', async () => {
    const dave = await createCustomer(ctx.http, 5_000_000);
    const issued = await issue(dave.keyId);
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({ object: 'console.session_code', key_id: dave.keyId, user_id: dave.userId });
    expect(issued.body.code).toMatch(/^[\w-]{43}$/);
    expect(issued.body.expires_at - Date.now() / 1000).toBeGreaterThan(50);
    expect(issued.body.expires_at - Date.now() / 1000).toBeLessThanOrEqual(60);
    expect(JSON.stringify(issued.body)).not.toContain(dave.key);
    const stored = await ctx.query('SELECT code_hash, opened_by, admin_token_id FROM console_session_codes WHERE key_id = $1', [dave.keyId]);
    expect(stored.rows).toEqual([{ code_hash: hash(issued.body.code), opened_by: 'support-alice', admin_token_id: support.id }]);
    const audit = await ctx.query("SELECT actor_token_id, actor_name, target_type, target_id, after FROM audit_logs WHERE action = 'key.console_session' AND target_id = $1", [String(dave.keyId)]);
    expect(audit.rows).toEqual([{ actor_token_id: support.id, actor_name: 'support-alice', target_type: 'key', target_id: String(dave.keyId), after: expect.objectContaining({ key_id: dave.keyId }) }]);
    expect(JSON.stringify(audit.rows)).not.toContain(issued.body.code);

    const res = await exchange(issued.body.code, { origin: ctx.baseUrl });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ object: 'console.session', user_id: dave.userId, key_id: dave.keyId, opened_by: 'support-alice' });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^vgw_session=[\w-]{43}; Max-Age=3600; Path=\/; HttpOnly; SameSite=Strict$/);
    const session: Session = { cookie: setCookie.split(';')[0]!, csrf: res.body.csrf_token, setCookie, body: res.body };
    const row = await ctx.query('SELECT key_id, opened_by, admin_token_id FROM console_sessions WHERE token_hash = $1', [hash(session.cookie.split('=')[1]!)]);
    expect(row.rows).toEqual([{ key_id: dave.keyId, opened_by: 'support-alice', admin_token_id: support.id }]);
    // The code is gone once used.
    expect((await ctx.query('SELECT count(*)::int AS n FROM console_session_codes WHERE key_id = $1', [dave.keyId])).rows[0].n).toBe(0);

    expect((await ctx.http('GET', '/v1/console/session', withCookie(session))).body.opened_by).toBe('support-alice');
    expect((await ctx.http('GET', '/v1/me', withCookie(session))).body.key.id).toBe(dave.keyId);
    const created = await ctx.http('POST', '/v1/videos', { body: specExamples.t2v, ...withCookie(session, { 'x-csrf-token': session.csrf }) });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const task = await ctx.query('SELECT user_id, key_id FROM tasks WHERE task_id = $1', [created.body.id]);
    expect(task.rows[0]).toEqual({ user_id: dave.userId, key_id: dave.keyId });
    // A key sign-in has no operator.
    expect((await signIn(dave.key)).body.opened_by).toBeNull();
  });

  it('works once, within its minute, and of two exchanges at once exactly one wins', async () => {
    const erin = await createCustomer(ctx.http, 1_000_000);
    const { code } = (await issue(erin.keyId)).body;
    expect((await exchange(code)).status).toBe(201);
    const again = await exchange(code);
    expect(again.status).toBe(401);
    expect(again.body.message).toMatch(/unknown, expired or already used/);
    expect(again.headers.get('set-cookie')).toBeNull();

    const late = (await issue(erin.keyId)).body.code;
    await ctx.query("UPDATE console_session_codes SET expires_at = now() - interval '1 millisecond' WHERE code_hash = $1", [hash(late)]);
    expect((await exchange(late)).status).toBe(401);

    for (let round = 0; round < 5; round++) {
      const raced = (await issue(erin.keyId)).body.code;
      const answers = await Promise.all([exchange(raced), exchange(raced), exchange(raced)]);
      expect(answers.map((a) => a.status).sort(), `round ${round}`).toEqual([201, 401, 401]);
    }
    expect((await ctx.query('SELECT count(*)::int AS n FROM console_sessions WHERE key_id = $1 AND opened_by IS NOT NULL', [erin.keyId])).rows[0].n).toBe(6);
  });

  it('refuses read-only tokens, unknown, revoked and disabled keys, a foreign origin, and both key and code', async () => {
    const frank = await createCustomer(ctx.http, 1_000_000);
    const read = await issue(frank.keyId, reader);
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('admin_read_only');
    expect((await issue(999_999)).status).toBe(404);

    expect((await ctx.http('PATCH', `/admin/keys/${frank.keyId}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } })).status).toBe(200);
    const disabled = await issue(frank.keyId);
    expect(disabled.status).toBe(409);
    expect(disabled.body).toMatchObject({ code: 'conflict', message: `API key ${frank.keyId} is disabled: enable it first (PATCH /admin/keys/{id} {"status": "enabled"})` });
    expect((await ctx.http('PATCH', `/admin/keys/${frank.keyId}`, { token: ADMIN_TOKEN, body: { status: 'enabled' } })).status).toBe(200);
    // A code issued before the key is disabled opens nothing after, and is not used up by trying.
    const before = (await issue(frank.keyId)).body.code;
    expect((await ctx.http('PATCH', `/admin/keys/${frank.keyId}`, { token: ADMIN_TOKEN, body: { status: 'disabled' } })).status).toBe(200);
    const refused = await exchange(before);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toBe('this API key has been disabled');
    expect((await ctx.http('PATCH', `/admin/keys/${frank.keyId}`, { token: ADMIN_TOKEN, body: { status: 'enabled' } })).status).toBe(200);

    const foreign = await exchange(before, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('csrf_failed');
    const both = await ctx.http('POST', '/v1/console/session', { body: { key: frank.key, code: before } });
    expect(both.status).toBe(400);
    expect(both.body.message).toMatch(/either key .* or code/);
    expect((await ctx.http('POST', '/v1/console/session', { body: {} })).status).toBe(400);
    // None of those used the code up.
    expect((await exchange(before)).status).toBe(201);

    expect((await ctx.http('DELETE', `/admin/keys/${frank.keyId}`, { token: ADMIN_TOKEN })).status).toBe(204);
    const revoked = await issue(frank.keyId);
    expect(revoked.status).toBe(409);
    expect(revoked.body.message).toMatch(/is revoked/);
  });

  it('answers a replay of the same Idempotency-Key without a second code or the code itself', async () => {
    const gina = await createCustomer(ctx.http, 1_000_000);
    const headers = { 'idempotency-key': `console-${gina.keyId}` };
    const first = await issue(gina.keyId, support.token, headers);
    const replay = await issue(gina.keyId, support.token, headers);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual({ ...first.body, code: '[redacted]' });
    expect((await ctx.query('SELECT count(*)::int AS n FROM console_session_codes WHERE key_id = $1', [gina.keyId])).rows[0].n).toBe(1);
    const kept = await ctx.query('SELECT response FROM admin_idempotency_keys WHERE key = $1', [headers['idempotency-key']]);
    expect(JSON.stringify(kept.rows)).not.toContain(first.body.code);
  });

  it("ends the sessions an operator opened when that operator's token is deleted", async () => {
    const temp = await ctx.http('POST', '/admin/tokens', { token: ADMIN_TOKEN, body: { name: 'temp-support', scope: 'write' } });
    const hank = await createCustomer(ctx.http, 1_000_000);
    const { code } = (await issue(hank.keyId, temp.body.token)).body;
    const opened = await exchange(code);
    const cookie = { headers: { cookie: (opened.headers.get('set-cookie') ?? '').split(';')[0]! } };
    expect((await ctx.http('GET', '/v1/me', cookie)).status).toBe(200);
    expect((await ctx.http('DELETE', `/admin/tokens/${temp.body.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect((await ctx.http('GET', '/v1/me', cookie)).status).toBe(401);
    // The customer's own sign-ins are not the operator's to end.
    expect((await ctx.http('GET', '/v1/me', withCookie(await signIn(hank.key)))).status).toBe(200);
  });
});
