// What the shape of a task id costs the database: tasks and their consume logs inserted into the
// gateway's own tables (every index, trigger and constraint), 12 to a statement as charges arrive,
// into tables that already hold a history, right after a checkpoint, as at any moment in production.
// Once with task ids as the gateway makes them (creation time first, src/lib/ids.ts), once with
// ids of 32 random characters, as they were made before: WAL written and time taken, each run on a
// fresh copy of the same schema. The unique index on tasks.task_id and logs' index on it are
// where the two differ: a random id lands on a random page of each.
import { randomAlphanumeric, newTaskId } from '../../src/lib/ids.ts';
import { prepareGatewayDatabase } from '../gateway/database.ts';
import { log } from '../lib/log.ts';
import { withClient } from '../lib/postgres.ts';
import type { Suite } from '../lib/suite.ts';
import type pg from 'pg';

const HISTORY_ROWS = 400_000;
const MEASURED_ROWS = 48_000;
const ROWS_PER_STATEMENT = 12;
const HISTORY_CHUNK = 20_000;

interface IdScheme {
  key: string;
  /** The id of the `i`-th task of `count`, the last made now. */
  make(i: number, count: number): string;
}

const ORDERED: IdScheme = { key: 'ids_ordered', make: (i, count) => newTaskId(Date.now() - (count - i)) };
const RANDOM: IdScheme = { key: 'ids_random', make: () => `task_${randomAlphanumeric(32)}` };

const INSERT = `
  WITH t AS (
    INSERT INTO tasks (task_id, user_id, "group", model, upstream_model, action, quota, price_snapshot, request)
    SELECT id, $2::int, 'default', 'wan2.7-t2v', 'wan2.7-t2v', 'textGenerate', 250000,
           '{"quota":250000}'::jsonb, '{"model":"wan2.7-t2v","prompt":"bench"}'::jsonb
      FROM unnest($1::text[]) AS id
    RETURNING task_id
  )
  INSERT INTO logs (type, user_id, task_id, model, quota, content)
  SELECT 2, $2::int, task_id, 'wan2.7-t2v', 250000, 'bench' FROM t`;

export const idsSuite: Suite = {
  name: 'ids',
  async run({ config, cleanup }) {
    const database = `${config.gatewayDatabase}_ids`;
    const ordered = await measureScheme(ORDERED, await prepareGatewayDatabase(config, cleanup, database));
    const random = await measureScheme(RANDOM, await prepareGatewayDatabase(config, cleanup, database));
    const ratios = { ids_wal_ratio: round(random.walMb / ordered.walMb, 2), ids_time_ratio: round(random.seconds / ordered.seconds, 2) };
    const facts: Record<string, number> = { ...ratios };
    const notes: string[] = [];
    for (const [scheme, result] of [[ORDERED, ordered], [RANDOM, random]] as const) {
      facts[`${scheme.key}_wal_mb`] = round(result.walMb, 1);
      facts[`${scheme.key}_insert_s`] = round(result.seconds, 2);
      notes.push(`${scheme.key}: ${MEASURED_ROWS.toLocaleString('en')} tasks and logs after a checkpoint: ${result.walMb.toFixed(1)} MB of WAL, ${result.seconds.toFixed(2)} s`);
    }
    notes.push(`random ids / ordered ids: ${ratios.ids_wal_ratio}× the WAL, ${ratios.ids_time_ratio}× the time`);
    return { measurements: [], facts, notes };
  },
};

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** A history of HISTORY_ROWS tasks with this scheme's ids, a checkpoint, then the measured inserts. */
async function measureScheme(scheme: IdScheme, databaseUrl: string): Promise<{ walMb: number; seconds: number }> {
  log(`ids: ${scheme.key}: ${HISTORY_ROWS.toLocaleString('en')} tasks of history, then ${MEASURED_ROWS.toLocaleString('en')} more, ${ROWS_PER_STATEMENT} a statement`);
  return withClient(databaseUrl, async (client) => {
    const userId = Number((await client.query(`INSERT INTO users (name, quota) VALUES ('bench', 0) RETURNING id`)).rows[0].id);
    const total = HISTORY_ROWS + MEASURED_ROWS;
    for (let done = 0; done < HISTORY_ROWS; done += HISTORY_CHUNK) {
      await client.query(INSERT, [Array.from({ length: HISTORY_CHUNK }, (_, i) => scheme.make(done + i, total)), userId]);
    }
    await client.query('VACUUM (ANALYZE) tasks, logs');
    // From here every page is written to the WAL whole the first time it changes.
    await client.query('CHECKPOINT').catch(() => undefined);
    return measureInserts(client, userId, (i) => scheme.make(HISTORY_ROWS + i, total));
  });
}

async function measureInserts(client: pg.Client, userId: number, id: (i: number) => string): Promise<{ walMb: number; seconds: number }> {
  const before = String((await client.query('SELECT pg_current_wal_lsn() AS lsn')).rows[0].lsn);
  const started = performance.now();
  for (let done = 0; done < MEASURED_ROWS; done += ROWS_PER_STATEMENT) {
    await client.query(INSERT, [Array.from({ length: ROWS_PER_STATEMENT }, (_, i) => id(done + i)), userId]);
  }
  const seconds = (performance.now() - started) / 1000;
  const bytes = Number((await client.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS bytes', [before])).rows[0].bytes);
  return { walMb: bytes / 1024 / 1024, seconds };
}
