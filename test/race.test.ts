// Concurrent submits against a balance that covers only some of them: the database decides,
// exactly, and no quota is created or destroyed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { balanceOf, createKey, createUser, specExamples } from './helpers/factories.ts';
import { countRows, keyRow } from './helpers/rows.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const PRICE = 250_000;

async function race(key: string, count: number): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: count }, () => ctx.http('POST', '/v1/video/generations', { token: key, body: specExamples.t2v })),
  );
  return responses.map((r) => r.status);
}

describe('50 concurrent submits against quota for exactly 10', () => {
  let userId: number;
  let statuses: number[];
  let lowest = Number.POSITIVE_INFINITY;

  beforeAll(async () => {
    const user = await createUser(ctx.http, { quota: 10 * PRICE });
    userId = user.id;
    const key = await createKey(ctx.http, user.id);
    // Watch the balance from another connection while the race runs.
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const row = await ctx.db.selectFrom('users').select('quota').where('id', '=', userId).executeTakeFirstOrThrow();
        lowest = Math.min(lowest, Number(row.quota));
      }
    })();
    statuses = await race(key.key, 50);
    watching = false;
    await watcher;
  });

  it('accepts exactly 10 and answers 402 to the other 40', () => {
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(40);
  });

  it('leaves the balance at exactly 0, never below', async () => {
    expect(await balanceOf(ctx.http, userId)).toMatchObject({ quota: 0, used_quota: 10 * PRICE });
    expect(lowest).toBeGreaterThanOrEqual(0);
  });

  it('wrote exactly 10 tasks and 10 consume logs', async () => {
    expect(await countRows(ctx.db, 'tasks', { userId })).toBe(10);
    const logs = await ctx.http('GET', `/admin/logs?user_id=${userId}&type=2`, { token: ADMIN_TOKEN });
    expect(logs.body.data).toHaveLength(10);
    expect(logs.body.data.every((l: { quota: number }) => l.quota === PRICE)).toBe(true);
  });
});

describe("concurrent submits against a key's own limit", () => {
  it('accepts exactly what the key limit covers even when the user could pay for more', async () => {
    const user = await createUser(ctx.http, { quota: 100 * PRICE });
    const key = await createKey(ctx.http, user.id, { quota: 4 * PRICE });
    const statuses = await race(key.key, 20);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 402)).toHaveLength(16);
    expect(await balanceOf(ctx.http, user.id)).toMatchObject({ quota: 96 * PRICE, used_quota: 4 * PRICE });
    const row = await keyRow(ctx.db, key.id);
    expect(row.quotaUsed).toBe(BigInt(4 * PRICE));
  });

  it('never lets the user balance and key limit disagree: the user runs out first', async () => {
    const user = await createUser(ctx.http, { quota: 3 * PRICE });
    const key = await createKey(ctx.http, user.id, { quota: 10 * PRICE });
    const statuses = await race(key.key, 12);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(await balanceOf(ctx.http, user.id)).toMatchObject({ quota: 0, used_quota: 3 * PRICE });
    // The key was charged only for the submits that went through.
    const row = await keyRow(ctx.db, key.id);
    expect(row.quotaUsed).toBe(BigInt(3 * PRICE));
  });
});

describe('many users at once', () => {
  it('charges every user exactly for their own accepted tasks', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => createUser(ctx.http, { quota: 5 * PRICE })));
    const keys = await Promise.all(users.map((u) => createKey(ctx.http, u.id)));
    const results = await Promise.all(keys.map((k) => race(k.key, 8)));
    for (const [i, statuses] of results.entries()) {
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(await balanceOf(ctx.http, users[i]!.id)).toMatchObject({ quota: 0, used_quota: 5 * PRICE });
    }
  });
});
