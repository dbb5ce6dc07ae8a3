// `npm run chaos`: thousands of tasks with mixed upstream faults against two API and two worker
// processes on one PostgreSQL and one Redis (both private to the run), while API and worker
// processes are SIGKILLed, Redis restarts with and without its data, PostgreSQL restarts and the
// upstream throttles (429) and fails (5xx) everything for a while. Afterwards it audits: every task
// final, every user's books exact to the unit, no refund twice, one upstream task per task (or each
// extra written down and cancelled), and no client answer 5xx other than 503 with Retry-After.
// Prints a table, then one JSON line; exits 1 when a check fails. See docs/chaos.md.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.ts';
import { prepareDatabaseAt } from '../src/db/prepare-database.ts';
import { buildSimulator } from '../src/simulator/app.ts';
import { auditBooks, upstreamExtras } from '../test/helpers/books.ts';
import { type GatewayProcess, startGatewayProcess } from '../test/helpers/gateway-process.ts';
import { startPrivateRedis } from '../test/helpers/redis-server.ts';
import { type ClientTally, Clients } from './clients.ts';
import { startPrivatePostgres } from './postgres.ts';

const log = (message: string): void => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number (got ${process.env[name]})`);
  return value;
};

const TASKS = setting('CHAOS_TASKS', 2_000);
const USERS = setting('CHAOS_USERS', 20);
const CONCURRENCY = setting('CHAOS_CONCURRENCY', 12);
const RATE = setting('CHAOS_RATE', 15);
const SETTLE_S = setting('CHAOS_SETTLE_S', 600);
const START_QUOTA = 1_000_000_000;
const ADMIN_TOKEN = 'chaos-admin';
const SIM_KEY = 'sk-sim-chaos';
const FAULT_DOWN_MS = 3_000;

// Gateway settings for a fast, small world: the upstream answers in a second or two, workers give
// up a dead worker's job after 3 s, and drains are short.
const GATEWAY_ENV = {
  REDIS_PREFIX: 'chaos',
  ADMIN_TOKEN,
  LOG_LEVEL: 'error',
  FFMPEG_PATH: '/nonexistent/ffmpeg',
  UPSTREAM_TIMEOUT_MS: '3000',
  SHUTDOWN_DRAIN_MS: '5000',
  POLL_FIRST_DELAY_MS: '300',
  POLL_INTERVAL_MS: '600',
  UNKNOWN_GRACE_MS: '3000',
  WORKER_LOCK_MS: '3000',
  RECONCILE_INTERVAL_MS: '5000',
  CHANNEL_SUBMIT_QPS: '60',
  CHANNEL_QUERY_QPS: '200',
  TASK_TIMEOUT_S: '1800',
  DATABASE_CONNECT_TIMEOUT_MS: '3000',
};

/** `at`: when, as a share of the submit phase (TASKS / RATE seconds). */
type Fault = { at: number; name: string; run: () => Promise<void> };

async function main(): Promise<number> {
  const started = Date.now();
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    log(`${TASKS} tasks at ${RATE}/s, ${USERS} users, ${CONCURRENCY} clients; starting a private PostgreSQL and Redis`);
    const postgres = await startPrivatePostgres();
    cleanups.push(() => postgres.close());
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.close());
    const databaseUrl = postgres.url.replace(/\/postgres$/, '/video_gateway');
    const dbOptions = { url: databaseUrl, poolSize: 2, statementTimeoutMs: 30_000, connectTimeoutMs: 5_000 };
    await prepareDatabaseAt(dbOptions);
    const database = openDatabase(dbOptions);
    cleanups.push(() => database.close());
    const storageDir = await mkdtemp(path.join(tmpdir(), 'vgw-chaos-storage-'));
    cleanups.push(() => rm(storageDir, { recursive: true, force: true }));

    let simulatorUrl = '';
    const simulator = await buildSimulator({ apiKey: SIM_KEY, pendingMs: 200, runningMs: 1_000, retentionS: 3_600, submitQps: 100, queryQps: 300, logLevel: 'silent', publicUrl: () => simulatorUrl });
    simulatorUrl = await simulator.app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => simulator.app.close());

    const env = { ...GATEWAY_ENV, DATABASE_URL: databaseUrl, REDIS_URL: redis.url, STORAGE_DIR: storageDir };
    // Slots, so that a killed process's replacement takes its place.
    const apis: (GatewayProcess | null)[] = [null, null];
    const workers: (GatewayProcess | null)[] = [null, null];
    // A process that dies without being killed by the run is a finding: it is counted, its last
    // words logged, and it is started again.
    const crashes: string[] = [];
    const killed = new WeakSet<GatewayProcess>();
    const launch = async (slots: (GatewayProcess | null)[], i: number, role: 'api' | 'worker'): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const started = await startGatewayProcess(role, env);
          slots[i] = started;
          void started.exited.then(async (code) => {
            if (slots[i] !== started || killed.has(started) || stopping) return;
            crashes.push(`${role} ${i} exited with ${code}`);
            log(`${role} ${i} exited by itself (${code}); it said:\n${started.output().slice(-3_000)}`);
            slots[i] = null;
            await launch(slots, i, role).catch((err: unknown) => log(`could not restart ${role} ${i}: ${String(err)}`));
          });
          return;
        } catch (err) {
          if (attempt >= 5) throw err;
          log(`${role} ${i} did not start (${String(err).split('\n')[0]}); trying again`);
          await sleep(1_000);
        }
      }
    };
    let stopping = false;
    cleanups.push(async () => {
      stopping = true;
      for (const p of [...apis, ...workers]) await p?.stop('SIGKILL');
    });
    await Promise.all([launch(apis, 0, 'api'), launch(apis, 1, 'api'), launch(workers, 0, 'worker'), launch(workers, 1, 'worker')]);
    log('2 API and 2 worker processes ready');

    const firstApi = apis[0]?.url;
    const admin = async (method: string, url: string, body: unknown) => {
      const res = await fetch(`${firstApi}${url}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    await admin('POST', '/admin/channels', { name: 'simulator', base_url: simulatorUrl, api_key: SIM_KEY });
    const customers: { userId: number; key: string }[] = [];
    for (let i = 0; i < USERS; i++) {
      const user = await admin('POST', '/admin/users', { name: `chaos-${i}`, quota: START_QUOTA });
      const key = await admin('POST', '/admin/keys', { user_id: user.id });
      customers.push({ userId: user.id as number, key: key.key as string });
    }

    // The victim stays listed for a moment after it dies, as a load balancer would keep sending to
    // it until its health check fails: requests in flight are cut, new ones refused, and the
    // clients retry elsewhere with the same Idempotency-Key.
    const killOne = async (slots: (GatewayProcess | null)[], role: 'api' | 'worker') => {
      const i = Math.floor(Math.random() * slots.length);
      const victim = slots[i];
      if (victim) killed.add(victim);
      await victim?.stop('SIGKILL');
      await sleep(500);
      slots[i] = null;
      await sleep(500);
      await launch(slots, i, role);
    };
    const faults: Fault[] = [
      { at: 0.08, name: 'SIGKILL a worker', run: () => killOne(workers, 'worker') },
      { at: 0.15, name: 'upstream 429 storm', run: async () => simulator.storm({ status: 429, forMs: FAULT_DOWN_MS }) },
      { at: 0.22, name: 'SIGKILL an API', run: () => killOne(apis, 'api') },
      { at: 0.3, name: 'Redis restart, data kept', run: async () => {
        await redis.stop({ keepData: true });
        await sleep(FAULT_DOWN_MS);
        await redis.start();
      } },
      { at: 0.38, name: 'SIGKILL a worker', run: () => killOne(workers, 'worker') },
      { at: 0.45, name: 'upstream 500 storm', run: async () => simulator.storm({ status: 500, forMs: FAULT_DOWN_MS }) },
      { at: 0.52, name: 'PostgreSQL restart', run: () => postgres.restart(FAULT_DOWN_MS) },
      { at: 0.6, name: 'SIGKILL an API', run: () => killOne(apis, 'api') },
      { at: 0.68, name: 'Redis restart, data lost', run: async () => {
        await redis.stop();
        await sleep(FAULT_DOWN_MS);
        await redis.start();
      } },
      { at: 0.76, name: 'SIGKILL a worker', run: () => killOne(workers, 'worker') },
      { at: 0.84, name: 'upstream 503 storm', run: async () => simulator.storm({ status: 503, forMs: FAULT_DOWN_MS }) },
      { at: 0.9, name: 'SIGKILL an API and a worker', run: async () => void (await Promise.all([killOne(apis, 'api'), killOne(workers, 'worker')])) },
    ];

    const clients = new Clients({ customers, apis: () => apis.filter((a): a is GatewayProcess => a !== null).map((a) => a.url), runId: randomBytes(4).toString('hex') });
    const createdBefore = simulator.stats().tasksCreated;
    const injected: string[] = [];
    const loadStarted = Date.now();
    const phaseMs = (TASKS / RATE) * 1000;
    const faultLoop = (async () => {
      for (const fault of faults) {
        await sleep(loadStarted + fault.at * phaseMs - Date.now());
        log(`fault: ${fault.name} (${clients.submitted} submitted)`);
        await fault.run();
        injected.push(fault.name);
      }
    })();
    const progress = setInterval(() => log(`${clients.submitted}/${TASKS} submitted; client answers ${JSON.stringify(clients.tally)}`), 10_000);
    await clients.run(TASKS, CONCURRENCY, RATE);
    await faultLoop;
    clearInterval(progress);
    const submitPhaseS = (Date.now() - started) / 1000;
    log(`all ${TASKS} submitted in ${submitPhaseS.toFixed(0)} s; waiting for every task to end`);

    const openTasks = async () =>
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM tasks WHERE status NOT IN ('SUCCESS', 'FAILURE')`.execute(database.db)).rows[0]?.n ?? 0);
    const settleDeadline = Date.now() + SETTLE_S * 1000;
    let open = await openTasks();
    while (open > 0 && Date.now() < settleDeadline) {
      await sleep(2_000);
      open = await openTasks();
      if (Math.random() < 0.2) log(`${open} tasks still open`);
    }
    // Let lost submits' duplicates be cancelled and recorded: they are resolved after the tasks end.
    await sleep(2_000);

    const audit = await auditBooks(database.db, new Map(customers.map((c) => [c.userId, START_QUOTA])));
    const extras = await upstreamExtras(database.db);
    const withUpstream = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM tasks WHERE upstream_task_id IS NOT NULL`.execute(database.db)).rows[0]?.n ?? 0);
    const upstreamCreated = simulator.stats().tasksCreated - createdBefore;
    const tally: ClientTally = clients.tally;
    const checks = {
      every_task_final: audit.open === 0,
      books_exact: audit.exact,
      no_refund_twice: audit.refundedTwice === 0,
      upstream_accounted: upstreamCreated === withUpstream + extras.recorded && extras.unresolved === 0,
      no_5xx_but_503_with_retry_after: tally.other5xx === 0 && tally.unavailableWithoutRetryAfter === 0,
      every_submit_answered: clients.submitted === TASKS && tally.gaveUp === 0,
    };
    const result = {
      tasks: audit.tasks,
      users: USERS,
      succeeded: audit.tasks - audit.failed - audit.open,
      failed: audit.failed,
      open: audit.open,
      books_exact_users: audit.users.filter((u) => u.exact).length,
      charged_twice: audit.chargedTwice,
      refunded_twice: audit.refundedTwice,
      upstream_created: upstreamCreated,
      upstream_owned_by_tasks: withUpstream,
      upstream_lost_submits_adopted: extras.adopted,
      upstream_extras_recorded: extras.recorded,
      upstream_extras_not_cancelled: extras.unresolved,
      client_ok: tally.ok,
      client_503_retry_after: tally.unavailable,
      client_other_5xx: tally.other5xx,
      client_503_without_retry_after: tally.unavailableWithoutRetryAfter,
      client_4xx: tally.refused,
      client_connection_errors: tally.connectionErrors,
      client_gave_up: tally.gaveUp,
      process_crashes: crashes.length,
      queries: tally.queries,
      faults: injected,
      seconds: Math.round((Date.now() - started) / 1000),
      submit_phase_seconds: Math.round(submitPhaseS),
      checks,
      passed: Object.values(checks).every(Boolean),
    };
    printTable(result, checks);
    if (tally.samples.length) log(`unexpected answers (first ${tally.samples.length}): ${tally.samples.join(' | ')}`);
    console.log(JSON.stringify(result));
    return result.passed ? 0 : 1;
  } finally {
    await cleanup();
  }
}

function printTable(result: Record<string, unknown>, checks: Record<string, boolean>): void {
  const rows: [string, unknown][] = Object.entries(result).filter(([k]) => k !== 'checks' && k !== 'passed' && k !== 'faults');
  rows.push(['faults injected', (result.faults as string[]).length]);
  for (const [name, ok] of Object.entries(checks)) rows.push([`check: ${name}`, ok ? 'PASS' : 'FAIL']);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${String(v)}`).join('\n'));
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
});
// Timers of closed clients may linger: the run is over.
process.exit(process.exitCode);
