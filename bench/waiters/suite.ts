// Thousands of clients holding a task query open with `Prefer: wait=N`, on one API process: what
// they cost it in memory while they wait, and how fast all of them are answered once their tasks
// end. The tasks are ended together by one statement that marks them final, as a burst of
// settlements would: the status stream (one notification per task) is what releases the waiters,
// so the figure is the fan-out from commit to answers, without a worker's pace in it.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from '../lib/log.ts';
import { withClient } from '../lib/postgres.ts';
import type { Suite } from '../lib/suite.ts';
import { rotation } from '../lib/rotation.ts';
import { startWorkerStack, submitTask } from '../worker/stack.ts';

// The worker submits the tasks upstream and then leaves them alone (they run far longer than the
// suite and are not polled), so nothing but the final statement ends them.
const QUIET = { SIM_RUNNING_MS: '600000', POLL_FIRST_DELAY_MS: '600000', POLL_INTERVAL_MS: '600000' };
const WAIT_S = 60;
const SUBMITTERS = 50;
const PARK_SETTLE_MS = 3_000;
const PARK_TIMEOUT_MS = 60_000;

const rssMb = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : 0;
};

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

interface Waiter {
  /** Resolves with the answer's status and the task status it carried, at the time it arrived. */
  answer: Promise<{ httpStatus: number; taskStatus: string; at: number }>;
}

/** One GET with `Prefer: wait`, on its own connection (5,000 waiting requests are 5,000 sockets). */
function wait(agent: http.Agent, apiUrl: string, key: string, taskId: string): Waiter {
  const answer = new Promise<{ httpStatus: number; taskStatus: string; at: number }>((resolve, reject) => {
    const req = http.get(`${apiUrl}/v1/video/generations/${taskId}`, { agent, headers: { authorization: `Bearer ${key}`, prefer: `wait=${WAIT_S}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const at = performance.now();
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { status?: string } };
        resolve({ httpStatus: res.statusCode ?? 0, taskStatus: body.data?.status ?? '', at });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { answer };
}

export const waitersSuite: Suite = {
  name: 'waiters',
  async run({ config, cleanup }) {
    const count = config.waiters;
    const { databaseUrl, customers, simulator, api, worker } = await startWorkerStack(config, cleanup, {
      database: config.waitersDatabase,
      redisPrefix: `${config.redisPrefix}q`,
      overrides: QUIET,
    });
    const nextCustomer = rotation(customers);

    log(`waiters: submitting ${count} tasks`);
    const tasks: { taskId: string; key: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (next++ < count) {
          const customer = nextCustomer();
          tasks.push({ taskId: await submitTask(api.url, customer), key: customer.key });
        }
      }),
    );
    await sleep(PARK_SETTLE_MS);
    const rssBefore = rssMb(api.pid);

    log(`waiters: ${count} requests waiting with Prefer: wait=${WAIT_S}`);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const waiters = tasks.map((t) => wait(agent, api.url, t.key, t.taskId));
    let early = 0;
    for (const w of waiters) void w.answer.then(() => early++, () => early++);
    // Parked once the API has taken every request: the gateway's count of followed tasks is not
    // visible from outside, so the test is that none has answered yet and the memory has settled.
    const parkDeadline = Date.now() + PARK_TIMEOUT_MS;
    let rssParked = rssMb(api.pid);
    for (;;) {
      await sleep(PARK_SETTLE_MS);
      const previous = rssParked;
      rssParked = rssMb(api.pid);
      if (Math.abs(rssParked - previous) < 2 || Date.now() > parkDeadline) break;
    }
    if (early > 0) throw new Error(`${early} of ${count} waiting requests were answered before their tasks ended`);

    log('waiters: ending every task in one statement');
    const ended = performance.now();
    await withClient(databaseUrl, (c) =>
      c.query(`UPDATE tasks SET status = 'SUCCESS', progress = 100, finish_time = now(), result_url = 'https://example.invalid/v.mp4', updated_at = now() WHERE task_id = ANY($1::text[])`, [
        tasks.map((t) => t.taskId),
      ]),
    );
    const answers = await Promise.all(waiters.map((w) => w.answer));
    const released = answers.map((a) => a.at - ended).sort((a, b) => a - b);
    const wrong = answers.filter((a) => a.httpStatus !== 200 || a.taskStatus !== 'SUCCESS').length;
    agent.destroy();
    await api.stop();
    await worker.stop();
    await simulator.stop();

    const perWaiterKb = ((rssParked - rssBefore) * 1024) / count;
    const facts = {
      waiters: count,
      waiters_wrong_answers: wrong,
      waiters_rss_before_mb: Math.round(rssBefore),
      waiters_rss_parked_mb: Math.round(rssParked),
      waiters_kb_each: Math.round(perWaiterKb * 10) / 10,
      waiters_release_p50_ms: Math.round(percentile(released, 50)),
      waiters_release_p99_ms: Math.round(percentile(released, 99)),
      waiters_release_all_ms: Math.round(released.at(-1) ?? 0),
    };
    return {
      measurements: [],
      facts,
      notes: [
        `waiters: ${count} requests held with Prefer: wait=${WAIT_S} on one API process: RSS ${facts.waiters_rss_before_mb} MB before, ${facts.waiters_rss_parked_mb} MB while they waited (${facts.waiters_kb_each} KB each)`,
        `waiters: all tasks ended in one statement; answers p50 ${facts.waiters_release_p50_ms} ms, p99 ${facts.waiters_release_p99_ms} ms, all ${facts.waiters_release_all_ms} ms after its commit; ${wrong} not 200 with the final status`,
      ],
    };
  },
};
