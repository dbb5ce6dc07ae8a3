// The operator's usage report over a big history: 1,000,000 log rows (charges and refunds of
// BENCH_USERS users, three models, over 30 days) written the way the gateway writes them, so the
// rollup triggers keep usage_daily as they do in production; then GET /admin/usage over those 30
// days, grouped each way, timed end to end over HTTP. admin_usage_ms is the median of the slowest
// grouping. For scale, the same report computed straight from the logs is timed too.
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareGatewayDatabase } from '../gateway/database.ts';
import { startServer } from '../lib/child-server.ts';
import { log } from '../lib/log.ts';
import { withClient } from '../lib/postgres.ts';
import { scratchStorageDir } from '../lib/scratch-storage.ts';
import type { Suite } from '../lib/suite.ts';

const LOG_ROWS = 1_000_000;
const DAYS = 30;
const BATCH_ROWS = 100_000;
const RUNS = 15;
const GROUPINGS = ['day', 'model', 'user', 'key'] as const;
const ADMIN_TOKEN = 'bench';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const round = (ms: number) => Math.round(ms * 10) / 10;

export const adminSuite: Suite = {
  name: 'admin',
  async run({ config, cleanup }) {
    const database = `${config.gatewayDatabase}_admin`;
    log(`admin: preparing database ${database} with ${LOG_ROWS.toLocaleString('en')} log rows`);
    const databaseUrl = await prepareGatewayDatabase(config, cleanup, database);
    const users = config.users;
    const filled = Date.now();
    await withClient(databaseUrl, async (client) => {
      // In batches, as the gateway's charges and settlements arrive: each INSERT fires the rollup
      // trigger once for its rows. One row in ten is a refund; every row is at a random moment of
      // the last 30 days.
      for (let done = 0; done < LOG_ROWS; done += BATCH_ROWS) {
        await client.query(
          `INSERT INTO logs (type, user_id, key_id, task_id, model, quota, content, created_at)
           SELECT CASE WHEN i % 10 = 0 THEN 6 ELSE 2 END, 1 + i % $2::int, 1 + i % $2::int, 'task_' || lpad(i::text, 32, '0'),
                  (ARRAY['wan2.7-t2v', 'wan2.7-i2v', 'wan2.7-r2v'])[1 + i % 3], 250000, 'bench', now() - random() * make_interval(days => $3::int)
             FROM generate_series($1::int + 1, $1::int + $4::int) AS i`,
          [done, users, DAYS, Math.min(BATCH_ROWS, LOG_ROWS - done)],
        );
      }
      await client.query('VACUUM (ANALYZE) logs, usage_daily');
    });
    const fillS = (Date.now() - filled) / 1000;
    const rollupRows = await withClient(databaseUrl, async (c) => Number((await c.query('SELECT count(*) AS n FROM usage_daily')).rows[0].n));
    log(`admin: ${LOG_ROWS} logs written in ${fillS.toFixed(1)} s; usage_daily holds ${rollupRows} rows`);

    const gateway = await startServer(
      {
        name: 'gateway (admin)',
        script: 'src/entrypoints/api.ts',
        env: {
          DATABASE_URL: databaseUrl,
          DATABASE_POOL_SIZE: String(config.poolSize),
          REDIS_URL: config.redisUrl,
          REDIS_PREFIX: `${config.redisPrefix}a`,
          LOG_LEVEL: 'warn',
          ADMIN_TOKEN,
          STORAGE_DIR: await scratchStorageDir(cleanup),
        },
        readyPath: '/readyz',
      },
      cleanup,
    );
    const today = new Date().toISOString().slice(0, 10);
    // The oldest row may be on the UTC day 30 days back: the report takes 31 days.
    const from = new Date(Date.now() - DAYS * 86_400_000).toISOString().slice(0, 10);
    const facts: Record<string, number> = { admin_log_rows: LOG_ROWS, admin_rollup_rows: rollupRows };
    let slowest = 0;
    let checked = false;
    for (const groupBy of GROUPINGS) {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        const res = await fetch(`${gateway.url}/admin/usage?from=${from}&to=${today}&group_by=${groupBy}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        const body = (await res.json()) as { data: { tasks: number; quota_refunded: number }[] };
        times.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`GET /admin/usage answered ${res.status}: ${JSON.stringify(body)}`);
        if (!checked) {
          // The report must account for every row, or its speed means nothing.
          const tasks = body.data.reduce((sum, row) => sum + row.tasks, 0);
          if (tasks !== LOG_ROWS - LOG_ROWS / 10) throw new Error(`the usage report counts ${tasks} charges, not ${LOG_ROWS - LOG_ROWS / 10}`);
          checked = true;
        }
        await sleep(10);
      }
      facts[`admin_usage_${groupBy}_ms`] = round(median(times));
      slowest = Math.max(slowest, median(times));
    }
    facts.admin_usage_ms = round(slowest);
    await gateway.stop();

    // The same report by day without the rollup: what each request would cost reading the logs.
    const scanMs = await withClient(databaseUrl, async (client) => {
      const started = performance.now();
      await client.query(
        `SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FILTER (WHERE type = 2), sum(quota) FILTER (WHERE type = 2), sum(quota) FILTER (WHERE type = 6)
           FROM logs WHERE created_at >= $1::date GROUP BY 1`,
        [from],
      );
      return performance.now() - started;
    });
    facts.admin_usage_scan_ms = round(scanMs);
    return {
      measurements: [],
      facts,
      notes: [
        `admin: GET /admin/usage over ${DAYS} days of ${LOG_ROWS.toLocaleString('en')} log rows (${rollupRows} rollup rows), median of ${RUNS} runs: ` +
          GROUPINGS.map((g) => `${g} ${facts[`admin_usage_${g}_ms`]} ms`).join(', ') +
          `; the same by day straight from the logs: ${facts.admin_usage_scan_ms} ms`,
      ],
    };
  },
};
