// Task ids: EasyRouter's format, unguessable, and in creation order, so that the indexes keyed by
// them grow at their right edge.
import { describe, expect, inject, it } from 'vitest';
import { EXAMPLE_TASK_ID, newTaskId, TASK_ID_PATTERN } from '../src/lib/ids.ts';
import pg from 'pg';
import { withDatabase } from './setup/database-url.ts';

describe('task ids', () => {
  it('keep the public format: "task_" and 32 letters and digits, the example too', () => {
    for (const id of [newTaskId(), newTaskId(0), newTaskId(Date.UTC(2999, 0)), EXAMPLE_TASK_ID]) expect(id).toMatch(TASK_ID_PATTERN);
  });

  it('sort in the order they were made, in JavaScript and in PostgreSQL under the C and a natural-language collation', async () => {
    // One a millisecond, then one every 37 minutes for a few years: every digit of the time turns over.
    const start = Date.UTC(2026, 11, 1);
    const ids = [...Array.from({ length: 2_000 }, (_, i) => newTaskId(start + i)), ...Array.from({ length: 2_000 }, (_, i) => newTaskId(start + 2_000 + i * 2_222_222))];
    expect([...ids].sort()).toEqual(ids);
    const client = new pg.Client({ connectionString: withDatabase(inject('databaseUrl'), 'postgres') });
    await client.connect();
    try {
      // en-US sorts letters regardless of case first ('a' < 'B'), where C sorts by code ('B' < 'a').
      for (const collation of ['C', 'en-US-x-icu']) {
        const { rows } = await client.query<{ id: string }>(`SELECT id FROM unnest($1::varchar(40)[]) AS id ORDER BY id COLLATE "${collation}"`, [[...ids].reverse()]);
        expect(rows.map((row) => row.id), collation).toEqual(ids);
      }
    } finally {
      await client.end();
    }
  });

  it('differ within one millisecond, in their 23 random characters', () => {
    const ids = Array.from({ length: 10_000 }, () => newTaskId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(0, 14))).size).toBe(1);
  });
});
