// Everything the benchmark takes from the environment, read once. The database names and the
// Redis prefix are fixed on purpose: the run drops and deletes them, so they must never be able to
// point at a real gateway's data (REDIS_PREFIX is deliberately not read from the environment).

export interface BenchConfig {
  /** A connection URL for the PostgreSQL server; only its server part is used. */
  postgresUrl: string;
  redisUrl: string;
  redisPrefix: string;
  gatewayDatabase: string;
  baselineDatabase: string;
  workerDatabase: string;
  footprintDatabase: string;
  latencyDatabase: string;
  waitersDatabase: string;
  /** Task queries held open with `Prefer: wait` at once on one API process. */
  waiters: number;
  /** Tasks the worker measurement pushes through. */
  workerTasks: number;
  /** Tasks the worker's footprint measurement keeps in flight at once. */
  footprintTasks: number;
  /** Submits, one at a time, from which the idle submit-to-upstream latency is taken... */
  latencyTasks: number;
  /** ...and the milliseconds from the start of one to the start of the next. */
  latencyGapMs: number;
  /** The steady stream under which it is taken again: submits per second, for how long. */
  latencyLoadRps: number;
  latencyLoadS: number;
  connections: number;
  durationS: number;
  warmupS: number;
  users: number;
  /** Pool size of the gateway and of the baselines; equal so the comparison is fair. */
  poolSize: number;
  /** Statements the batched baseline runs at once (the gateway's CHARGE_BATCH_CONCURRENCY default). */
  batchesInFlight: number;
  /** BENCH_PROFILE=1: the gateway runs under the V8 CPU profiler and the report summarises it. */
  profile: boolean;
}

const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function loadBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  return {
    postgresUrl: nonEmpty(env.DATABASE_URL) ?? DEFAULT_POSTGRES_URL,
    redisUrl: nonEmpty(env.REDIS_URL) ?? DEFAULT_REDIS_URL,
    redisPrefix: 'vgwbench',
    gatewayDatabase: 'vgw_bench',
    baselineDatabase: 'vgw_bench_baseline',
    workerDatabase: 'vgw_bench_worker',
    footprintDatabase: 'vgw_bench_footprint',
    latencyDatabase: 'vgw_bench_latency',
    waitersDatabase: 'vgw_bench_waiters',
    waiters: positiveInt(env, 'BENCH_WAITERS', 5_000),
    workerTasks: positiveInt(env, 'BENCH_WORKER_TASKS', 4_000),
    footprintTasks: positiveInt(env, 'BENCH_FOOTPRINT_TASKS', 10_000),
    latencyTasks: positiveInt(env, 'BENCH_LATENCY_TASKS', 200),
    latencyGapMs: positiveInt(env, 'BENCH_LATENCY_GAP_MS', 50),
    latencyLoadRps: positiveInt(env, 'BENCH_LATENCY_LOAD_RPS', 200),
    latencyLoadS: nonNegativeInt(env, 'BENCH_LATENCY_LOAD_S', 5),
    connections: positiveInt(env, 'BENCH_CONNECTIONS', 50),
    durationS: positiveInt(env, 'BENCH_DURATION_S', 10),
    warmupS: nonNegativeInt(env, 'BENCH_WARMUP_S', 3),
    users: positiveInt(env, 'BENCH_USERS', 1_000),
    poolSize: positiveInt(env, 'BENCH_POOL_SIZE', 10),
    batchesInFlight: positiveInt(env, 'BENCH_BATCHES_IN_FLIGHT', 1),
    profile: flag(env, 'BENCH_PROFILE'),
  };
}

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = nonEmpty(env[name]);
  if (raw === undefined || raw === '0') return false;
  if (raw === '1') return true;
  throw new Error(`${name} must be 1 or 0, got "${raw}"`);
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = nonNegativeInt(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function nonNegativeInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return Number(raw);
}
