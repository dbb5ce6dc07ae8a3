// How long a paid-for task waits before the upstream hears of it: from the moment the client has
// a submit's 200 to the moment the simulator received the worker's submit of that task. The
// simulator reports that moment itself, as DashScope does, in the task's `submit_time` (China
// time, to the millisecond; both processes read the same clock). Taken twice: at idle (one submit
// at a time, spaced), and under a steady stream of submits.
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from '../lib/log.ts';
import { withClient } from '../lib/postgres.ts';
import type { Suite } from '../lib/suite.ts';
import type { Customer } from '../gateway/customers.ts';
import { rotation } from '../lib/rotation.ts';
import { SIM, startWorkerStack, submitTask } from '../worker/stack.ts';

// Tasks stay RUNNING upstream, and unpolled, for longer than the suite lasts: the only work the
// processes get is the submits being measured, so "idle" is idle (no polls, result copies or
// thumbnails of earlier tasks in between).
const QUIET = { SIM_RUNNING_MS: '600000', POLL_FIRST_DELAY_MS: '600000', POLL_INTERVAL_MS: '600000' };
/** Submits before the measurement that are not counted: the first requests pay for JIT and connections. */
const WARMUP_SUBMITS = 20;
const IDLE_SETTLE_MS = 2_000;
// A stream faster than the system delivers leaves a backlog, drained at a few tens of tasks a second on a busy machine.
const UPSTREAM_TIMEOUT_MS = 180_000;
const LOOKUP_CONCURRENCY = 8;

interface Answered {
  taskId: string;
  /** Epoch milliseconds at which the client had the 200. */
  answeredAt: number;
}

export const latencySuite: Suite = {
  name: 'latency',
  async run({ config, cleanup }) {
    const { databaseUrl, customers, simulator, api, worker } = await startWorkerStack(config, cleanup, {
      database: config.latencyDatabase,
      redisPrefix: `${config.redisPrefix}l`,
      overrides: QUIET,
    });
    const nextCustomer = rotation(customers);
    await sleep(IDLE_SETTLE_MS);

    const { latencyTasks, latencyGapMs, latencyLoadRps, latencyLoadS } = config;
    await waitUpstream(databaseUrl, (await paced(api.url, nextCustomer, WARMUP_SUBMITS, latencyGapMs)).answered);
    log(`latency: ${latencyTasks} submits ${latencyGapMs} ms apart`);
    const idle = await timed(databaseUrl, simulator.url, await paced(api.url, nextCustomer, latencyTasks, latencyGapMs));
    const streamTasks = latencyLoadRps * latencyLoadS;
    let stream: Timed | undefined;
    if (streamTasks > 0) {
      log(`latency: ${streamTasks} submits at ${latencyLoadRps}/s`);
      stream = await timed(databaseUrl, simulator.url, await paced(api.url, nextCustomer, streamTasks, 1000 / latencyLoadRps));
    }
    await api.stop();
    await worker.stop();
    await simulator.stop();

    return {
      measurements: [],
      facts: {
        submit_to_upstream_p50_ms: idle.p50,
        submit_to_upstream_p99_ms: idle.p99,
        submit_to_upstream_max_ms: idle.max,
        submit_to_upstream_tasks: idle.count,
        submit_to_upstream_failed: idle.failed,
        ...(stream
          ? {
              submit_to_upstream_load_p50_ms: stream.p50,
              submit_to_upstream_load_p99_ms: stream.p99,
              submit_to_upstream_load_rps: latencyLoadRps,
              submit_to_upstream_load_reached_rps: stream.upstreamRps,
              submit_to_upstream_load_failed: stream.failed,
            }
          : {}),
      },
      notes: [
        describe(`submit to upstream, idle (${latencyTasks} submits ${latencyGapMs} ms apart)`, idle),
        ...(stream ? [describe(`submit to upstream, ${latencyLoadRps} submits/s for ${latencyLoadS} s`, stream)] : []),
      ],
    };
  },
};

interface Paced {
  answered: Answered[];
  /** Submits that got no 200 (what they got instead), e.g. the gateway's 503 when its pool is exhausted. */
  failures: string[];
}

interface Timed {
  count: number;
  /** Tasks per second that reached the upstream, first to last: under the offered rate, a backlog grew. */
  upstreamRps: number;
  failed: number;
  firstFailure: string | undefined;
  p50: number;
  p99: number;
  max: number;
}

