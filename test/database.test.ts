// The schema, its migrations and the seed.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { prepareDatabase } from '../src/db/prepare-database.ts';
import { diffMigrationsToSchema } from '../src/db/schema-engine.ts';
import { openDatabase } from '../src/lib/database.ts';
import { withDatabase } from './setup/database-url.ts';

const name = `vgw_fresh_${randomBytes(4).toString('hex')}`;
const url = withDatabase(inject('databaseUrl'), name);

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
    const { db, close } = openDatabase(url, 2);
    try {
      const applied = await prepareDatabase(url, db);
      expect(applied.length).toBeGreaterThan(0);
      const history = await db.$queryRaw<{ migration_name: string; finished_at: Date | null }[]>`
        SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;
      expect(history.map((h) => h.migration_name)).toEqual(applied);
      expect(history.every((h) => h.finished_at !== null)).toBe(true);

      // An operator's price change survives re-seeding.
      await db.modelPrice.update({ where: { model: 'wan2.7-t2v' }, data: { pricePerSecond: 0.2 } });
      expect(await prepareDatabase(url, db)).toEqual([]);
      const prices = await db.modelPrice.findMany({ orderBy: { model: 'asc' } });
      expect(prices.map((p) => [p.model, p.pricePerSecond.toString(), p.resolutionRatios])).toEqual([
        ['wan2.7-i2v', '0.1', { '720P': 1, '1080P': 1.5 }],
        ['wan2.7-r2v', '0.1', { '720P': 1, '1080P': 1.5 }],
        ['wan2.7-t2v', '0.2', { '720P': 1, '1080P': 1.5 }],
        ['wan2.7-videoedit', '0.1', { '720P': 1, '1080P': 1.5 }],
      ]);
      const groups = await db.group.findMany();
      expect(groups.map((g) => [g.name, g.ratio.toString()])).toEqual([['default', '1']]);
    } finally {
      await close();
    }
  });

  it('refuse a second refund for the same task (unique dedupe key)', async () => {
    const { db, close } = openDatabase(url, 1);
    try {
      const user = await db.user.create({ data: { name: 'x' } });
      const refund = { type: 6, userId: user.id, taskId: 'task_x', quota: 10n, dedupeKey: 'refund:task_x' };
      await db.log.create({ data: refund });
      await expect(db.log.create({ data: refund })).rejects.toThrow(/Unique constraint/);
    } finally {
      await close();
    }
  });
});
