// The baselines' own tables: the least a charged submit and a task lookup can cost on this
// PostgreSQL. Deliberately plain (one index besides the keys, no foreign keys), so the gateway's
// extra indexes, constraints and ORM show up as the gap between it and these figures.
import { withClient } from '../lib/postgres.ts';
import { HOT_BALANCE, STARTING_BALANCE } from '../workload.ts';

const SCHEMA = `
  CREATE TABLE accounts (
    id integer PRIMARY KEY,
    balance bigint NOT NULL,
    used bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE tasks (
    id bigserial PRIMARY KEY,
    public_id varchar(40) NOT NULL,
    user_id integer NOT NULL,
    model varchar(128) NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'NOT_START',
    quota bigint NOT NULL,
    request jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE UNIQUE INDEX tasks_public_id_key ON tasks (public_id);
  CREATE TABLE logs (
    id bigserial PRIMARY KEY,
    type smallint NOT NULL,
    user_id integer NOT NULL,
    task_id varchar(40),
    quota bigint NOT NULL,
    content text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
  );
`;

/**
 * Creates the tables, `users` accounts (ids 1..users) and `tasks` task rows; returns the tasks'
 * public ids in random order. Account 1, on which the hot scenarios put every request, starts with
 * HOT_BALANCE.
 */
export async function createBaselineData(databaseUrl: string, users: number, tasks: number): Promise<string[]> {
  return withClient(databaseUrl, async (client) => {
    await client.query(SCHEMA);
    await client.query(
      'INSERT INTO accounts (id, balance) SELECT n, CASE WHEN n = 1 THEN $3::bigint ELSE $2::bigint END FROM generate_series(1, $1::int) AS n',
      [users, STARTING_BALANCE.toString(), HOT_BALANCE.toString()],
    );
    // md5 gives 32 hex characters: the same length as the gateway's public ids.
    await client.query(
      `INSERT INTO tasks (public_id, user_id, model, quota, request)
       SELECT 'task_' || md5(n::text || random()::text), 1 + n % $2::int, 'wan2.7-t2v', 250000,
              '{"model":"wan2.7-t2v","prompt":"bench","resolution":"720P","duration":5}'::jsonb
       FROM generate_series(1, $1::int) AS n`,
      [tasks, users],
    );
    await client.query('ANALYZE');
    const { rows } = await client.query<{ public_id: string }>('SELECT public_id FROM tasks ORDER BY random()');
    return rows.map((row) => row.public_id);
  });
}

/**
 * Throws unless the write baselines kept exact books: every account's balance and spend add up to
 * what it started with, and what was spent is exactly what the task rows and the log rows record
 * (the `seededTasks` rows createBaselineData made are not charged). A floor that lost or invented
 * money, the batched one above all, would not be a floor.
 */
export async function checkBooks(databaseUrl: string, seededTasks: number): Promise<void> {
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ spent: string; charged: string; logged: string; tasks: string; logs: string; unbalanced: string }>(
      `SELECT (SELECT coalesce(sum(used), 0) FROM accounts) AS spent,
              (SELECT coalesce(sum(quota), 0) FROM tasks WHERE id > $1) AS charged,
              (SELECT coalesce(sum(quota), 0) FROM logs) AS logged,
              (SELECT count(*) FROM tasks WHERE id > $1) AS tasks,
              (SELECT count(*) FROM logs) AS logs,
              (SELECT count(*) FROM accounts WHERE balance < 0 OR balance + used <> CASE WHEN id = 1 THEN $2::bigint ELSE $3::bigint END) AS unbalanced`,
      [seededTasks, HOT_BALANCE.toString(), STARTING_BALANCE.toString()],
    ),
  );
  const books = rows[0];
  if (!books || books.spent !== books.charged || books.spent !== books.logged || books.tasks !== books.logs || books.unbalanced !== '0') {
    throw new Error(`the write baselines' books do not balance: ${JSON.stringify(books)}`);
  }
}