const describe = (title: string, t: Timed): string =>
  `${title}: p50 ${t.p50} ms, p99 ${t.p99} ms, max ${t.max} ms; tasks reached the upstream at ${t.upstreamRps}/s` +
  (t.failed > 0 ? `; ${t.failed} submits failed, e.g. ${t.firstFailure}` : '');

/** `count` submits, the i-th sent `intervalMs` × i after the first whether or not earlier ones have been answered. */
async function paced(apiUrl: string, nextCustomer: () => Customer, count: number, intervalMs: number): Promise<Paced> {
  const start = Date.now();
  const sent: Promise<Answered | string>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = start + i * intervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    sent.push(
      submitTask(apiUrl, nextCustomer()).then(
        (taskId) => ({ taskId, answeredAt: Date.now() }),
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      ),
    );
  }
  const outcomes = await Promise.all(sent);
  return {
    answered: outcomes.filter((o): o is Answered => typeof o !== 'string'),
    failures: outcomes.filter((o): o is string => typeof o === 'string'),
  };
}

async function timed(databaseUrl: string, simulatorUrl: string, { answered, failures }: Paced): Promise<Timed> {
  const arrivals = await upstreamArrivals(databaseUrl, simulatorUrl, answered);
  const ms = answered.map((task, i) => (arrivals[i] as number) - task.answeredAt);
  const spanMs = Math.max(...arrivals) - Math.min(...arrivals);
  const upstreamRps = arrivals.length > 1 && spanMs > 0 ? Math.round(((arrivals.length - 1) * 10_000) / spanMs) / 10 : 0;
  return { count: ms.length, upstreamRps, failed: failures.length, firstFailure: failures[0], ...percentiles(ms) };
}

/** Waits until the worker has sent every task upstream; returns their upstream ids. */
async function waitUpstream(databaseUrl: string, tasks: Answered[]): Promise<Map<string, string>> {
  const ids = tasks.map((t) => t.taskId);
  const deadline = Date.now() + UPSTREAM_TIMEOUT_MS;
  return withClient(databaseUrl, async (client) => {
    for (;;) {
      const { rows } = await client.query<{ task_id: string; upstream_task_id: string }>(
        'SELECT task_id, upstream_task_id FROM tasks WHERE task_id = ANY($1::text[]) AND upstream_task_id IS NOT NULL',
        [ids],
      );
      if (rows.length === ids.length) return new Map(rows.map((row) => [row.task_id, row.upstream_task_id]));
      if (Date.now() > deadline) throw new Error(`only ${rows.length} of ${ids.length} tasks were sent upstream within ${UPSTREAM_TIMEOUT_MS} ms`);
      await sleep(100);
    }
  });
}

/** When the upstream received each task, as DashScope's query reports it (epoch ms, in `tasks` order). */
async function upstreamArrivals(databaseUrl: string, simulatorUrl: string, tasks: Answered[]): Promise<number[]> {
  const upstreamIds = await waitUpstream(databaseUrl, tasks);
  const arrivals: number[] = new Array<number>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: LOOKUP_CONCURRENCY }, async () => {
      for (let i = next++; i < tasks.length; i = next++) {
        arrivals[i] = await upstreamSubmitTime(simulatorUrl, upstreamIds.get((tasks[i] as Answered).taskId) as string);
      }
    }),
  );
  return arrivals;
}

async function upstreamSubmitTime(simulatorUrl: string, upstreamId: string): Promise<number> {
  for (;;) {
    const res = await fetch(`${simulatorUrl}/api/v1/tasks/${upstreamId}`, { headers: { authorization: `Bearer ${SIM.SIM_API_KEY}` } });
    const body = (await res.json()) as { output?: { submit_time?: string } };
    // The worker polls with the same key; a lookup that meets the query budget waits its turn.
    if (res.status === 429) {
      await sleep(100);
      continue;
    }
    const submitTime = body.output?.submit_time;
    if (res.status !== 200 || !submitTime) throw new Error(`the simulator has no submit_time for ${upstreamId}: ${res.status} ${JSON.stringify(body)}`);
    return fromChinaTime(submitTime);
  }
}

/** DashScope's "YYYY-MM-DD HH:mm:ss.SSS" in UTC+8 to epoch milliseconds. */
const fromChinaTime = (text: string): number => Date.parse(`${text.replace(' ', 'T')}+08:00`);

/** Nearest-rank percentiles; all 0 for an empty list. */
function percentiles(values: number[]): { p50: number; p99: number; max: number } {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return { p50: rank(50), p99: rank(99), max: sorted.at(-1) as number };
}
