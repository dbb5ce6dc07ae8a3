// `npm run bench`: the gateway's submit and query throughput next to baselines measured in the same
// run, how long a submitted task waits for its upstream call, the worker's throughput, and the
// operator's usage report over a million log rows, on databases and a Redis namespace of its own
// that are removed at the end. docs/benchmarks.md explains every figure.
//
//   BENCH_DURATION_S (10)  BENCH_WARMUP_S (3)  BENCH_CONNECTIONS (50)  BENCH_USERS (1000)
//   BENCH_POOL_SIZE (10)   BENCH_BATCHES_IN_FLIGHT (1)   BENCH_WORKER_TASKS (4000)   BENCH_FOOTPRINT_TASKS (10000)
//   BENCH_LATENCY_TASKS (200)  BENCH_LATENCY_GAP_MS (50)  BENCH_LATENCY_LOAD_RPS (200)  BENCH_LATENCY_LOAD_S (5)
//   BENCH_WAITERS (5000)  BENCH_SUITES (all: baselines,gateway,latency,waiters,worker,admin,ids,charge)
//   BENCH_PROFILE (0; 1 runs the gateway under the CPU profiler and summarises where its time went)
//   DATABASE_URL / REDIS_URL: the servers to use (the database name is ignored)
//
// Progress goes to stderr; stdout gets a table and, as its last line, one JSON object.
import { adminSuite } from './admin/suite.ts';
import { baselineSuite } from './baselines/suite.ts';
import { chargeSuite } from './charge/suite.ts';
import { loadBenchConfig } from './config.ts';
import { gatewaySuite } from './gateway/suite.ts';
import { idsSuite } from './ids/suite.ts';
import { latencySuite } from './latency/suite.ts';
import { waitersSuite } from './waiters/suite.ts';
import { workerSuite } from './worker/suite.ts';
import { Cleanup } from './lib/cleanup.ts';
import { log } from './lib/log.ts';
import type { Measurement } from './lib/measure.ts';
import { formatGoals, formatTable, type Goal, goalsMet, type Ratio, summary } from './lib/report.ts';
import type { Suite } from './lib/suite.ts';

// Baselines first, then the gateway: each write measurement runs on a PostgreSQL that has just
// absorbed the previous one's writes, so neither gets a fresher server than the other.
// The latency and waiter suites run before the worker's, on a machine not yet busy with its 4,000 tasks.
// The admin suite comes late: its million log rows are written on a database of its own; then the
// ids suite, which writes its own history of tasks, and the charge statement on its own.
const ALL_SUITES: Suite[] = [baselineSuite, gatewaySuite, latencySuite, waitersSuite, workerSuite, adminSuite, idsSuite, chargeSuite];
// BENCH_SUITES=worker (or a comma list of suite names) runs only those; the ratios need baselines and gateway together.
const chosen = (process.env.BENCH_SUITES ?? '').split(',').filter(Boolean);
const SUITES = chosen.length ? ALL_SUITES.filter((suite) => chosen.includes(suite.name)) : ALL_SUITES;

// Each submit figure over the least that charging a submit can cost: one statement per request,
// and concurrent requests batched into one statement (what only batching gets past).
const RATIOS: Ratio[] = [
  { key: 'submit_ratio', label: 'submit / one-statement baseline', of: 'submit', to: 'baseline_stmt' },
  { key: 'submit_hot_ratio', label: 'submit, one user / one-statement baseline, one user', of: 'submit_hot', to: 'baseline_stmt_hot' },
  { key: 'submit_batched_ratio', label: 'submit / batched baseline', of: 'submit', to: 'baseline_batched' },
  { key: 'submit_hot_batched_ratio', label: 'submit, one user / batched baseline, one user', of: 'submit_hot', to: 'baseline_batched_hot' },
  // What submit_ratio was until issue 11, kept so the history stays comparable.
  { key: 'submit_tx_ratio', label: 'submit / transaction baseline', of: 'submit', to: 'baseline_tx' },
  { key: 'query_ratio', label: 'query / read baseline', of: 'query', to: 'baseline_read' },
  // The gateway's charge statement behind a bare server: the most submit_ratio can be with this
  // statement here, and how much of it the gateway's API keeps.
  { key: 'charge_bare_ratio', label: 'gateway charge, bare server / one-statement baseline', of: 'charge_bare', to: 'baseline_stmt' },
  { key: 'submit_bare_ratio', label: 'submit / gateway charge, bare server', of: 'submit', to: 'charge_bare' },
];

// Issue 11, "Submits at the speed of the database". The query figures must be no worse than
// before it, which is a comparison between runs rather than a bound.
const GOALS: Goal[] = [
  { field: 'submit_ratio', atLeast: 1.5 },
  { field: 'submit_hot_ratio', atLeast: 2.5 },
  { field: 'submit_p99_ms', atMost: 15 },
  { field: 'submit_to_upstream_p50_ms', atMost: 50 },
];

// Issue 9, "Operators run the whole gateway from its API and a CLI": the usage report over a
// million log rows.
const ADMIN_GOALS: Goal[] = [{ field: 'admin_usage_ms', atMost: 200 }];
// Issue 10: one worker tracks 10,000 tasks in flight under 300 MB.
const FOOTPRINT_GOALS: Goal[] = [
  { field: 'worker_footprint_inflight', atLeast: 10_000 },
  { field: 'worker_footprint_rss_peak_mb', atMost: 300 },
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

  const settings = { connections: config.connections, duration_s: config.durationS, warmup_s: config.warmupS, users: config.users, pool_size: config.poolSize };
  const fields = summary(measurements, RATIOS, { ...facts, ...settings });
  console.log(formatTable(measurements, RATIOS));
  console.log(['', formatGoals('goals of issue 11', GOALS, fields)].join('\n'));
  console.log(['', formatGoals('goals of issue 9', ADMIN_GOALS, fields)].join('\n'));
  console.log(['', formatGoals('goals of issue 10 (worker footprint)', FOOTPRINT_GOALS, fields)].join('\n'));
  if (notes.length) console.log(['', ...notes].join('\n'));
  console.log(JSON.stringify({ ...fields, goals_met: goalsMet(GOALS, fields), goals: GOALS.length, footprint_goals_met: goalsMet(FOOTPRINT_GOALS, fields), elapsed_s: Math.round((Date.now() - started) / 1000) }));
}

main().catch((err: unknown) => {
  console.error('[bench] failed:', err);
  process.exitCode = 1;
});
