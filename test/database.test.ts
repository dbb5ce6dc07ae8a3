// The schema, its migrations and the seed.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { prepareDatabase } from '../src/db/prepare-database.ts';
import { diffMigrationsToSchema } from '../src/db/schema-engine.ts';
import { sql } from 'kysely';
import { type DatabaseOptions, openDatabase } from '../src/db/database.ts';
import { withDatabase } from './setup/database-url.ts';

const name = `vgw_fresh_${randomBytes(4).toString('hex')}`;
const url = withDatabase(inject('databaseUrl'), name);
const options = (poolSize: number): DatabaseOptions => ({ url, poolSize, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });

afterAll(async () => {
  const client = new pg.Client({ connectionString: withDatabase(inject('databaseUrl'), 'postgres') });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
});

describe('migrations', () => {
  it('match schema.prisma exactly (no drift)', async () => {
    // The diff replays the migrations on a throwaway shadow database of that server. The engine
    // connects to the database it is given first, so it gets one every server has: the server's
    // URL names whatever database the tests were pointed at, which need not exist.
    const drift = await diffMigrationsToSchema(withDatabase(inject('databaseUrl'), 'postgres'));
    expect(drift, `schema.prisma and prisma/migrations differ; run npm run db:migration:new -- <name>:\n${drift}`).toBe('');
  });

  it('create the database, apply, record in _prisma_migrations and seed; a second run changes nothing', async () => {
    const { db, close } = openDatabase(options(2));
    try {
      const applied = await prepareDatabase(url, db);
      expect(applied.length).toBeGreaterThan(0);
      const { rows: history } = await sql<{ migrationName: string; finishedAt: Date | null }>`
        SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`.execute(db);
      expect(history.map((h) => h.migrationName)).toEqual(applied);
      expect(history.every((h) => h.finishedAt !== null)).toBe(true);

      // An operator's price change survives re-seeding.
      await db.updateTable('modelPrices').set({ pricePerSecond: '0.2' }).where('model', '=', 'wan2.7-t2v').execute();
      expect(await prepareDatabase(url, db)).toEqual([]);
      const prices = await db.selectFrom('modelPrices').selectAll().orderBy('model').execute();
      expect(prices.map((p) => [p.model, p.pricePerSecond, p.resolutionRatios])).toEqual([
        ['wan2.7-i2v', '0.100000', { '720P': 1, '1080P': 1.5 }],
        ['wan2.7-r2v', '0.100000', { '720P': 1, '1080P': 1.5 }],
        ['wan2.7-t2v', '0.200000', { '720P': 1, '1080P': 1.5 }],
        ['wan2.7-videoedit', '0.100000', { '720P': 1, '1080P': 1.5 }],
      ]);
      const groups = await db.selectFrom('groups').selectAll().execute();
      expect(groups.map((g) => [g.name, g.ratio])).toEqual([['default', '1.000000']]);
    } finally {
      await close();
    }
  });

  it('refuse a second refund for the same task (unique dedupe key)', async () => {
    const { db, close } = openDatabase(options(1));
    try {
      const user = await db.insertInto('users').values({ name: 'x' }).returning('id').executeTakeFirstOrThrow();
      const refund = { type: 6, userId: user.id, taskId: 'task_x', quota: 10n, dedupeKey: 'refund:task_x' };
      await db.insertInto('logs').values(refund).execute();
      await expect(db.insertInto('logs').values(refund).execute()).rejects.toThrow(/duplicate key value violates unique constraint/);
    } finally {
      await close();
    }
  });

  it('refuse a negative balance, spend, charge or log amount (CHECK constraints)', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`INSERT INTO users (name, quota) VALUES ('checked', 5) RETURNING id`);
      const userId = rows[0].id as number;
      const key = await client.query(`INSERT INTO api_keys (user_id, key_hash, key_prefix) VALUES ($1, repeat('c', 64), 'sk-c') RETURNING id`, [userId]);
      const violations = [
        [`UPDATE users SET quota = quota - 6 WHERE id = $1`, [userId]],
        [`UPDATE users SET used_quota = -1 WHERE id = $1`, [userId]],
        [`UPDATE api_keys SET quota_used = -1 WHERE id = $1`, [key.rows[0].id]],
        [`UPDATE api_keys SET quota_limit = -1 WHERE id = $1`, [key.rows[0].id]],
        [`INSERT INTO logs (type, user_id, quota) VALUES (2, $1, -1)`, [userId]],
        [`INSERT INTO tasks (task_id, user_id, "group", model, upstream_model, action, quota, price_snapshot, request) VALUES ('task_neg', $1, 'default', 'm', 'm', 'a', -1, '{}', '{}')`, [userId]],
      ] as const;
      for (const [text, values] of violations) {
        await expect(client.query(text, [...values]), text).rejects.toMatchObject({ code: '23514' });
      }
      // A key's limit may be lowered below what it has spent (to stop it); the charge checks that itself.
      await client.query(`UPDATE api_keys SET quota_used = 10, quota_limit = 5 WHERE id = $1`, [key.rows[0].id]);
    } finally {
      await client.end();
    }
  });

  it('refuse to delete a user or a key, whose tasks and logs refer to them without foreign keys', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`INSERT INTO users (name) VALUES ('kept') RETURNING id`);
      const userId = rows[0].id as number;
      const key = await client.query(`INSERT INTO api_keys (user_id, key_hash, key_prefix) VALUES ($1, repeat('k', 64), 'sk-k') RETURNING id`, [userId]);
      await expect(client.query(`DELETE FROM api_keys WHERE id = $1`, [key.rows[0].id])).rejects.toMatchObject({
        code: '23001',
        message: expect.stringMatching(/^api_keys rows are never deleted: .*revoke the key instead/),
      });
      await expect(client.query(`DELETE FROM users WHERE id = $1`, [userId])).rejects.toMatchObject({
        code: '23001',
        message: expect.stringMatching(/^users rows are never deleted: .*disable the user instead/),
      });
      const left = await client.query(`SELECT (SELECT count(*) FROM users WHERE id = $1)::int AS users, (SELECT count(*) FROM api_keys WHERE user_id = $1)::int AS keys`, [userId]);
      expect(left.rows[0]).toEqual({ users: 1, keys: 1 });
    } finally {
      await client.end();
    }
  });
});


describe('a connection that dies while checked out', () => {
  it('fails the transaction that held it, not the process', async () => {
    const { db, close } = openDatabase(options(2));
    const uncaught: unknown[] = [];
    const record = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', record);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const outcome = db.transaction().execute(async (tx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx);
        // The backend is terminated (a database restart, an operator) while the transaction waits.
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((r) => setTimeout(r, 300));
        await sql`SELECT 1`.execute(tx);
      });
      await expect(outcome).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 100));
      expect(uncaught).toEqual([]);
      // The pool goes on with a fresh connection.
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows[0]!.one).toBe(1);
    } finally {
      process.off('uncaughtException', record);
      await admin.end();
      await close();
    }
  });
});
