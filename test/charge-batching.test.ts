// Submits charged in batches (one statement per batch) stay exact: nobody is overdrawn, every
// refusal is one a one-by-one charge would also have made, and a bad request fails alone.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleTask } from '../src/lifecycle/settlement.ts';
import { ChargeBatcher } from '../src/modules/tasks/charge-batcher.ts';
import type { Db, Queryable } from '../src/db/database.ts';
import { type ChargeRow, chargeBatch } from '../src/modules/tasks/charge.repository.ts';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createCustomer, createKey, createUser, specExamples } from './helpers/factories.ts';
import { countRows } from './helpers/rows.ts';
import { until } from './helpers/until.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

const T2V_720P_5S = 250_000;
const T2V_1080P_10S = 750_000;
const small = specExamples.t2v;
const large = { ...specExamples.t2v, resolution: '1080P', duration: 10 };

async function ledger(userId: number) {
  const rows = await ctx.db
    .selectFrom('logs')
    .select(['type', 'quota'])
    .where('userId', '=', userId)
    .execute();
  const sum = (type: number) => rows.filter((r) => r.type === type).reduce((s, r) => s + Number(r.quota), 0);
  return { topUps: sum(1), charged: sum(2), refunded: sum(6) };
}

describe('concurrent submits charged in batches', () => {
  it('accept exactly as many as the balances allow: 1,000 submits over 10 users', { timeout: 120_000 }, async () => {
    const ALLOWED = 37;
    const customers = await Promise.all(Array.from({ length: 10 }, () => createCustomer(ctx.http, ALLOWED * T2V_720P_5S)));
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => ctx.http('POST', '/v1/video/generations', { token: customers[i % 10]!.key, body: small })),
    );
    expect(results.filter((r) => r.status !== 200 && r.status !== 402)).toEqual([]);
    for (const customer of customers) {
      const accepted = results.filter((r, i) => i % 10 === customers.indexOf(customer) && r.status === 200);
      expect(accepted).toHaveLength(ALLOWED);
      expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: 0, used_quota: ALLOWED * T2V_720P_5S });
      expect(await countRows(ctx.db, 'tasks', { userId: customer.userId })).toBe(ALLOWED);
      expect(await ledger(customer.userId)).toEqual({ topUps: ALLOWED * T2V_720P_5S, charged: ALLOWED * T2V_720P_5S, refunded: 0 });
    }
    const refused = results.filter((r) => r.status === 402);
    expect(refused).toHaveLength(1_000 - 10 * ALLOWED);
    expect(refused[0]?.body).toEqual({ code: 'insufficient_user_quota', message: 'insufficient user quota', data: null });
  });

  it('refuse only what a one-by-one charge would refuse when prices differ', { timeout: 60_000 }, async () => {
    const START = 13 * T2V_720P_5S;
    const customer = await createCustomer(ctx.http, START);
    const bodies = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? large : small));
    const results = await Promise.all(bodies.map((body) => ctx.http('POST', '/v1/video/generations', { token: customer.key, body })));
    const charged = results.reduce((sum, r, i) => sum + (r.status === 200 ? (bodies[i] === large ? T2V_1080P_10S : T2V_720P_5S) : 0), 0);
    const balance = await balanceOf(ctx.http, customer.userId);
    expect(balance.quota).toBe(START - charged);
    expect(balance.quota).toBeGreaterThanOrEqual(0);
    // Each refusal was right when it was made, so it is right against the final balance too.
    results.forEach((r, i) => {
      if (r.status === 402) expect(bodies[i] === large ? T2V_1080P_10S : T2V_720P_5S).toBeGreaterThan(balance.quota);
    });
    // Nothing smaller than what is left was turned away: the balance left is less than a small task.
    expect(balance.quota).toBeLessThan(T2V_720P_5S);
    expect(await ledger(customer.userId)).toEqual({ topUps: START, charged, refunded: 0 });
  });

  it("hold a key to its max_inflight, counted by the charge itself: 429 and nothing charged", async () => {
    const user = await createUser(ctx.http, { quota: 100_000_000 });
    const key = await createKey(ctx.http, user.id);
    await ctx.db.updateTable('apiKeys').set({ maxInflight: 3 }).where('id', '=', key.id).execute();
    const results = await Promise.all(Array.from({ length: 10 }, () => ctx.http('POST', '/v1/videos', { token: key.key, body: small })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(7);
    expect(refused[0]?.body.error).toMatchObject({ code: 'too_many_inflight_tasks', type: 'rate_limit_error' });
    expect(await balanceOf(ctx.http, user.id)).toEqual({ quota: 100_000_000 - 3 * T2V_720P_5S, used_quota: 3 * T2V_720P_5S });
    const row = await ctx.db.selectFrom('apiKeys').select('inflightTasks').where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(row.inflightTasks).toBe(3);

    // The user's default applies to keys without their own limit.
    const other = await createKey(ctx.http, user.id);
    await ctx.db.updateTable('users').set({ maxInflight: 1 }).where('id', '=', user.id).execute();
    const [a, b] = await Promise.all([0, 1].map(() => ctx.http('POST', '/v1/video/generations', { token: other.key, body: small })));
    expect([a?.status, b?.status].sort()).toEqual([200, 429]);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

describe('one batch', () => {
  const log = pino({ level: 'silent' });
  let seq = 0;
  const row = (userId: number, keyId: number, extra: Partial<ChargeRow> = {}): Omit<ChargeRow, 'ord'> => ({
    user_id: userId,
    key_id: keyId,
    quota: T2V_720P_5S,
    task_id: `task_batchtest${String(++seq).padStart(20, '0')}`,
    platform: '17',
    group: 'default',
    model: 'wan2.7-t2v',
    action: 'textGenerate',
    price_snapshot: { model: 'wan2.7-t2v', price_per_second: '0.1', quota_per_unit: 500_000, group: 'default', group_ratio: '1', resolution: '720P', resolution_ratio: '1', seconds: 5, quota: T2V_720P_5S },
    request: { model: 'wan2.7-t2v', capability: 't2v', prompt: 'a cat', resolution: '720P', duration: 5, billed_seconds: 5 } as ChargeRow['request'],
    callback_url: null,
    webhook_events: ['task.succeeded', 'task.failed'],
    remixed_from: null,
    log_content: 'test',
    idem_key: null,
    idem_hash: null,
    traceparent: null,
    ...extra,
  });

  it('finds its payers and their keys by primary key, not by reading every user', async () => {
    // Enough users and keys that a scan is a real cost, with fresh statistics, as in production.
    await ctx.query(`INSERT INTO users (name) SELECT 'plan-' || n FROM generate_series(1, 2000) AS n`);
    await ctx.query(`INSERT INTO api_keys (user_id, name, key_hash, key_prefix)
                     SELECT id, 'plan', md5(random()::text), 'sk-plan' FROM users WHERE name LIKE 'plan-%'`);
    await ctx.query('ANALYZE users; ANALYZE api_keys');
    const payer = await createCustomer(ctx.http, 10_000_000);
    let statement: { sql: string; parameters: readonly unknown[] } | undefined;
    const capture = { executeQuery: async (query: { sql: string; parameters: readonly unknown[] }) => ((statement = query), { rows: [] }) };
    await chargeBatch(capture as unknown as Queryable, [{ ...row(payer.userId, payer.keyId), ord: 0 }]);
    const { sql, parameters } = statement as NonNullable<typeof statement>;
    // The plan every connection settles on after its first runs, the generic one; in one simple-protocol
    // round trip, so that every statement runs on the same pooled connection.
    const args = parameters.map((value) => (typeof value === 'string' ? `'${value.replaceAll("'", "''")}'` : String(value)));
    const results = (await ctx.query(
      `SET plan_cache_mode = force_generic_plan; PREPARE charge_plan AS ${sql};
       EXPLAIN (FORMAT JSON) EXECUTE charge_plan(${args.join(', ')}); DEALLOCATE charge_plan; RESET plan_cache_mode`,
    )) as unknown as { command: string; rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[] }[];
    const plan = (results.find((r) => r.command === 'EXPLAIN') as (typeof results)[number]).rows[0]!['QUERY PLAN'];
    const reads: string[] = [];
    const walk = (node: PlanNode) => {
      const table = node['Relation Name'];
      if ((table === 'users' || table === 'api_keys') && node['Node Type'].endsWith('Scan')) reads.push(`${node['Node Type']} on ${table}`);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(plan[0]!.Plan);
    // Locked, then debited: two reads of each table, every one by its primary key.
    expect(reads.sort()).toEqual(['Index Scan on api_keys', 'Index Scan on api_keys', 'Index Scan on users', 'Index Scan on users']);
  });

  it('fails only its overdrawing row, its replayed key and its bad row; the rest are charged', async () => {
    const rich = await createCustomer(ctx.http, 10_000_000);
    const poor = await createCustomer(ctx.http, 100_000);
    // An Idempotency-Key already used by an earlier charge.
    const batcher = new ChargeBatcher(ctx.db, { maxBatch: 128, concurrency: 1, log, onCharged: () => {}, onStatement: () => {} });
    const first = await batcher.charge(row(rich.userId, rich.keyId, { idem_key: 'k-1', idem_hash: 'h'.repeat(64) }));
    expect(first.kind).toBe('charged');

    const outcomes = await Promise.all([
      batcher.charge(row(rich.userId, rich.keyId)),
      batcher.charge(row(poor.userId, poor.keyId)),
      batcher.charge(row(rich.userId, rich.keyId, { idem_key: 'k-1', idem_hash: 'h'.repeat(64) })),
      // PostgreSQL refuses a NUL in jsonb: the whole statement fails, then this row alone.
      batcher.charge(row(rich.userId, rich.keyId, { log_content: 'bad\u0000row' })).catch((err: Error) => err),
      batcher.charge(row(rich.userId, rich.keyId)),
    ]);
    expect(outcomes[0]).toMatchObject({ kind: 'charged' });
    expect(outcomes[1]).toEqual({ kind: 'refused', verdict: 'quota' });
    expect(outcomes[2]).toEqual({ kind: 'key_taken' });
    expect(outcomes[3]).toBeInstanceOf(Error);
    expect(outcomes[4]).toMatchObject({ kind: 'charged' });
    expect(await balanceOf(ctx.http, rich.userId)).toEqual({ quota: 10_000_000 - 3 * T2V_720P_5S, used_quota: 3 * T2V_720P_5S });
    expect(await balanceOf(ctx.http, poor.userId)).toEqual({ quota: 100_000, used_quota: 0 });
  });

  it('sends the next batch as soon as one returns, before the answers of the one that returned', async () => {
    // A database that holds each statement until the test lets it go, and charges every row.
    const statements: { rows: { ord: number; task_id: string }[]; answer: () => void }[] = [];
    const db = {
      executeQuery: (query: { parameters: readonly unknown[] }) =>
        new Promise((resolve) => {
          const rows = JSON.parse(query.parameters.find((p) => typeof p === 'string' && p.startsWith('[')) as string);
          statements.push({
            rows,
            answer: () => resolve({ rows: rows.map((r: { ord: number; task_id: string }) => ({ ord: r.ord, verdict: 'ok', id: r.ord + 1, taskId: r.task_id, createdAt: new Date() })) }),
          });
        }),
    } as unknown as Db;
    const batcher = new ChargeBatcher(db, { maxBatch: 128, concurrency: 1, log, onCharged: () => {}, onStatement: () => {} });
    const first = batcher.charge(row(1, 1));
    await until(async () => (statements.length === 1 ? true : undefined), 'the first statement');
    const second = batcher.charge(row(1, 1));
    // What the first submit's answer sees the moment it is resolved: the second statement already sent.
    const sentWhenAnswered = first.then(() => statements.length);
    statements[0]!.answer();
    expect(await sentWhenAnswered).toBe(2);
    statements[1]!.answer();
    expect((await second).kind).toBe('charged');
  });

  it('sends back a refusal that an uncharged earlier row may have caused, and decides it again', async () => {
    const user = await createUser(ctx.http, { quota: 2 * T2V_720P_5S });
    const capped = await createKey(ctx.http, user.id, { quota: 0 });
    const open = await createKey(ctx.http, user.id);
    const batcher = new ChargeBatcher(ctx.db, { maxBatch: 128, concurrency: 1, log, onCharged: () => {}, onStatement: () => {} });
    // The first row is refused by its key's own limit; the user's running sum still counts it, so
    // the third looks unaffordable in this batch. Sent again, it is charged.
    const outcomes = await Promise.all([
      batcher.charge(row(user.id, capped.id)),
      batcher.charge(row(user.id, open.id)),
      batcher.charge(row(user.id, open.id)),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['refused', 'charged', 'charged']);
    expect(await balanceOf(ctx.http, user.id)).toEqual({ quota: 0, used_quota: 2 * T2V_720P_5S });
  });
});

describe('admin sanity', () => {
  it('every charged task is in task_dispatch, waiting for a dispatcher', async () => {
    const tasks = await countRows(ctx.db, 'tasks');
    expect(await countRows(ctx.db, 'taskDispatch')).toBe(tasks);
    expect((await ctx.http('GET', '/admin/logs?type=2&limit=1', { token: ADMIN_TOKEN })).status).toBe(200);
  });

  it('consume logs carry no dedupe key: the unique index on it holds refunds only, and none of the submits', async () => {
    const { rows } = await ctx.query(`SELECT count(*) FILTER (WHERE dedupe_key IS NOT NULL) AS keyed, count(*) AS all FROM logs WHERE type = 2`);
    expect(Number(rows[0].all)).toBeGreaterThan(0);
    expect(Number(rows[0].keyed)).toBe(0);
    const index = await ctx.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'logs_dedupe_key_key'`);
    expect(index.rows[0].indexdef).toMatch(/WHERE \(dedupe_key IS NOT NULL\)$/);
  });
});

describe('charges and settlements of one customer at once', () => {
  it('never deadlock: every writer locks the user before the key', { timeout: 60_000 }, async () => {
    const customer = await createCustomer(ctx.http, 1_000_000_000);
    const first = await Promise.all(Array.from({ length: 60 }, () => ctx.http('POST', '/v1/video/generations', { token: customer.key, body: small })));
    const ids = first.map((r) => r.body.id as string);
    const rows = await ctx.db.selectFrom('tasks').select(['id', 'taskId']).where('taskId', 'in', ids).execute();
    const failure = { status: 'FAILURE' as const, failReason: 'X: y', resultUrl: '', data: null, finalQuota: 0n, refundNote: 'refund' };
    // Refunds (user, then key) racing new charges (user, then key) of the same customer.
    const [settled, charged] = await Promise.all([
      Promise.all(rows.map((row) => settleTask(ctx.db, row.id, failure))),
      Promise.all(Array.from({ length: 200 }, () => ctx.http('POST', '/v1/video/generations', { token: customer.key, body: small }))),
    ]);
    expect(settled.every((s) => s?.refunded === BigInt(T2V_720P_5S))).toBe(true);
    expect(charged.filter((r) => r.status !== 200)).toEqual([]);
    expect(await balanceOf(ctx.http, customer.userId)).toEqual({ quota: 1_000_000_000 - 200 * T2V_720P_5S, used_quota: 200 * T2V_720P_5S });
  });
});
