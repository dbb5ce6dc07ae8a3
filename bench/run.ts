// `npm run bench`: the gateway's submit and query throughput next to baselines measured in the same
// run, on databases and a Redis namespace of its own that are removed at the end.
//
//   BENCH_DURATION_S (10)  BENCH_WARMUP_S (3)  BENCH_CONNECTIONS (50)  BENCH_USERS (1000)
//   BENCH_POOL_SIZE (10)   BENCH_WORKER_TASKS (4000)
//   DATABASE_URL / REDIS_URL: the servers to use (the database name is ignored)
//
// Progress goes to stderr; stdout gets a table and, as its last line, one JSON object.
import { baselineSuite } from './baselines/suite.ts';
import { loadBenchConfig } from './config.ts';
import { gatewaySuite } from './gateway/suite.ts';
import { workerSuite } from './worker/suite.ts';
import { Cleanup } from './lib/cleanup.ts';
import { log } from './lib/log.ts';
import type { Measurement } from './lib/measure.ts';
import { formatTable, type Ratio, summary } from './lib/report.ts';
import type { Suite } from './lib/suite.ts';

// Baselines first, then the gateway: each write measurement runs on a PostgreSQL that has just
// absorbed the previous one's writes, so neither gets a fresher server than the other.
const SUITES: Suite[] = [baselineSuite, gatewaySuite, workerSuite];

const RATIOS: Ratio[] = [
  { key: 'submit_ratio', label: 'submit / transaction baseline', of: 'submit', to: 'baseline_tx' },
  { key: 'query_ratio', label: 'query / read baseline', of: 'query', to: 'baseline_read' },
];

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadBenchConfig();
  const load = { connections: config.connections, durationS: config.durationS, warmupS: config.warmupS };
  const cleanup = new Cleanup();
  // once: a second Ctrl-C falls through to the default and ends the run at once.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanup.runAll().finally(() => process.exit(130));
    });
  }

  const measurements: Measurement[] = [];
  const facts: Record<string, number> = {};
  const notes: string[] = [];
  try {
    for (const suite of SUITES) {
      const result = await suite.run({ config, load, cleanup });
      measurements.push(...result.measurements);
      Object.assign(facts, result.facts);
      notes.push(...(result.notes ?? []));
    }
  } finally {
    await cleanup.runAll();
  }

  console.log(formatTable(measurements, RATIOS));
  if (notes.length) console.log(['', ...notes].join('\n'));
  const settings = { connections: config.connections, duration_s: config.durationS, warmup_s: config.warmupS, users: config.users, pool_size: config.poolSize };
  console.log(JSON.stringify(summary(measurements, RATIOS, { ...facts, ...settings, elapsed_s: Math.round((Date.now() - started) / 1000) })));
}

main().catch((err: unknown) => {
  console.error('[bench] failed:', err);
  process.exitCode = 1;
});
